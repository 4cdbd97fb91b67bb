"""A small OCSP responder (RFC 6960, HTTP POST and GET) run as its own process.

    python -m wscard.pki.responder CONFIG.json

CONFIG names, per issuing CA, the issuer certificate, the signer (a delegated OCSP
signing certificate or the CA itself) and its key, and the status database (serial ->
good / revoked; serials not listed are ``unknown``). The process listens on 127.0.0.1
only, on an ephemeral port, plus a *silent* port that accepts connections and never
answers (an unresponsive responder, OCSP-3), and prints one JSON line with both ports
before serving. SIGTERM stops it. Each exchange is appended to ``log`` (JSON lines) if
the config names one.

:class:`ResponderProcess` starts and stops it from Python (the suite's fixture).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from .. import lifetime
from ..errors import EnvironmentProblem
from .certs import load_certificate
from ..ports import listen

HASHES = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
REASONS = {r.name: r for r in x509.ReasonFlags}


class _Issuer:
    def __init__(self, conf: dict[str, Any]):
        self.cert = load_certificate(Path(conf["issuer"]).read_bytes(), conf["issuer"])
        self.signer = load_certificate(Path(conf["signer_cert"]).read_bytes(), conf["signer_cert"])
        self.key = serialization.load_pem_private_key(Path(conf["signer_key"]).read_bytes(), None)
        self.index: dict[int, dict[str, Any]] = {int(k, 16): v for k, v in conf.get("index", {}).items()}
        self.delegated = self.signer != self.cert
        self._hashes: dict[str, tuple[bytes, bytes]] = {}

    def hashes_for(self, name: str) -> tuple[bytes, bytes]:
        if name not in self._hashes:
            h = HASHES[name]
            name_der = self.cert.subject.public_bytes()
            spki = self.cert.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)
            from asn1crypto import keys

            key_bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
            d1 = hashes.Hash(h())
            d1.update(name_der)
            d2 = hashes.Hash(h())
            d2.update(key_bits)
            self._hashes[name] = (d1.finalize(), d2.finalize())
        return self._hashes[name]


class Responder:
    """The OCSP logic, independent of HTTP (unit-testable)."""

    def __init__(self, conf: dict[str, Any]):
        self.issuers = [_Issuer(c) for c in conf["issuers"]]
        self.next_update = timedelta(hours=float(conf.get("next_update_hours", 24)))

    def answer(self, body: bytes) -> bytes:
        try:
            req = ocsp.load_der_ocsp_request(body)
        except Exception:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
                serialization.Encoding.DER)
        alg = req.hash_algorithm.name
        issuer = None
        for cand in self.issuers:
            if alg in HASHES and cand.hashes_for(alg) == (req.issuer_name_hash, req.issuer_key_hash):
                issuer = cand
                break
        if issuer is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
                serialization.Encoding.DER)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        rec = issuer.index.get(req.serial_number)
        rev_time = rev_reason = None
        if rec is None:
            status = ocsp.OCSPCertStatus.UNKNOWN
        elif rec.get("status") == "revoked":
            status = ocsp.OCSPCertStatus.REVOKED
            rev_time = datetime.fromisoformat(rec.get("revoked_at") or now.isoformat())
            rev_reason = REASONS.get(rec.get("reason", "unspecified"), x509.ReasonFlags.unspecified)
        else:
            status = ocsp.OCSPCertStatus.GOOD
        b = ocsp.OCSPResponseBuilder().add_response_by_hash(
            req.issuer_name_hash, req.issuer_key_hash, req.serial_number, req.hash_algorithm, status,
            now, now + self.next_update, rev_time, rev_reason,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.signer)
        if issuer.delegated:
            b = b.certificates([issuer.signer])
        try:
            nonce = req.extensions.get_extension_for_class(x509.OCSPNonce).value
            b = b.add_extension(nonce, critical=False)
        except x509.ExtensionNotFound:
            pass
        return b.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _handler(responder: Responder, log_path: str | None):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _reply(self, body: bytes) -> None:
            answer = responder.answer(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            if log_path:
                with lock, open(log_path, "a") as fh:
                    fh.write(json.dumps({"time": time.time(), "host": self.headers.get("Host", ""),
                                         "request": base64.b64encode(body).decode(),
                                         "response": base64.b64encode(answer).decode()}) + "\n")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n > 65536:
                self.send_error(413)
                return
            self._reply(self.rfile.read(n))

        def do_GET(self):
            part = unquote(self.path.rsplit("/", 1)[-1])
            try:
                body = base64.b64decode(part + "=" * (-len(part) % 4))
            except Exception:
                body = b""
            self._reply(body)

    return Handler


def _silent(sock: socket.socket, stop: threading.Event) -> None:
    """Accept connections and never answer (hold them until the peer gives up)."""
    held: list[socket.socket] = []
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
            held.append(conn)
            held = [c for c in held if c.fileno() != -1][-256:]
        except socket.timeout:
            continue
        except OSError:
            break


def serve(conf: dict[str, Any]) -> None:
    responder = Responder(conf)
    host = conf.get("host", "127.0.0.1")
    fix = "stop the program using it, or set another port (0: a free one) in the responder's configuration"
    # the sockets are opened first: a busy port is a clear PortInUse, not a traceback
    sock = listen(host, int(conf.get("port", 0)), fix)
    silent = listen(host, int(conf.get("silent_port", 0)), fix, backlog=64)
    server = ThreadingHTTPServer(sock.getsockname(), _handler(responder, conf.get("log")), bind_and_activate=False)
    server.socket.close()
    server.socket, server.server_address = sock, sock.getsockname()
    server.server_name, server.server_port = host, server.server_address[1]
    server.daemon_threads = True
    stop = threading.Event()
    threading.Thread(target=_silent, args=(silent, stop), daemon=True).start()

    def on_term(*_):
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(json.dumps({"port": server.server_address[1], "silent_port": silent.getsockname()[1],
                      "pid": os.getpid()}), flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    silent.close()


def index_from_openssl_database(text: str) -> dict[str, dict[str, Any]]:
    """The status database of an OpenSSL CA (``index.txt``: what ``openssl ocsp -index``
    serves, and what GSA's ICAM test card responders serve) as this responder's ``index``.

    :param text: the database, one certificate a line, tab-separated: status (``V`` valid,
        ``R`` revoked, ``E`` expired), expiry, revocation ``YYMMDDHHMMSSZ[,reason]``,
        serial (hex), file name, subject (OpenSSL's ``apps/ca.c`` format).
    :returns: serial (upper-case hex) -> ``{"status": "good"}`` or ``{"status": "revoked",
        "revoked_at": ISO 8601, "reason": a ReasonFlags name}``. ``E`` lines are left out,
        as ``openssl ocsp`` gives them no status; serials not listed are ``unknown``.
    :raises ValueError: a line that is not in that format (naming the line).
    """
    import re

    out: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 4 or fields[0] not in ("V", "R", "E"):
            raise ValueError(f"line {n} is not an OpenSSL CA database line: {line[:60]!r}")
        status, _expiry, revocation, serial = fields[:4]
        serial = serial.strip().upper()
        if status == "V":
            out[serial] = {"status": "good"}
        elif status == "R":
            when, _, reason = revocation.partition(",")
            try:
                at = datetime.strptime(when, "%y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
            except ValueError:
                raise ValueError(f"line {n}: revocation time {when!r} is not YYMMDDHHMMSSZ") from None
            name = re.sub(r"(?<!^)(?=[A-Z])", "_", reason).lower() if reason else "unspecified"
            out[serial] = {"status": "revoked", "revoked_at": at.isoformat(),
                           "reason": name if name in REASONS else "unspecified"}
    return out


def config_for(pki, workdir: Path, user_status: str | None = None) -> dict[str, Any]:
    """Responder configuration for a generated PKI: the issuing CA (delegated ``ocsp``
    signer, the PKI's status database) and every other CA of the chain (signing its own
    answers; its subordinate CAs are good)."""
    chain = pki.ca_chain
    issuers = [{
        "issuer": str(_pem_file(workdir, chain[0])),
        "signer_cert": str(_pem_file(workdir, pki.get("ocsp"))),
        "signer_key": str(pki.get("ocsp").key_path),
        "index": pki.ocsp_index(user_status),
    }]
    for child, parent in zip(chain, chain[1:]):
        issuers.append({
            "issuer": str(_pem_file(workdir, parent)),
            "signer_cert": str(_pem_file(workdir, parent)),
            "signer_key": str(parent.key_path),
            "index": {child.serial_hex: {"status": "good", "name": child.name}},
        })
    return {"issuers": issuers, "host": "127.0.0.1", "log": str(workdir / "ocsp-exchanges.jsonl")}


def _pem_file(workdir: Path, entry) -> Path:
    p = workdir / f"{entry.name}.pem"
    if not p.exists():
        p.write_bytes(entry.pem)
    return p


class ResponderProcess:
    """Start and stop the responder process; ``port`` / ``silent_port`` once started."""

    def __init__(self, conf: dict[str, Any], workdir: Path):
        self.conf = conf
        self.workdir = Path(workdir)
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.silent_port = 0
        self.host = conf.get("host", "127.0.0.1")

    @classmethod
    def for_pki(cls, pki, workdir: Path, user_status: str | None = None) -> "ResponderProcess":
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        return cls(config_for(pki, workdir, user_status), workdir)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self, timeout: float = 15.0) -> "ResponderProcess":
        cfg = self.workdir / "responder.json"
        cfg.write_text(json.dumps(self.conf, indent=2))
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        errlog = open(self.workdir / "responder.stderr", "wb")
        self.proc = lifetime.spawn([sys.executable, "-m", "wscard.pki.responder", str(cfg)],
                                     stdout=subprocess.PIPE, stderr=errlog, stdin=subprocess.DEVNULL, env=env)
        errlog.close()
        line = _readline(self.proc, timeout)
        if not line:
            try:  # end of output: it is exiting (a busy port...), or it hangs
                self.proc.wait(timeout=2)
                exited = True
            except subprocess.TimeoutExpired:
                exited = False
            self.stop()
            err = (self.workdir / "responder.stderr").read_text(errors="replace")[-2000:]
            if exited:
                raise EnvironmentProblem(f"the local OCSP responder stopped at start: {err.strip()}")
            raise EnvironmentProblem(f"the local OCSP responder did not start within {timeout:g} s: {err.strip()}")
        info = json.loads(line)
        self.port, self.silent_port = info["port"], info["silent_port"]
        return self

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is None:
            return
        lifetime.stop(p, grace_seconds=5)
        if p.stdout:
            p.stdout.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exchanges(self) -> list[dict[str, Any]]:
        log = self.conf.get("log")
        if not log or not Path(log).exists():
            return []
        return [json.loads(line) for line in Path(log).read_text().splitlines() if line.strip()]

    def __enter__(self) -> "ResponderProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    out: list[str] = []

    def read():
        assert proc.stdout is not None
        out.append(proc.stdout.readline().decode())

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout)
    return out[0].strip() if out else ""


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m wscard.pki.responder CONFIG.json", file=sys.stderr)
        return 2
    try:
        serve(json.loads(Path(argv[0]).read_text()))
    except EnvironmentProblem as exc:
        print(f"OCSP responder: {str(exc).removeprefix(EnvironmentProblem.PREFIX)}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
