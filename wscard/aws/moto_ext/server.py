"""A moto server with the Directory Service extension loaded, on 127.0.0.1 only.

In a process: ``server, url = start_server()`` ... ``server.stop()``.
Standalone: ``python -m wscard.aws.moto_ext.server [--port N] [--registration-delay S]
[--deregistration-delay S] [--constraint-violations framework|modeled]``,
stopped by Ctrl-C or SIGTERM.  Point clients at the printed URL (``endpoint_url``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from moto.server import ThreadedMotoServer

from . import config, install

HOST = "127.0.0.1"


def start_server(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """Install the extension, start a threaded moto server on 127.0.0.1; return it and its URL.

    ``port=0`` lets the system pick a free port; the URL carries the real one.
    The caller stops the server with ``server.stop()``.
    """
    install()
    # werkzeug logs one line per request at INFO even with verbose=False: a fleet audit
    # would print thousands. Warnings and errors still show.
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
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

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, _on_signal) for signum in (signal.SIGTERM, signal.SIGINT)
    }
    server, url = start_server(args.port)
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
