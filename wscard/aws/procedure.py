"""The documented procedure (S-ENABLE steps 2 and 3, S-MANAGE) run against a directory
that may be changed: a scratch AD Connector in the simulated world, or, on live AWS,
the sandbox directory the user named with ``--allow-aws-changes``.

Each call's outcome (answer or error code, HTTP status, raw body length) is kept so the
scenario can compare it with what the documentation says. A live sandbox is put back
as it was found (registrations removed, client authentication restored).
"""

from __future__ import annotations

import base64
import functools
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..checks import CheckResult
from .env import AwsEnvironment, error_code
from .world import create_directory


class SandboxUnavailable(Exception):
    """This procedure scenario cannot run on this environment (the reason says why)."""


@dataclass
class Outcome:
    operation: str
    response: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str = ""
    http_status: int | None = None
    raw_body_length: int | None = None
    #: The documented rules the request's certificate data breaks (RegisterCertificate):
    #: when the service refuses, the input is to blame, not the service.
    input_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def describe(self) -> str:
        if self.ok:
            return f"{self.operation} succeeded (HTTP {self.http_status})"
        return f"{self.operation} was refused with {self.error_code}: {self.error_message}"


@dataclass
class Sandbox:
    env: AwsEnvironment
    directory_id: str
    region: str
    created: bool
    initial_auth: list[dict[str, Any]] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    last: Outcome | None = None
    last_certificate_id: str | None = None

    @property
    def ds(self):
        return self.env.client("ds", self.region)

    def call(self, operation: str, **kwargs: Any) -> Outcome:
        mark = self.env.recorder.mark()
        out = call_api(self.ds, operation, DirectoryId=self.directory_id, **kwargs)
        calls = self.env.recorder.since(mark)
        if calls:
            out.raw_body_length = calls[-1].raw_body_length
        self.last = out
        return out

    def simulate_delay(self, operation: str, seconds: float) -> None:
        """In the simulated service, let ``operation`` (``"registration"`` or
        ``"deregistration"``) of a certificate take ``seconds`` before its state settles;
        nothing on real AWS, which takes the time it takes."""
        if self.env.simulated:
            setattr(self.env.ds_backend(self.region), f"certificate_{operation}_delay_seconds", seconds)

    # --- the documented operations -----------------------------------------------
    def register(self, certificate_data: str, ocsp_url: str | None = None, cert_type: str = "ClientCertAuth") -> Outcome:
        kwargs: dict[str, Any] = {"CertificateData": certificate_data, "Type": cert_type}
        if ocsp_url:
            kwargs["ClientCertAuthSettings"] = {"OCSPUrl": ocsp_url}
        out = self.call("RegisterCertificate", **kwargs)
        from ..pki.checks import aws_refusal_reasons

        out.input_problems = aws_refusal_reasons(certificate_data)
        if out.ok:
            self.last_certificate_id = out.response["CertificateId"]
            self.registered.append(self.last_certificate_id)
        return out

    def deregister(self, certificate_id: str | None = None) -> Outcome:
        cid = certificate_id or self.last_certificate_id
        out = self.call("DeregisterCertificate", CertificateId=cid)
        if out.ok and cid in self.registered:
            self.registered.remove(cid)
        return out

    def enable(self, auth_type: str = "SmartCard") -> Outcome:
        return self.call("EnableClientAuthentication", Type=auth_type)

    def disable(self, auth_type: str = "SmartCard") -> Outcome:
        return self.call("DisableClientAuthentication", Type=auth_type)

    def describe_certificate(self, certificate_id: str | None = None) -> Outcome:
        return self.call("DescribeCertificate", CertificateId=certificate_id or self.last_certificate_id)

    def list_certificates(self) -> list[dict[str, Any]]:
        items, token = [], None
        while True:
            out = self.call("ListCertificates", **({"NextToken": token} if token else {}))
            if not out.ok:
                raise RuntimeError(out.describe())
            items += out.response.get("CertificatesInfo", [])
            token = out.response.get("NextToken")
            if not token:
                return items

    def client_auth_settings(self) -> list[dict[str, Any]]:
        out = self.call("DescribeClientAuthenticationSettings")
        if not out.ok:
            raise RuntimeError(out.describe())
        return out.response.get("ClientAuthenticationSettingsInfo", [])

    def wait_registered(self, certificate_id: str, timeout: float) -> tuple[list[str], float]:
        """Poll until Registered (or a final state); returns the states seen and the time taken."""
        return self._wait_while(certificate_id, "Registering", timeout, missing_is_gone=False)

    def wait_deregistered(self, certificate_id: str, timeout: float) -> tuple[list[str], float]:
        """Poll DescribeCertificate while the certificate reads ``Deregistering``, at most
        ``timeout`` seconds.  Returns the states seen (``gone`` once
        CertificateDoesNotExistException answers: "deletes from the system") and the time
        taken.  Any other error ends the wait as ``error CODE``."""
        return self._wait_while(certificate_id, "Deregistering", timeout, missing_is_gone=True)

    def _wait_while(self, certificate_id: str, passing: str, timeout: float, *,
                    missing_is_gone: bool) -> tuple[list[str], float]:
        """Poll DescribeCertificate (backing off from 0.02 s to 5 s) while the state is
        ``passing``, at most ``timeout`` seconds: the states seen, in order, and the seconds.
        An error ends the wait as ``error CODE``; CertificateDoesNotExistException as
        ``gone`` when ``missing_is_gone`` (a deregistration's end)."""
        start = time.monotonic()
        seen: list[str] = []
        delay = 0.02
        while True:
            out = self.describe_certificate(certificate_id)
            if out.ok:
                state = out.response["Certificate"]["State"]
            elif missing_is_gone and out.error_code == "CertificateDoesNotExistException":
                state = "gone"
            else:
                state = f"error {out.error_code}"
            if not seen or seen[-1] != state:
                seen.append(state)
            if state != passing or time.monotonic() - start >= timeout:
                return seen, time.monotonic() - start
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    # --- clean-up -------------------------------------------------------------------
    def close(self) -> None:
        if self.created:
            try:
                self.ds.delete_directory(DirectoryId=self.directory_id)
            except Exception:
                pass
            return
        # live sandbox: put it back as it was
        enabled_now = {s["Type"] for s in self.client_auth_settings() if s.get("Status") == "Enabled"}
        enabled_before = {s["Type"] for s in self.initial_auth if s.get("Status") == "Enabled"}
        for t in enabled_now - enabled_before:
            self.disable(t)
        for cid in list(self.registered):
            self.deregister(cid)
        for t in enabled_before - enabled_now:
            self.enable(t)


