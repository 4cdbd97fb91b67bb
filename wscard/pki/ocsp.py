"""OCSP client and AD Connector's documented revocation checking process.

The settings every OCSP exchange shares (the resolver, the timeout, the moment judged and
the tolerated clock difference, the nonce policy) travel in one :class:`OcspContext`,
built once from the profile's ``[pki]`` section (:meth:`OcspContext.from_section`), as
certvalidator's ``ValidationContext`` carries its moment and fetchers. The functions take
``(ctx, ...certificates)``.

:func:`query` sends one OCSP request over HTTP (bounded timeouts, through a resolver
seam) and returns an :class:`Exchange` with the request, the response, and both
decoded for the report. :func:`check_revocation` follows the documented process
(S-PREREQ, "Certificate revocation checking process") step by step and records which
URL it used and why:

1. the OCSP URL in the user certificate's AIA extension is used first (OCSP-1);
2. if that URL cannot be resolved, or the certificate has none, the OCSP URL given at
   *root* CA registration is used instead (OCSP-2);
3. if the AIA URL resolves but the responder does not answer, authentication fails,
   with no fallback (OCSP-3);
4. if the registration URL is needed and cannot be resolved, does not answer, or was
   never given, authentication fails (OCSP-4).

Where the documents are silent the harness does not guess silently: an AIA URL that
breaks OCSP-5 (HTTPS, or a DNS name outside the IANA root zone) is reported under
OCSP-5 and treated as a URL AD Connector cannot use, so the process continues as for an
unresolvable one; the trace says so.
"""

from __future__ import annotations

import enum
import http.client
import os
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlparse

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp

from . import certs as C
from . import tlds
from .resolver import Endpoint, Resolver, SystemResolver, Unresolvable, simulated_resolver

#: Largest OCSP response read (bytes).
MAX_RESPONSE = 1 << 20


def responder_endpoints(responder: Any, silent_wait: float = 0.0) -> tuple[Endpoint | None, Endpoint | None]:
    """The local test responder's two endpoints, ``(responder, silent)``, or
    ``(None, None)`` when ``responder`` (a :class:`~wscard.pki.responder.ResponderProcess`,
    duck-typed: ``host``, ``port``, ``silent_port``) is None or not listening.
    ``silent_wait`` (seconds, ``[pki] silent_wait_seconds``; 0: none) caps the wait at
    the silent port, which by construction never answers."""
    if responder is None or not responder.port:
        return None, None
    return (Endpoint(responder.host, responder.port),
            Endpoint(responder.host, responder.silent_port, silent_wait or None))


@dataclass(frozen=True)
class OcspContext:
    """What every OCSP exchange of one environment shares, built once and carried
    through (the role of certvalidator's ``ValidationContext``).

    The fields are those RFC 6960 leaves to the client: where to send the request
    (``resolver``, section 4.1 and appendix A.1, HTTP), how long to wait, when the
    answer is judged (thisUpdate/nextUpdate, section 4.2.2.1, within a tolerated clock
    difference) and whether the request carries a nonce (section 4.4.1; RFC 8954).
    """

    #: How responder host names are resolved (:class:`~wscard.pki.resolver.Resolver`:
    #: ``MapResolver`` for the simulated world, ``SystemResolver`` for live ones).
    resolver: Resolver
    #: Longest wait for a responder, seconds (connection and answer, each).
    timeout: float = 5.0
    #: The moment answers are judged at (aware UTC datetime); None: the current time,
    #: read once per query or per run of the documented process.
    moment: datetime | None = None
    #: Tolerated clock difference when judging thisUpdate/nextUpdate and the responder
    #: certificate's validity, seconds.
    time_tolerance: float = 300.0
    #: Send a fresh 16-byte nonce with each request (RFC 6960 4.4.1).
    use_nonce: bool = True

    @classmethod
    def from_section(cls, sec: Any, responder: Any = None, *, moment: datetime | None = None) -> "OcspContext":
        """The context of a profile's ``[pki]`` section (a
        :class:`~wscard.sections.pki.PkiSection`): its resolver (``resolver``,
        ``ocsp_hosts``, ``dns_timeout_seconds``, ``silent_wait_seconds``), timeout
        (``ocsp_timeout_seconds``) and clock tolerance (``ocsp_clock_skew_seconds``).
        ``responder``: the running local test responder the simulated resolver points
        ``responder``/``silent`` names at (None: those names cannot be resolved);
        ``moment``: see :attr:`moment`. Raises nothing: the section was validated when
        the profile was loaded."""
        if sec.resolver == "system":
            resolver: Resolver = SystemResolver(sec.dns_timeout_seconds)
        else:
            resolver = simulated_resolver(sec.ocsp_hosts, *responder_endpoints(responder, sec.silent_wait_seconds))
        return cls(resolver, timeout=sec.ocsp_timeout_seconds, moment=moment,
                   time_tolerance=sec.ocsp_clock_skew_seconds)

    def now(self) -> datetime:
        """:attr:`moment`, or the current time (aware UTC) when it is None."""
        return self.moment or datetime.now(timezone.utc)

    def pinned(self) -> "OcspContext":
        """This context with :attr:`moment` fixed (to now when it was None), so that
        every step of one run judges at the same moment."""
        return self if self.moment is not None else replace(self, moment=self.now())


