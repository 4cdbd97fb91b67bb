"""Proof that delegation works at the KDC, not just that attributes are set.

With MIT Kerberos' command-line tools, a private ``KRB5_CONFIG`` and a private ticket
cache (nothing from /etc/krb5.conf, no default keytab):

1. ``kinit -f <service account>`` (the password is written to kinit's standard input,
   never on a command line);
2. ``kvno -U <user> <service account>``: S4U2Self, a ticket to itself on behalf of the
   user, without the user's password (protocol transition);
3. ``kvno -U <user> -P ldap/<dc>``: S4U2Proxy, a ticket to the domain controller's ldap
   service on behalf of the user (constrained delegation), for every domain controller;
4. the same to a service that is not listed, which the KDC must refuse.

The KRB5_TRACE of the whole exchange is kept for the report, with key fingerprints
masked (it never holds a password).
"""

from __future__ import annotations

import enum
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

from .. import lifetime
from ..errors import EnvironmentProblem
from ..report.redact import redact_text
from .target import DirectoryTarget, Secret

TOOLS = ("kinit", "kvno", "kdestroy", "klist")
INSTALL_HINT = "apt-get install --no-install-recommends krb5-user"

_KEY_FINGERPRINT = re.compile(r"\b((?:aes|rc4|des|camellia)[A-Za-z0-9-]*)/[0-9A-Fa-f]{4}\b")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def mask_trace(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask the key fingerprints MIT prints in a trace (and any secret given)."""
    return redact_text(_KEY_FINGERPRINT.sub(r"\1/****", text), secrets)


class TicketOutcome(enum.StrEnum):
    """What the KDC answered to one ticket request (the value is what evidence shows)."""

    GRANTED = "granted"
    #: KDC policy refused it: KDC_ERR_BADOPTION / KDC_ERR_POLICY (MS-SFU 3.2.5.2.2).
    REFUSED = "refused"
    #: No shared encryption type: KDC_ERR_ETYPE_NOSUPP (RFC 4120 7.5.9).
    ETYPE = "etype"
    #: KDC_ERR_S_PRINCIPAL_UNKNOWN / KDC_ERR_C_PRINCIPAL_UNKNOWN.
    UNKNOWN_PRINCIPAL = "unknown-principal"
    #: Anything else (no KDC reached, a tool error).
    ERROR = "error"


@dataclass
class TicketRequest:
    """One ``kvno`` request and what the KDC answered (``outcome`` given as a
    :class:`TicketOutcome` or its value; any other value raises ValueError)."""

    service: str
    kind: str  # "S4U2Self" or "S4U2Proxy"
    outcome: TicketOutcome
    error: str = ""
    #: Encryption types of the ticket granted (``klist -e``), as MS-KILE names
    #: (``AES256_CTS_HMAC_SHA1_96``); empty when not granted or not read.
    ticket_enctype: str = ""
    session_enctype: str = ""

    def __post_init__(self) -> None:
        self.outcome = TicketOutcome(self.outcome)

    @property
    def granted(self) -> bool:
        return self.outcome is TicketOutcome.GRANTED


@dataclass
class DelegationProof:
    account: str
    user: str
    realm: str
    self_request: TicketRequest | None = None
    requests: list[TicketRequest] = field(default_factory=list)
    listed_service: str = ""
    unlisted_service: str = ""
    trace: str = ""
    skipped_because: str | None = None

    @property
    def self_failed(self) -> bool:
        return self.self_request is not None and not self.self_request.granted

    def for_service(self, service: str) -> TicketRequest | None:
        s = service.lower()
        for r in self.requests:
            if r.service.lower() == s:
                return r
        if self.self_failed:
            return self.self_request
        return None

    @property
    def listed(self) -> TicketRequest | None:
        return self.for_service(self.listed_service) if self.listed_service else None

    @property
    def unlisted(self) -> TicketRequest | None:
        if not self.unlisted_service or self.self_failed:
            return None
        return self.for_service(self.unlisted_service)

    def summary(self) -> dict:
        reqs = ([self.self_request] if self.self_request else []) + self.requests
        return {
            "service_account": f"{self.account}@{self.realm}",
            "on_behalf_of": f"{self.user}@{self.realm}",
            "requests": [
                {"kind": r.kind, "service": r.service, "outcome": r.outcome.value, **({"error": r.error} if r.error else {}),
                 **({"ticket_enctype": r.ticket_enctype, "session_key_enctype": r.session_enctype}
                    if r.ticket_enctype else {})}
                for r in reqs
            ],
        }


def classify(stderr: str) -> TicketOutcome:
    """The :class:`TicketOutcome` of a refused ``kvno`` from its error text (MIT krb5's
    messages for the KDC error codes)."""
    s = stderr.lower()
    if "no support for encryption type" in s or "etype_nosupp" in s or "etype nosupp" in s:
        return TicketOutcome.ETYPE
    if "can't fulfill requested option" in s or "kdc policy rejects" in s or "not allowed to delegate" in s \
            or "badoption" in s:
        return TicketOutcome.REFUSED
    if "server not found in kerberos database" in s or "client not found" in s:
        return TicketOutcome.UNKNOWN_PRINCIPAL
    return TicketOutcome.ERROR


def parse_klist(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """Parse ``klist -e`` (MIT): (service principal, client, lower-case) -> (session key
    enctype, ticket enctype). The client is the default principal unless a ``for client``
    line names the user an S4U ticket was issued for. Lines it does not know are skipped."""
    from .model import mit_enctype

    out: dict[tuple[str, str], tuple[str, str]] = {}
    default = ""
    service = client = ""
    for line in text.splitlines():
        if line.startswith("Default principal:"):
            default = line.split(":", 1)[1].strip().lower()
            continue
        if line and not line[0].isspace() and re.match(r"\d", line):
            parts = line.split()
            service, client = (parts[-1].lower() if parts else ""), default
            continue
        stripped = line.strip()
        m = re.match(r"for client (\S+?),?(\s|$)", stripped)
        if m and service:
            client = m.group(1).rstrip(",").lower()
        m = re.search(r"Etype \(skey, tkt\):\s*([^,]+),\s*(\S+)", stripped)
        if m and service:
            out[(service, client)] = (mit_enctype(m.group(1)), mit_enctype(m.group(2)))
    return out


def krb5_conf(realm: str, kdcs: list[str], timeout: float) -> str:
    lines = [
        "[libdefaults]",
        f"\tdefault_realm = {realm}",
        f"\tdns_lookup_kdc = {'false' if kdcs else 'true'}",
        "\tdns_lookup_realm = false",
        "\trdns = false",
        "\tdns_canonicalize_hostname = false",
        "\tforwardable = true",
        "\tudp_preference_limit = 1",
        f"\tkdc_timeout = {max(1, int(timeout))}s",
        "\tmax_retries = 1",
        "",
        "[realms]",
        f"\t{realm} = {{",
    ]
    lines += [f"\t\tkdc = {k}" for k in kdcs]
    lines += ["\t}", ""]
    return "\n".join(lines)


class KerberosClient:
    """MIT Kerberos tools in a private directory (config, ticket cache, trace)."""

    def __init__(self, realm: str, kdcs: list[str], timeout: float = 10.0):
        missing = missing_tools()
        if missing:
            raise EnvironmentProblem(f"MIT Kerberos tools not found ({', '.join(missing)}): {INSTALL_HINT}")
        self.realm = realm
        self.timeout = timeout
        # holds the ticket cache: removed by the run's watchdog if the run dies
        self.dir = lifetime.private_dir("wscard-krb5-")
        (self.dir / "krb5.conf").write_text(krb5_conf(realm, kdcs, timeout))
        self.trace_path = self.dir / "trace.log"
        self._secrets: tuple[str, ...] = ()

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "KRB5_CONFIG": str(self.dir / "krb5.conf"),
            "KRB5CCNAME": f"FILE:{self.dir / 'ccache'}",
            "KRB5_KTNAME": f"FILE:{self.dir / 'no.keytab'}",
            "KRB5_CLIENT_KTNAME": f"FILE:{self.dir / 'no.keytab'}",
            "KRB5_TRACE": str(self.trace_path),
        }

    def _run(self, args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
        with open(self.trace_path, "a") as fh:
            fh.write(f"\n$ {' '.join(args)}\n")
        try:
            return subprocess.run(args, input=stdin, capture_output=True, text=True, env=self.env(),
                                  timeout=self.timeout * 3 + 5, cwd=self.dir)
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(f"{args[0]} did not finish within {self.timeout * 3 + 5:g} s "
                                     "(is the KDC reachable?)") from None

    def kinit(self, principal: str, password: Secret) -> None:
        self._secrets = (password.reveal(),)
        p = self._run(["kinit", "-f", principal], stdin=password.reveal() + "\n")
        if p.returncode != 0:
            err = mask_trace(p.stderr.strip(), self._secrets)
            hint = ""
            low = err.lower()
            if "preauthentication failed" in low or "password incorrect" in low:
                hint = " Fix: check the service account's password (the variable named by [ad].service_password_env)."
            elif "cannot contact any kdc" in low or "cannot find kdc" in low:
                hint = " Fix: make the KDC reachable (port 88) or list it in [ad].kdc."
            raise EnvironmentProblem(f"kinit as {principal} failed: {err}.{hint}")

    def kvno(self, service: str, user: str, proxy: bool) -> TicketRequest:
        args = ["kvno", "-U", user] + (["-P", service] if proxy else [service])
        p = self._run(args)
        kind = "S4U2Proxy" if proxy else "S4U2Self"
        if p.returncode == 0:
            return TicketRequest(service, kind, TicketOutcome.GRANTED)
        err = mask_trace(p.stderr.strip().removeprefix("kvno: "), self._secrets)
        return TicketRequest(service, kind, classify(err), err)

    def tickets(self) -> dict[tuple[str, str], tuple[str, str]]:
        """The ticket cache as ``klist -e`` shows it: (service principal, client it was
        issued for, both lower-case) -> (session key enctype, ticket enctype) as MS-KILE
        names. Empty when klist fails."""
        p = self._run(["klist", "-e"])
        return parse_klist(p.stdout) if p.returncode == 0 else {}

    def trace(self) -> str:
        try:
            text = self.trace_path.read_text(errors="replace")
        except OSError:
            return ""
        return mask_trace(text, self._secrets)

    def close(self) -> None:
        try:
            subprocess.run(["kdestroy", "-q"], env=self.env(), capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        lifetime.remove(self.dir)


def _read_enctypes(client: KerberosClient, proof: DelegationProof, realm: str) -> None:
    """Fill each granted request's ticket and session key enctypes from ``klist -e``."""
    granted = [q for q in ([proof.self_request] if proof.self_request else []) + proof.requests if q.granted]
    if not granted:
        return
    cache = client.tickets()
    user = f"{proof.user}@{realm}".lower()
    for q in granted:
        svc = q.service.lower()
        if "@" not in svc:
            svc = f"{svc}@{realm.lower()}"
        found = cache.get((svc, user))
        if found:
            q.session_enctype, q.ticket_enctype = found


def prove_delegation(target: DirectoryTarget, account_sam: str, ldap_services: list[str],
                     listed_service: str, unlisted_service: str, kdcs: list[str]) -> DelegationProof:
    """Run the S4U2Self + S4U2Proxy proof. Missing preconditions (no test user, no
    password) give a proof with ``skipped_because`` set."""
    proof = DelegationProof(account_sam, target.test_user, target.realm, listed_service=listed_service,
                            unlisted_service=unlisted_service)
    if not target.delegation_proof:
        proof.skipped_because = "the delegation proof is turned off ([ad].delegation_proof = false)"
        return proof
    if not target.test_user:
        proof.skipped_because = "no user to act for: set [ad].test_user to prove delegation at the KDC"
        return proof
    if target.service_password is None:
        proof.skipped_because = target.service_password_missing or "the service account's password is unknown"
        return proof
    missing = missing_tools()
    if missing:
        proof.skipped_because = f"MIT Kerberos tools not found ({', '.join(missing)}): {INSTALL_HINT}"
        return proof
    client = KerberosClient(target.realm, kdcs, target.timeout)
    try:
        principal = f"{account_sam}@{target.realm}"
        client.kinit(principal, target.service_password)
        proof.self_request = client.kvno(principal, target.test_user, proxy=False)
        if proof.self_request.granted:
            seen = set()
            for svc in [*ldap_services, unlisted_service]:
                if svc and svc.lower() not in seen:
                    seen.add(svc.lower())
                    proof.requests.append(client.kvno(svc, target.test_user, proxy=True))
        _read_enctypes(client, proof, target.realm)
        proof.trace = client.trace()
    finally:
        client.close()
    return proof