def call_api(client: Any, operation: str, **kwargs: Any) -> Outcome:
    """Call ``operation`` (its API name) and keep the answer or the error code: the
    documented errors are outcomes to compare, not exceptions."""
    out = Outcome(operation)
    try:
        resp = dict(getattr(client, _snake(operation))(**kwargs))
        meta = resp.pop("ResponseMetadata", {})
        out.response = resp
        out.http_status = meta.get("HTTPStatusCode")
    except Exception as exc:
        code = error_code(exc)
        if code is None:
            raise
        out.error_code = code
        out.error_message = exc.response.get("Error", {}).get("Message", "")  # type: ignore[attr-defined]
        out.http_status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")  # type: ignore[attr-defined]
    return out


def _snake(op: str) -> str:
    out = []
    for i, ch in enumerate(op):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def open_sandbox(env: AwsEnvironment, *, procedure_region: str, dir_type: str = "ADConnector",
                 region: str | None = None, allow_changes_for: str | None = None) -> Sandbox:
    """A directory this scenario may change."""
    if env.simulated:
        region = region or procedure_region
        backend = env.ds_backend(region)
        backend.certificate_registration_delay_seconds = 0.0
        backend.certificate_deregistration_delay_seconds = 0.0
        did = create_directory(env, region, dir_type, "sandbox.example.com", "SANDBOX")
        return Sandbox(env, did, region, created=True)
    if not allow_changes_for:
        raise SandboxUnavailable(
            "procedure scenarios change state: on real AWS they run only with --allow-aws-changes DIRECTORY_ID "
            "naming a sandbox AD Connector"
        )
    if dir_type != "ADConnector":
        raise SandboxUnavailable(f"needs a scratch {dir_type} directory, which the harness does not create on real AWS")
    if region and region != env.region:
        raise SandboxUnavailable(f"needs a directory in {region}; the sandbox is in {env.region}")
    sb = Sandbox(env, allow_changes_for, env.region, created=False)
    sb.initial_auth = sb.client_auth_settings()
    return sb


# --- certificates the procedure registers -------------------------------------------------