class ExchangeError(enum.StrEnum):
    """Why an OCSP exchange gave no usable answer (the value is what evidence shows)."""

    #: The URL is not http:// (OCSP over HTTP, RFC 6960 appendix A).
    NOT_HTTP = "not-http"
    #: The responder's name does not resolve.
    UNRESOLVABLE = "unresolvable"
    #: No address took the connection.
    REFUSED = "refused"
    #: Connected, but no answer within the timeout.
    TIMEOUT = "timeout"
    #: An HTTP status other than 200.
    HTTP = "http"
    #: The body is not an OCSP response.
    MALFORMED = "malformed"
    #: An OCSPResponseStatus other than successful (RFC 6960 4.2.1), so no CertStatus.
    UNSUCCESSFUL = "unsuccessful"


@dataclass
class Exchange:
    """One OCSP request/response over HTTP, decoded for the report."""

    url: str
    endpoint: str = ""
    request_der: bytes = b""
    response_der: bytes = b""
    http_status: int | None = None
    elapsed_ms: float = 0.0
    #: None, or why there is no usable answer
    error_kind: ExchangeError | None = None
    error: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    #: problems with an answer that arrived (signature, certificate ID, freshness, nonce)
    problems: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        """A successful OCSP response arrived (whether or not it verifies)."""
        return self.error_kind is None

    @property
    def cert_status(self) -> RevocationResult:
        """The answer's CertStatus (RFC 6960 4.2.1: good, revoked, unknown); UNDECIDED
        when no answer arrived."""
        return RevocationResult(self.response.get("cert_status", "")) if self.answered else RevocationResult.UNDECIDED

    def as_evidence(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "endpoint": self.endpoint,
            "elapsed_ms": round(self.elapsed_ms, 2),
            "http_status": self.http_status,
            "error": f"{self.error_kind}: {self.error}" if self.error_kind is not None else "",
            "request": self.request,
            "response": self.response,
            "problems": self.problems,
        }


def build_request(cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bytes | None = None,
                  algorithm: hashes.HashAlgorithm | None = None) -> ocsp.OCSPRequest:
    """An OCSP request for ``cert`` issued by ``issuer`` (RFC 6960 section 4.1): CertID
    hashed with ``algorithm`` (SHA-1 by default, what responders expect, section B.1),
    with the nonce extension (section 4.4.1) when ``nonce`` (bytes) is given."""
    b = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm or hashes.SHA1())
    if nonce:
        b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
    return b.build()


def decode_request(der: bytes) -> dict[str, Any]:
    """A DER OCSP request as evidence: ``{"hash_algorithm", "issuer_name_hash" (hex),
    "issuer_key_hash" (hex), "serial" (hex), "nonce" (hex, when present)}`` (RFC 6960
    section 4.1.1). Raises ValueError for data that is not an OCSP request."""
    req = ocsp.load_der_ocsp_request(der)
    out: dict[str, Any] = {
        "hash_algorithm": req.hash_algorithm.name,
        "issuer_name_hash": req.issuer_name_hash.hex(),
        "issuer_key_hash": req.issuer_key_hash.hex(),
        "serial": format(req.serial_number, "X"),
    }
    try:
        out["nonce"] = req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce.hex()
    except x509.ExtensionNotFound:
        pass
    return out


