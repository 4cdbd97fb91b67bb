"""A moto server with the Directory Service extension loaded, on 127.0.0.1 only.

In a process: ``server, url = start_server()`` ... ``server.stop()``.
Standalone: ``python -m wscard.aws.moto_ext.server [--port N] [--registration-delay S]
[--deregistration-delay S] [--constraint-violations framework|modeled] [--latency-ms MS] [--throttle-every N]``
(also ``wscard moto-server``),
stopped by Ctrl-C or SIGTERM.  Point clients at the printed URL (``endpoint_url``).

The listening socket is opened here, before the server thread starts, so a busy port is
a :class:`wscard.ports.PortInUse` at once (moto's own server would print "Port in use"
from its thread and leave the caller waiting for ever).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any, Callable, Iterable

from moto.moto_server.threaded_moto_server import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    ThreadedMotoServer,
    create_backend_app,
    make_server,
)

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
        try:
            app = RequestHooks(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(HOST, self._port, app, True, request_handler=KeepAliveRequestHandler,
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

#: The SigV4 credential scope: access key, date, Region, service.
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/[0-9]{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


class RequestHooks:
    """WSGI middleware in front of moto: waits ``config.latency_ms`` before each request
    (AWS's per-call latency; the server is threaded, so concurrent requests wait
    concurrently), answers every ``config.throttle_every``-th request ThrottlingException,
    and answers a request signed for a Region in
    ``config.disabled_regions[account]`` as AWS answers for an opt-in Region the account
    has not enabled: HTTP 403 ``UnrecognizedClientException`` ("The security token
    included in the request is invalid."; ``InvalidClientTokenId`` for query-protocol
    services such as STS and EC2). The account is the one moto picks for the request
    (the ``x-moto-account-id`` header, else the access key's account)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if config.latency_ms > 0:
            time.sleep(config.latency_ms / 1000)
        if config.throttle_every > 0:
            with self._lock:
                self._count += 1
                throttle = self._count % config.throttle_every == 0
                if throttle:
                    config.throttled += 1
            if throttle:
                status, headers, body = self._throttled(environ)
                start_response(status, headers)
                return [body]
        if config.disabled_regions:
            refusal = self._disabled_region(environ)
            if refusal is not None:
                status, headers, body = refusal
                start_response(status, headers)
                return [body]
        return self.app(environ, start_response)

    @staticmethod
    def _throttled(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        if "json" in environ.get("CONTENT_TYPE", ""):
            body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            return "400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                       ("x-amzn-ErrorType", "ThrottlingException"),
                                       ("Content-Length", str(len(body)))], body
        body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
                b"</Error><RequestId>0</RequestId></ErrorResponse>")
        return "400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body

    @staticmethod
    def _disabled_region(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not found:
            return None
        access_key, region, _service = found.groups()
        account = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        if not account:
            from moto.iam.models import get_account_id_from

            account = get_account_id_from(access_key)
        if region not in config.disabled_regions.get(account, ()):
            return None
        message = "The security token included in the request is invalid."
        if "json" in environ.get("CONTENT_TYPE", ""):
            body = json.dumps({"__type": "UnrecognizedClientException", "message": message}).encode()
            return "403 Forbidden", [("Content-Type", "application/x-amz-json-1.1"),
                                     ("x-amzn-ErrorType", "UnrecognizedClientException"),
                                     ("Content-Length", str(len(body)))], body
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
                f"<Message>{message}</Message></Error><RequestId>0</RequestId></ErrorResponse>").encode()
        return "403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body


class KeepAliveRequestHandler(MotoRequestHandler):
    """HTTP/1.1: a client keeps its connection for the next request, as with AWS's
    endpoints (werkzeug's default, HTTP/1.0, opens a connection per request)."""

    protocol_version = "HTTP/1.1"


def start_server(port: int = 0, latency_ms: float | None = None) -> tuple[ThreadedMotoServer, str]:
    """Install the extension, start a threaded moto server on 127.0.0.1; return it and its URL.

    ``port=0`` lets the system pick a free port; the URL carries the real one.
    ``latency_ms`` sets ``config.latency_ms`` (a wait before each answer).
    The caller stops the server with ``server.stop()``. Raises
    :class:`wscard.ports.PortInUse` when ``port`` is taken (and
    :class:`~wscard.errors.EnvironmentProblem` when it cannot be used), at once.
    """
    install()
    if latency_ms is not None:
        config.latency_ms = latency_ms
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
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=None,
        metavar="MS",
        help="milliseconds to wait before answering each request (AWS's per-call latency; default 0)",
    )
    parser.add_argument(
        "--throttle-every",
        type=int,
        default=None,
        metavar="N",
        help="answer every N-th request ThrottlingException (a caller over its rate; default never)",
    )
    args = parser.parse_args(argv)
    if args.throttle_every is not None:
        if args.throttle_every < 0:
            parser.error("--throttle-every: must be 0 or more")
        config.throttle_every = args.throttle_every
    if args.latency_ms is not None and args.latency_ms < 0:
        parser.error("--latency-ms: must be 0 or more")
    if args.registration_delay is not None:
        config.registration_delay_seconds = args.registration_delay
    if args.deregistration_delay is not None:
        config.deregistration_delay_seconds = args.deregistration_delay
    if args.constraint_violations is not None:
        config.constraint_violations = args.constraint_violations

    try:
        server, url = start_server(args.port, latency_ms=args.latency_ms)
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