@functools.cache
def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(cn: str, days_valid: int, *, pss: bool = False) -> x509.Certificate:
    """A self-signed CA certificate for a procedure scenario (not part of any user chain):
    CN ``cn``, O "wscard procedure", valid from five minutes ago for ``days_valid`` days,
    keyUsage keyCertSign and cRLSign only, no key identifiers; an EC P-256 key, or with
    ``pss`` an RSA 2048 key signing RSASSA-PSS."""
    from ..pki.build import ca_certificate

    key = _rsa_key() if pss else _ec_key()
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wscard procedure")])
    return ca_certificate(name, key, not_before=now, not_after=now + timedelta(days=days_valid),
                          key_usage=x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                          subject_key_id=False, authority_key_id=False, pss=pss)


def make_end_entity(cn: str, days_valid: int = 365) -> x509.Certificate:
    """A self-signed end-entity certificate (basicConstraints cA false) for the procedure
    scenarios that show a non-CA certificate is refused (CA-3), whatever the environment's
    PKI holds (in files mode its "user" may itself be a CA)."""
    key = _ec_key()
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wscard procedure")])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + timedelta(days=days_valid))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def throwaway_cas_for_limit(profile, count: int) -> tuple[list, CheckResult]:
    """``count`` throwaway CA certificates to fill a scratch directory (CA-6's limit
    procedure, :func:`wscard.pki.throwaway_cas`), and a CA-6 result that is skipped, with
    the reason, where none can be made: CA-6 is then not evaluated by this procedure,
    never failed (the compliance scenario still judges the registered count)."""
    from ..errors import EnvironmentProblem
    from ..pki import throwaway_cas

    r = CheckResult("CA-6")
    try:
        return throwaway_cas(profile.pki, count), r
    except EnvironmentProblem as exc:
        return [], r.skip(f"no throwaway CA certificates can be made here: {exc}")


def pem_text(cert: x509.Certificate) -> str:
    """``cert`` as PEM text (:func:`wscard.pki.certs.to_pem`), the form AD Connector's
    RegisterCertificate takes."""
    from ..pki import certs as C

    return C.to_pem(cert).decode()