def decode_response(der: bytes) -> dict[str, Any]:
    """A DER OCSP response as evidence: ``{"response_status"}`` and, for a successful one,
    the certificate's status, serial (hex), the responder (name or key hash), the times and
    the signer (RFC 6960 section 4.2.1). Raises ValueError for data that is not an OCSP
    response."""
    resp = ocsp.load_der_ocsp_response(der)
    out: dict[str, Any] = {"response_status": resp.response_status.name.lower()}
    if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return out
    if resp.responder_name is not None:
        responder = resp.responder_name.rfc4514_string()
    else:
        responder = "key hash " + (resp.responder_key_hash or b"").hex()
    try:
        signer = next((c for c in resp.certificates), None)
    except ValueError:  # a certificate in the response that the parser refuses
        signer = None
    out.update({
        "cert_status": resp.certificate_status.name.lower(),
        "serial": format(resp.serial_number, "X"),
        "responder": responder,
        "responder_certificate": C.subject(signer) if signer is not None else "",
        "produced_at": resp.produced_at_utc.isoformat(),
        "this_update": resp.this_update_utc.isoformat(),
        "next_update": resp.next_update_utc.isoformat() if resp.next_update_utc else None,
        "signature_algorithm": getattr(resp.signature_algorithm_oid, "_name", resp.signature_algorithm_oid.dotted_string),
    })
    if resp.certificate_status is ocsp.OCSPCertStatus.REVOKED:
        out["revocation_time"] = resp.revocation_time_utc.isoformat() if resp.revocation_time_utc else None
        out["revocation_reason"] = resp.revocation_reason.name if resp.revocation_reason else None
    try:
        out["nonce"] = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce.hex()
    except x509.ExtensionNotFound:
        pass
    return out


def _verify_sig(signer: x509.Certificate, signature: bytes, data: bytes, hash_alg) -> None:
    pub = signer.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        pub.verify(signature, data, padding.PKCS1v15(), hash_alg)
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        pub.verify(signature, data, ec.ECDSA(hash_alg))
    else:  # pragma: no cover - other key types are not issued here
        pub.verify(signature, data)  # type: ignore[call-arg]


def verify_response(ctx: OcspContext, resp: ocsp.OCSPResponse, cert: x509.Certificate,
                    issuer: x509.Certificate, nonce: bytes | None = None) -> list[str]:
    """The RFC 6960 checks of a successful response ``resp`` about ``cert`` (issued by
    ``issuer``), at ``ctx.now()`` within ``ctx.time_tolerance`` seconds: the
    certificate ID (section 4.1.1), the signer (the CA, or a responder certificate it
    issued with the OCSP Signing EKU, section 4.2.2.2), the signature, thisUpdate and
    nextUpdate (section 4.2.2.1) and, when the request carried one, the nonce (section
    4.4.1; a response without a nonce is accepted, RFC 8954). Returns the problems, one
    sentence each (empty: valid). Raises nothing for a bad response."""
    now, skew = ctx.now(), timedelta(seconds=ctx.time_tolerance)
    problems: list[str] = []
    if resp.serial_number != cert.serial_number:
        problems.append(f"the response is for serial {resp.serial_number:X}, not {cert.serial_number:X}")
    alg = resp.hash_algorithm
    expected = build_request(cert, issuer, algorithm=alg)
    if (resp.issuer_name_hash, resp.issuer_key_hash) != (expected.issuer_name_hash, expected.issuer_key_hash):
        problems.append("the response's certificate ID names another issuer")
    # Who signed: the CA itself, or a delegated responder certificate issued by it with
    # the OCSP Signing EKU.
    try:
        embedded = list(resp.certificates)
    except ValueError as exc:  # a certificate in the response that the parser refuses
        embedded = []
        problems.append(f"the certificates in the response cannot be read: {exc}")
    candidates = [issuer] + embedded
    signer = None
    for cand in candidates:
        matches = (resp.responder_name == cand.subject) if resp.responder_name is not None else (
            resp.responder_key_hash == _key_hash(cand))
        if matches:
            signer = cand
            break
    if signer is None:
        problems.append("the responder's certificate is not in the response and is not the issuing CA")
    else:
        try:
            _verify_sig(signer, resp.signature, resp.tbs_response_bytes, resp.signature_hash_algorithm)
        except InvalidSignature:
            problems.append(f"the response signature does not verify with '{C.subject(signer)}'")
        if signer is not issuer:
            try:
                signer.verify_directly_issued_by(issuer)
            except Exception:
                problems.append(f"the responder certificate '{C.subject(signer)}' is not issued by the CA")
            if C.OID_OCSP_SIGNING.dotted_string not in (C.ekus(signer) or []):
                problems.append(f"the responder certificate '{C.subject(signer)}' lacks the OCSP Signing EKU")
            if not (signer.not_valid_before_utc - skew <= now <= signer.not_valid_after_utc + skew):
                problems.append(f"the responder certificate '{C.subject(signer)}' is outside its validity period")
    if resp.this_update_utc > now + skew:
        problems.append(f"thisUpdate {resp.this_update_utc.isoformat()} is in the future")
    if resp.next_update_utc is not None and resp.next_update_utc < now - skew:
        problems.append(f"nextUpdate {resp.next_update_utc.isoformat()} has passed (stale answer)")
    if nonce is not None:
        try:
            got = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            if got != nonce:
                problems.append("the response's nonce does not match the request's")
        except x509.ExtensionNotFound:
            pass  # responders may ignore nonces (RFC 8954); a pre-produced answer is valid
    return problems


