"""A moto server with the Directory Service extension loaded, on 127.0.0.1 only.

In a process: ``server, url = start_server()`` ... ``server.stop()``.
Standalone: ``python -m wscard.aws.moto_ext.server [--port N] [--registration-delay S]
[--deregistration-delay S] [--constraint-violations framework|modeled]``,
stopped by Ctrl-C or SIGTERM.  Point clients at the printed URL (``endpoint_url``).

The listening socket is opened here, before the server thread starts, so a busy port is
a :class:`wscard.ports.PortInUse` at once (moto's own server would print "Port in use"
from its thread and leave the caller waiting for ever).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from moto.server import ThreadedMotoServer

from ...errors import EnvironmentProblem
from ...ports import listen
from . import config, install

HOST = "127.0.0.1"
PORT_FIX = "stop the program using it, or choose another port (--port N, or 0 for a free one)"


class _Server(ThreadedMotoServer):
    """moto's threaded server on a socket that is already listening (``werkzeug``'s
    ``fd=``), so binding cannot fail inside the thread; any other start-up error is
    handed back to :meth:`start` instead of leaving it waiting."""

    def __init__(self, sock):
        super().__init__(ip_address=HOST, port=sock.getsockname()[1], verbose=False)
        self._sock = sock
        self._error: BaseException | None = None

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from moto.server import MotoRequestHandler
        from werkzeug.serving import make_server

        try:
            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(HOST, self._port, app, True, request_handler=MotoRequestHandler,
                                       fd=self._sock.fileno())
        except BaseException as exc:  # SystemExit included: werkzeug exits on socket errors
            self._error = exc
            self._server_ready_event.set()
            return
        finally:
            self._sock.close()  # werkzeug holds its own duplicate
        self._server_ready_event.set()
        self._server.serve_forever()

    def start(self) -> None:
        super().start()
        if self._error is not None:
            self._thread.join()
            raise EnvironmentProblem(f"the moto server did not start: {self._error!r}")

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            self._server.server_close()  # moto's stop leaves the listening socket open


def start_server(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """Install the extension, start a threaded moto server on 127.0.0.1; return it and its URL.

    ``port=0`` lets the system pick a free port; the URL carries the real one.
    The caller stops the server with ``server.stop()``. Raises
    :class:`wscard.ports.PortInUse` when ``port`` is taken (and
    :class:`~wscard.errors.EnvironmentProblem` when it cannot be used), at once.
    """
    install()
    # werkzeug logs one line per request at INFO even with verbose=False: a fleet audit
    # would print thousands. Warnings and errors still show.
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = _Server(listen(HOST, port, PORT_FIX))
    server.start()
    host, real_port = server.get_host_and_port()
    return server, f"http://{host}:{real_port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wscard.aws.moto_ext.server",
        description=(
            "Run a moto server (127.0.0.1 only) with the Directory Service certificate "
            "and client authentication operations loaded."
        ),
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: a free one)")
    parser.add_argument(
        "--registration-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds a new certificate registration reads 'Registering' (default 0)",
    )
    parser.add_argument(
        "--deregistration-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds a deregistered certificate reads 'Deregistering' (default 0)",
    )
    parser.add_argument(
        "--constraint-violations",
        choices=("framework", "modeled"),
        default=None,
        help="answer constraint violations with ValidationException (framework, the default) "
        "or the operation's modeled code (InvalidParameterException / InvalidParameterValuesException)",
    )
    args = parser.parse_args(argv)
    if args.registration_delay is not None:
        config.registration_delay_seconds = args.registration_delay
    if args.deregistration_delay is not None:
        config.deregistration_delay_seconds = args.deregistration_delay
    if args.constraint_violations is not None:
        config.constraint_violations = args.constraint_violations

    try:
        server, url = start_server(args.port)
    except EnvironmentProblem as exc:
        print(f"wscard moto-server: {str(exc).removeprefix(EnvironmentProblem.PREFIX)}", file=sys.stderr, flush=True)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, _on_signal) for signum in (signal.SIGTERM, signal.SIGINT)
    }
    print(f"moto server with the Directory Service extension at {url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        print("moto server stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