def invalid_inputs(ca_pem: str, end_entity_pem: str) -> dict[str, str]:
    """Certificate data that AD Connector must refuse (CA-3), by the name scenarios use."""
    from ..pki import certs as C

    der = C.to_der(C.load_certificate(ca_pem.encode(), "the CA certificate"))
    lines = ca_pem.strip().splitlines()
    return {
        "the CA certificate in DER form": base64.b64encode(der).decode(),
        "garbage text": "this is not a certificate at all\n",
        "a truncated PEM certificate": "\n".join(lines[: len(lines) // 2]) + "\n",
        "an end-entity certificate": end_entity_pem,
    }


# --- judging outcomes --------------------------------------------------------------------

def expect_refused(outcome: Outcome | None, code: str | Sequence[str]) -> CheckResult:
    """The request was refused with ``code``, or with any of several codes.

    Several codes are for what the documents do not pin: a constraint violation (an enum
    value in the wrong case, a malformed ID) can be answered by AWS's service framework
    (``ValidationException``) or with the operation's modeled code
    (``InvalidParameterException`` in Directory Service, ``InvalidParameterValuesException``
    in WorkSpaces).  The evidence names the accepted codes and the one that came
    (``observed_code``), so a live run shows what AWS answers.
    """
    codes = [code] if isinstance(code, str) else list(code)
    wanted = " or ".join(codes)
    r = CheckResult("procedure", f"The service refuses with {wanted}")
    if outcome is None:
        r.fail("the scenario", "made no request.", "Fix the scenario.")
        return r
    r.evidence["outcome"] = outcome.__dict__
    if len(codes) > 1:
        r.evidence["accepted_codes"] = codes
        r.evidence["observed_code"] = outcome.error_code
        if outcome.error_code in codes:
            r.title = f"The service refuses with {wanted} (it answered {outcome.error_code})"
    if outcome.error_code not in codes:
        got = "it succeeded" if outcome.ok else f"it answered {outcome.error_code}: {outcome.error_message}"
        if not outcome.ok and outcome.input_problems:
            r.fail(f"{outcome.operation}", f"should be refused with {wanted} as documented, but {got}: the certificate "
                                           f"data given breaks another documented rule ({'; '.join(outcome.input_problems)}), "
                                           "which the service applied first.",
                   "The input is at fault, not the service: give certificate data that breaks only the rule under test.")
        else:
            r.fail(f"{outcome.operation}", f"should be refused with {wanted} as documented, but {got}.",
                   "The service does not behave as documented: report it (live), or fix the simulation.")
    return r


def expect_ok(outcome: Outcome | None) -> CheckResult:
    r = CheckResult("procedure", "The request succeeds")
    if outcome is not None and not outcome.ok and outcome.input_problems:
        r.fail(outcome.operation, f"should succeed, but {outcome.describe()}: the certificate data given breaks AWS's "
                                  f"documented rules: {'; '.join(outcome.input_problems)}.",
               "The certificate file is at fault, not the service: fix it (see CA-3, CA-4, CA-7) or register another.")
    elif outcome is None or not outcome.ok:
        r.fail(outcome.operation if outcome else "the scenario",
               f"should succeed, but {outcome.describe() if outcome else 'no request was made'}.",
               "See the error code: the environment or the service is not as documented.")
    return r


def expect_certificate_id(outcome: Outcome | None) -> CheckResult:
    """RegisterCertificate succeeded and answered a ``CertificateId`` (CA-1, S-API)."""
    r = expect_ok(outcome)
    r.title = "The registration returns a certificate ID"
    if outcome is not None and outcome.ok and not (outcome.response or {}).get("CertificateId"):
        r.fail(outcome.operation, "answered without a CertificateId.", "The service is not as documented.")
    return r


def expect_outcome(outcome: Outcome | None, wanted: str) -> CheckResult:
    """The request ended as a scenario row says: ``"success"``, or ``"refused with CODE"``
    (several codes joined by " or ": any of them)."""
    if wanted.strip() == "success":
        return expect_ok(outcome)
    codes = wanted.strip().removeprefix("refused with").split(" or ")
    return expect_refused(outcome, [c.strip() for c in codes])


def expect_empty_200(outcome: Outcome | None) -> CheckResult:
    r = expect_ok(outcome)
    r.title = "The answer is HTTP 200 with an empty body"
    if outcome is not None and outcome.ok:
        r.evidence["http_status"] = outcome.http_status
        r.evidence["raw_body_length"] = outcome.raw_body_length
        r.evidence["parsed_body"] = outcome.response
        body_empty = not outcome.response and (outcome.raw_body_length or 0) <= 2
        if outcome.http_status != 200 or not body_empty:
            r.fail(outcome.operation, f"answered HTTP {outcome.http_status} with body {outcome.response!r} "
                   f"({outcome.raw_body_length} bytes); the documentation says HTTP 200 with an empty body.",
                   "The service does not behave as documented.")
    return r


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def expect_certificate_field(outcome: Outcome, path: tuple[str, ...], expected: Any) -> CheckResult:
    r = expect_ok(outcome)
    r.title = f"describe-certificate shows {'.'.join(path)} = {expected!r}"
    if outcome.ok:
        got = _dig(outcome.response.get("Certificate", {}), path)
        r.evidence["shown"] = got
        if got != expected:
            r.fail("DescribeCertificate", f"shows {'.'.join(path)} = {got!r}, expected {expected!r}.",
                   "The registration did not store what was given.")
    return r


def expect_registration_progress(sandbox: Sandbox, timeout: float) -> CheckResult:
    """CA-2: Registering first (in the simulated world, where the delay is set; live AWS may
    be quicker than the first look), then Registered within the bounded wait."""
    r = CheckResult("procedure", "The registration shows Registering, then Registered")
    if sandbox.last_certificate_id is None:
        r.fail("RegisterCertificate", f"did not register: {sandbox.last.describe() if sandbox.last else '-'}", "")
        return r
    seen, took = sandbox.wait_registered(sandbox.last_certificate_id, timeout)
    r.evidence["states_seen"] = seen
    r.evidence["seconds"] = round(took, 3)
    if seen[-1] != "Registered":
        r.fail(f"certificate {sandbox.last_certificate_id}", f"ended in {seen[-1]} after {took:.1f} s "
               f"(states seen: {' -> '.join(seen)}).", "A registration must reach Registered; see its StateReason.")
    elif sandbox.env.simulated and seen[0] != "Registering":
        r.fail(f"certificate {sandbox.last_certificate_id}", f"was never Registering (states seen: {' -> '.join(seen)}) "
               "although the simulated service was set to take time.", "Fix the simulation of RegisterCertificate.")
    return r


def expect_certificate_details(outcome: Outcome | None, cert: x509.Certificate) -> CheckResult:
    r = expect_ok(outcome)
    r.title = "describe-certificate shows the registered certificate's details"
    if outcome is None or not outcome.ok:
        return r
    c = outcome.response.get("Certificate", {})
    r.evidence["certificate"] = c
    for key in ("CertificateId", "CommonName", "Type", "State", "RegisteredDateTime", "ExpiryDateTime"):
        if not c.get(key):
            r.fail("DescribeCertificate", f"does not show {key}.", "The service is not as documented.")
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    if c.get("CommonName") and c["CommonName"] != cn:
        r.fail("DescribeCertificate", f"shows CommonName {c['CommonName']!r}, the certificate has {cn!r}.", "")
    exp = c.get("ExpiryDateTime")
    if isinstance(exp, datetime):
        exp = exp if exp.tzinfo else exp.replace(tzinfo=timezone.utc)
        if abs((exp - cert.not_valid_after_utc).total_seconds()) > 1:
            r.fail("DescribeCertificate", f"shows ExpiryDateTime {exp:%Y-%m-%d %H:%M:%S}, the certificate expires "
                   f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S}.", "")
    return r


def expect_deregistration_progress(sandbox: Sandbox, timeout: float) -> CheckResult:
    """CA-9: a deregistered certificate reads Deregistering (in the simulated world, where the
    delay is set; live AWS may be quicker than the first look), then Deregistered or is
    gone from the system, within the bounded wait."""
    r = CheckResult("procedure", "The deregistration shows Deregistering, then Deregistered")
    cid = sandbox.last_certificate_id
    if cid is None or sandbox.last is None or sandbox.last.operation != "DeregisterCertificate" or not sandbox.last.ok:
        r.fail("DeregisterCertificate", f"did not deregister: {sandbox.last.describe() if sandbox.last else '-'}", "")
        return r
    seen, took = sandbox.wait_deregistered(cid, timeout)
    r.evidence["states_seen"] = seen
    r.evidence["seconds"] = round(took, 3)
    if seen[-1] not in ("Deregistered", "gone"):
        r.fail(f"certificate {cid}", f"ended in {seen[-1]} after {took:.1f} s (states seen: {' -> '.join(seen)}).",
               "A deregistration must reach Deregistered; see the certificate's StateReason.")
    elif sandbox.env.simulated and seen[0] != "Deregistering":
        r.fail(f"certificate {cid}", f"was never Deregistering (states seen: {' -> '.join(seen)}) although the "
               "simulated service was set to take time.", "Fix the simulation of DeregisterCertificate.")
    return r


def expect_listed(sandbox: Sandbox, listed: bool, timeout: float = 0.0) -> CheckResult:
    """The last certificate is (still) listed, or no longer listed.  For "no longer", a
    certificate still ``Deregistering`` is waited for, at most ``timeout`` seconds; the
    states seen are evidence."""
    r = CheckResult("procedure", "The certificate is " + ("still listed" if listed else "no longer listed"))
    cid = sandbox.last_certificate_id
    if not listed and cid is not None and timeout > 0:
        seen, took = sandbox.wait_deregistered(cid, timeout)
        r.evidence["deregistration_states_seen"] = seen
        r.evidence["waited_seconds"] = round(took, 3)
    items = sandbox.list_certificates()
    present = [i for i in items if i.get("CertificateId") == cid and i.get("State") not in ("Deregistered",)]
    r.evidence["list_certificates"] = items
    if bool(present) != listed:
        r.fail(f"certificate {cid}", "is listed" if present else "is not listed",
               "DeregisterCertificate did not behave as documented.")
    return r


def expect_client_auth(sandbox: Sandbox, auth_type: str, status: str) -> CheckResult:
    r = CheckResult("procedure", f"The client authentication settings show {auth_type} {status}")
    settings = sandbox.client_auth_settings()
    r.evidence["settings"] = settings
    got = [s.get("Status") for s in settings if s.get("Type") == auth_type]
    if status == "Disabled":
        ok = not got or all(g == "Disabled" for g in got)
    else:
        ok = status in got
    if not ok:
        r.fail(f"directory {sandbox.directory_id}", f"shows {auth_type} as {got or 'absent'}, expected {status}.",
               "DescribeClientAuthenticationSettings does not reflect the last change.")
    return r