def _key_hash(cert: x509.Certificate) -> bytes:
    from asn1crypto import keys

    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    h = hashes.Hash(hashes.SHA1())
    h.update(keys.PublicKeyInfo.load(spki)["public_key"].contents[1:])
    return h.finalize()


def query(ctx: OcspContext, url: str, cert: x509.Certificate, issuer: x509.Certificate) -> Exchange:
    """Ask the responder at ``url`` about ``cert`` (issued by ``issuer``): one RFC 6960
    request (SHA-1 certificate ID, a nonce when ``ctx.use_nonce``) by HTTP POST
    (appendix A.1), resolved through ``ctx.resolver``, waiting at most ``ctx.timeout``
    seconds per endpoint, the answer verified by :func:`verify_response` at
    ``ctx.now()``. Never raises for network trouble or a bad answer: the
    :class:`Exchange` says what happened (``error_kind``, ``problems``)."""
    ctx = ctx.pinned()
    ex = Exchange(url)
    u = urlparse(url)
    nonce = os.urandom(16) if ctx.use_nonce else None
    req = build_request(cert, issuer, nonce=nonce)
    ex.request_der = req.public_bytes(serialization.Encoding.DER)
    ex.request = decode_request(ex.request_der)
    if u.scheme != "http":
        ex.error_kind, ex.error = ExchangeError.NOT_HTTP, f"'{u.scheme}' URL: only HTTP is used for OCSP"
        return ex
    host = u.hostname or ""
    port = u.port or 80
    try:
        endpoints = ctx.resolver.resolve(host, port)
    except Unresolvable as exc:
        ex.error_kind, ex.error = ExchangeError.UNRESOLVABLE, str(exc)
        return ex
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    start = time.perf_counter()
    last_kind, last_err = ExchangeError.REFUSED, "no address to connect to"
    for ep in endpoints:
        ex.endpoint = str(ep)
        wait = min(ctx.timeout, ep.wait) if getattr(ep, "wait", None) else ctx.timeout
        conn = http.client.HTTPConnection(ep.address, ep.port, timeout=wait)
        try:
            conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", u.netloc.rsplit("@", 1)[-1])
            conn.putheader("Content-Type", "application/ocsp-request")
            conn.putheader("Content-Length", str(len(ex.request_der)))
            conn.putheader("Connection", "close")
            conn.endheaders(ex.request_der)
            r = conn.getresponse()
            ex.http_status = r.status
            body = r.read(MAX_RESPONSE + 1)
        except (socket.timeout, TimeoutError):
            last_kind, last_err = ExchangeError.TIMEOUT, f"{ep}: no answer within {wait:g} s"
            continue
        except ConnectionRefusedError:
            last_kind, last_err = ExchangeError.REFUSED, f"{ep}: connection refused"
            continue
        except (OSError, http.client.HTTPException) as exc:
            last_kind, last_err = ExchangeError.REFUSED, f"{ep}: {exc.__class__.__name__}: {exc}"
            continue
        finally:
            conn.close()
        ex.elapsed_ms = (time.perf_counter() - start) * 1000
        if r.status != 200:
            ex.error_kind, ex.error = ExchangeError.HTTP, f"{ep}: HTTP {r.status} {r.reason}"
            return ex
        ex.response_der = body[:MAX_RESPONSE]
        try:
            resp = ocsp.load_der_ocsp_response(ex.response_der)
            ex.response = decode_response(ex.response_der)
        except Exception as exc:
            ex.error_kind, ex.error = ExchangeError.MALFORMED, f"{ep}: not an OCSP response ({exc})"
            return ex
        if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            ex.error_kind = ExchangeError.UNSUCCESSFUL
            ex.error = f"{ep}: the responder answered '{resp.response_status.name.lower()}' without a status"
            return ex
        ex.problems = verify_response(ctx, resp, cert, issuer, nonce)
        return ex
    ex.elapsed_ms = (time.perf_counter() - start) * 1000
    ex.error_kind, ex.error = last_kind, last_err
    return ex


# --- the documented process ----------------------------------------------------------

class StepOutcome(enum.StrEnum):
    """What happened to one OCSP URL of the documented process (the value is what evidence shows)."""

    #: No OCSP URL there (none in the AIA extension, none given at registration).
    ABSENT = "absent"
    #: OCSP-5: not an http:// URL, or no host.
    NOT_HTTP = ExchangeError.NOT_HTTP
    #: OCSP-5: the host is not under a top-level domain of the IANA root zone.
    NOT_IANA = "not-iana"
    UNRESOLVABLE = "unresolvable"
    #: The name resolves but the responder does not answer.
    NO_ANSWER = "no-answer"
    ANSWERED = "answered"


class RevocationResult(enum.StrEnum):
    """The result of the revocation checking process, and an OCSP answer's CertStatus
    (RFC 6960 4.2.1); the value is what evidence shows."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    #: No usable answer: authentication fails (S-PREREQ).
    FAILED = "failed"
    #: No answer arrived, or the process has not decided yet.
    UNDECIDED = ""


@dataclass
class Step:
    """One step of the process: which URL, from where, what happened."""

    source: str  # "aia" or "registration"
    url: str
    outcome: StepOutcome
    reason: str
    exchange: Exchange | None = None

    def __post_init__(self) -> None:
        self.outcome = StepOutcome(self.outcome)  # ValueError for a value the process does not know

    def as_evidence(self) -> dict[str, Any]:
        d: dict[str, Any] = {"source": self.source, "url": self.url, "outcome": self.outcome, "reason": self.reason}
        if self.exchange is not None:
            d["exchange"] = self.exchange.as_evidence()
        return d


@dataclass
class RevocationTrace:
    """The outcome of the documented process for one certificate."""

    certificate: str
    steps: list[Step] = field(default_factory=list)
    #: The requirement whose branch decided the outcome: OCSP-1 (AIA URL answered),
    #: OCSP-2 (registration URL answered), OCSP-3 (AIA URL resolves, no answer),
    #: OCSP-4 (registration URL needed and unusable), OCSP-7 (no OCSP URL at all).
    branch: str = ""
    #: good, revoked, unknown, or failed (no usable answer: authentication fails)
    result: RevocationResult = RevocationResult.UNDECIDED
    used_url: str = ""
    used_source: str = ""
    because: str = ""
    exchange: Exchange | None = None

    def __post_init__(self) -> None:
        self.result = RevocationResult(self.result)  # ValueError for a result the process does not know

    @property
    def fallback_taken(self) -> bool:
        return any(s.source == "registration" for s in self.steps)

    @property
    def aia_step(self) -> Step | None:
        return next((s for s in self.steps if s.source == "aia"), None)

    @property
    def registration_step(self) -> Step | None:
        return next((s for s in self.steps if s.source == "registration"), None)

    def as_evidence(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate,
            "branch": self.branch,
            "result": self.result,
            "used_url": self.used_url,
            "used_source": self.used_source,
            "because": self.because,
            "steps": [s.as_evidence() for s in self.steps],
        }


def url_rule_problem(url: str) -> tuple[StepOutcome, str] | None:
    """OCSP-5 form rules: ``(outcome, reason)`` for a URL AD Connector cannot use, else None.

    ``outcome`` is :attr:`StepOutcome.NOT_HTTP` (not an ``http:`` URL, or no host: AD
    Connector's smart card prerequisites require an HTTP OCSP URL) or
    :attr:`StepOutcome.NOT_IANA` (a host name whose top-level domain is not in the IANA
    root zone, ``wscard/data`` list); an IP literal passes. Never raises."""
    u = urlparse(url)
    if u.scheme != "http":
        return StepOutcome.NOT_HTTP, f"'{u.scheme or '(no scheme)'}' URL: AD Connector requires an HTTP OCSP URL"
    host = u.hostname or ""
    if not host:
        return StepOutcome.NOT_HTTP, "the URL has no host"
    if tlds.is_ip_literal(host):
        return None
    if not tlds.in_root_zone(host):
        return (StepOutcome.NOT_IANA, f"'{host}' does not end in a top-level domain of the IANA root zone "
                            f"(list version {tlds.data_version()})")
    return None


def _try(ctx: OcspContext, source: str, url: str, cert, issuer) -> Step:
    bad = url_rule_problem(url)
    if bad is not None:
        return Step(source, url, bad[0], bad[1] + "; AD Connector cannot use it")
    ex = query(ctx, url, cert, issuer)
    if ex.error_kind is ExchangeError.UNRESOLVABLE:
        return Step(source, url, StepOutcome.UNRESOLVABLE, f"the name cannot be resolved ({ex.error})", ex)
    if not ex.answered:
        return Step(source, url, StepOutcome.NO_ANSWER,
                    f"the name resolves but the responder does not answer ({ex.error})", ex)
    return Step(source, url, StepOutcome.ANSWERED,
                f"the responder answered '{ex.cert_status}' in {ex.elapsed_ms:.0f} ms", ex)


def check_revocation(ctx: OcspContext, cert: x509.Certificate, issuer: x509.Certificate, registered_url: str, *,
                     registered_where: str = "the root CA's registration") -> RevocationTrace:
    """Follow AD Connector's documented revocation checking process (S-PREREQ,
    "Certificate revocation checking process"; OCSP-1..OCSP-4, OCSP-7) for ``cert``
    (issued by ``issuer``): the AIA OCSP URL first, then ``registered_url`` (the OCSP
    URL given at root CA registration, "" for none; ``registered_where`` says where it
    was given, for the messages). Each query is one :func:`query` with ``ctx``, all
    judged at the same moment. Returns the :class:`RevocationTrace` (branch, result,
    the URL used and why). Never raises for network trouble or a bad answer."""
    ctx = ctx.pinned()
    tr = RevocationTrace(C.describe(cert))
    aia_urls = C.aia(cert).ocsp

    def finish(step: Step, branch: str) -> RevocationTrace:
        tr.branch = branch
        ex = step.exchange
        tr.used_url, tr.used_source, tr.exchange = step.url, step.source, ex
        if ex is not None and ex.answered and not ex.problems:
            tr.result = ex.cert_status
        else:
            tr.result = RevocationResult.FAILED
        return tr

    if aia_urls:
        step = _try(ctx, "aia", aia_urls[0], cert, issuer)
        tr.steps.append(step)
        if step.outcome is StepOutcome.ANSWERED:
            tr.because = "the certificate's AIA extension names this OCSP URL and its responder answered"
            return finish(step, "OCSP-1")
        if step.outcome is StepOutcome.NO_ANSWER:
            tr.because = ("the AIA URL resolves but its responder does not answer: authentication fails, "
                          "AD Connector does not fall back to the registration URL")
            tr.used_url, tr.used_source, tr.exchange = step.url, "aia", step.exchange
            tr.branch, tr.result = "OCSP-3", RevocationResult.FAILED
            return tr
        why_fallback = f"the AIA URL {aia_urls[0]} cannot be used: {step.reason}"
    else:
        tr.steps.append(Step("aia", "", StepOutcome.ABSENT, "the certificate has no OCSP URL in its AIA extension"))
        why_fallback = "the certificate has no OCSP URL in its AIA extension"

    if not registered_url:
        tr.steps.append(Step("registration", "", StepOutcome.ABSENT, f"no OCSP URL was given at {registered_where}"))
        if not aia_urls:
            tr.branch, tr.result = "OCSP-7", RevocationResult.FAILED
            tr.because = (f"{why_fallback}, and no OCSP URL was given at {registered_where}: "
                          "no revocation checking is possible")
        else:
            tr.branch, tr.result = "OCSP-4", RevocationResult.FAILED
            tr.because = f"{why_fallback}, and no OCSP URL was given at {registered_where}"
        return tr
    step = _try(ctx, "registration", registered_url, cert, issuer)
    tr.steps.append(step)
    if step.outcome is StepOutcome.ANSWERED:
        tr.because = f"{why_fallback}; the OCSP URL given at {registered_where} is used instead"
        return finish(step, "OCSP-2")
    tr.because = f"{why_fallback}; the OCSP URL given at {registered_where} cannot be used either: {step.reason}"
    tr.used_url, tr.used_source, tr.exchange = step.url, "registration", step.exchange
    tr.branch, tr.result = "OCSP-4", RevocationResult.FAILED
    return tr


def describe_outcome(trace: RevocationTrace) -> str:
    """One paragraph for an assertion message or a log."""
    steps = "; ".join(f"{s.source} {s.url or '(none)'}: {s.outcome}" for s in trace.steps)
    return (f"{trace.certificate}: branch {trace.branch}, result {trace.result}, used "
            f"{trace.used_source or 'no'} URL {trace.used_url or '-'} because {trace.because} [{steps}]")
