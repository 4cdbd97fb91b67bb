"""The PKI side of one environment (a profile): its user certificates, its CA set, the
OCSP URLs registered with its CAs, the resolver, and the revocation process for each
user certificate. The step glue calls these; the logic stays in ``checks``,
``ocsp`` and ``ocsp_checks``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509

from ..checks import CheckResult, Status
from ..errors import EnvironmentProblem
from . import CertEntry, Pki
from . import build as _build
from . import certs as C
from . import checks as K
from . import ocsp as O
from . import ocsp_checks as OC
from .resolver import Endpoint, MapResolver, Resolver, simulated_resolver
from .responder import ResponderProcess

def _match_registration(reg: dict[str, Any], certs: list[x509.Certificate]) -> x509.Certificate | None:
    from cryptography.x509.oid import NameOID

    exp = reg.get("ExpiryDateTime")
    for cert in certs:
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not cns or cns[0].value != reg.get("CommonName"):
            continue
        if isinstance(exp, datetime):
            exp_utc = exp if exp.tzinfo else exp.replace(tzinfo=cert.not_valid_after_utc.tzinfo)
            if abs((exp_utc - cert.not_valid_after_utc).total_seconds()) >= 2:
                continue
        return cert
    return None


def card_user_entries(slot_certs) -> list[CertEntry]:
    """CertEntry objects for certificates read from a card (``hardware`` SlotCert-like:
    ``.slot``, ``.cert``)."""
    out = []
    for sc in slot_certs:
        pem = C.to_pem(sc.cert)
        out.append(CertEntry(f"card {sc.slot}", sc.cert, pem, Path(f"card-slot-{sc.slot}.pem"), kind="user"))
    return out


#: Registration URLs of the OCSP process scenarios (the model rows), by name.
MODEL_REGISTRATION_URLS = {
    "test responder": _build.DEFAULT_OCSP_URL,
    "none": "",
    "silent responder": "http://ocsp-silent.pki.example.com/",
    "unresolvable name": "http://ocsp.unresolvable.pki.example.com/",
}


@dataclass
class Registration:
    """A CA certificate registered on the directory, as far as the PKI checks need it."""

    label: str
    cert: x509.Certificate | None
    ocsp_url: str
    source: str


class PkiEnvironment:
    def __init__(self, profile, pki: Pki, responder: ResponderProcess | None = None, *,
                 now: datetime | None = None, directory_registrations: list[dict[str, Any]] | None = None,
                 card_users: list[CertEntry] | None = None):
        self.profile = profile
        self.pki = pki
        self.responder = responder
        self.now = now
        #: The directory's ClientCertAuth registrations as AWS reports them
        #: (ListCertificates + DescribeCertificate), when the directory could be read.
        self.directory_registrations = directory_registrations
        #: User certificates read from the card under test, when they come from the card.
        self.card_users = card_users
        self._traces: dict[str, O.RevocationTrace] = {}

    @property
    def section(self):
        return self.profile.pki

    # --- OCSP context and resolver ------------------------------------------------------
    def _endpoints(self) -> tuple[Endpoint | None, Endpoint | None]:
        return O.responder_endpoints(self.responder, self.section.silent_wait_seconds)

    @cached_property
    def ocsp(self) -> O.OcspContext:
        """The OCSP context of this environment (``[pki]``, its responder, its moment),
        built once, on first use (the responder is running by then)."""
        return O.OcspContext.from_section(self.section, self.responder, moment=self.now)

    @property
    def resolver(self) -> Resolver:
        return self.ocsp.resolver

    def model_resolver(self) -> MapResolver:
        """The fixed simulated resolver of the OCSP process scenarios."""
        responder, silent = self._endpoints()
        if responder is None:
            raise EnvironmentProblem("the local OCSP responder is not running (it is started by the suite in the "
                                     "generated-PKI world)")
        return simulated_resolver({"ocsp.pki.example.com": "responder", "ocsp-silent.pki.example.com": "silent"},
                                  responder, silent)

    # --- certificates ------------------------------------------------------------------
    @property
    def cas(self) -> list[CertEntry]:
        return self.pki.ca_chain

    @property
    def users(self) -> list[CertEntry]:
        return self.card_users if self.card_users is not None else self.pki.users

    def issuer_of(self, cert: x509.Certificate) -> x509.Certificate:
        entry = self.pki.issuer_of(cert)
        if entry is None:
            raise EnvironmentProblem(
                f"the issuer of {C.describe(cert)} ('{cert.issuer.rfc4514_string()}') is not among the CA "
                "certificates of the profile: the OCSP request needs it. Fix: add it to [pki] ca_bundle.")
        return entry.cert

    def root_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        res = K.build_chain(cert, [e.cert for e in self.cas], now=K._inside(cert, self.now))
        if res.complete and res.path:
            return res.path[-1]
        roots = [e.cert for e in self.cas if C.is_self_signed(e.cert)]
        return roots[0] if len(roots) == 1 else None

    # --- registrations (where the fallback OCSP URL comes from) --------------------------
    def registrations(self) -> list[Registration]:
        if self.directory_registrations is not None:
            return self._registrations_from_directory()
        aws = getattr(self.profile, "values", {}).get("aws")
        if aws is None:
            return []
        if not getattr(aws, "simulated", False):
            # Live: ListCertificates/DescribeCertificate give the OCSP URL per certificate
            # but not the certificate body; the profile states the URL registered.
            if aws.ocsp_url:
                return [Registration("the CA registration ([aws] ocsp_url)", None, aws.ocsp_url, "profile")]
            return []
        out = []
        for reg in aws.certificates:
            if reg.type != "ClientCertAuth" or reg.state != "Registered":
                continue
            cert = self._registration_cert(reg.source)
            label = f"registration of '{C.subject(cert)}'" if cert is not None else f"registration of {reg.source}"
            out.append(Registration(label, cert, reg.ocsp_url, reg.source))
        return out

    def _registrations_from_directory(self) -> list[Registration]:
        """The registrations read from the directory (simulated or live alike). The API
        returns no certificate body: each is matched to a CA file of the profile by
        common name and expiry, as an administrator would."""
        known = [self.pki.get(n) for n in self.pki.names()]
        out = []
        for reg in self.directory_registrations or []:
            if reg.get("Type", "ClientCertAuth") != "ClientCertAuth" or reg.get("State") != "Registered":
                continue
            cert = _match_registration(reg, [e.cert for e in known])
            url = (reg.get("ClientCertAuthSettings") or {}).get("OCSPUrl", "") or ""
            label = (f"registration of '{C.subject(cert)}'" if cert is not None
                     else f"registration of '{reg.get('CommonName', '?')}' ({reg.get('CertificateId', '?')})")
            out.append(Registration(label, cert, url, "directory"))
        return out

    def _registration_cert(self, source: str) -> x509.Certificate | None:
        if source.startswith("pki:"):
            try:
                return self.pki.get(source[4:]).cert
            except KeyError:
                return None
        p = Path(source)
        if not p.is_absolute() and getattr(self.profile, "path", None):
            p = Path(self.profile.path).parent / p
        try:
            return C.load_certificate(p.read_bytes(), str(p))
        except (OSError, C.CertificateFormatError):
            return None

    def registration_url_for(self, user_cert: x509.Certificate) -> tuple[str, str]:
        """The fallback OCSP URL for ``user_cert``: the one given at *root* CA
        registration (S-PREREQ), and where it comes from."""
        regs = self.registrations()
        if regs and regs[0].source == "profile":
            return regs[0].ocsp_url, regs[0].label
        root = self.root_of(user_cert)
        for reg in regs:
            if root is not None and reg.cert == root:
                return reg.ocsp_url, f"the root CA's {reg.label}"
        where = f"the root CA's registration ('{C.subject(root)}')" if root is not None else "the root CA's registration"
        return "", where + " (the root CA is not registered)"

    # --- OCSP ----------------------------------------------------------------------------
    def trace(self, entry: CertEntry) -> O.RevocationTrace:
        key = entry.name
        if key not in self._traces:
            cert = entry.cert
            url, where = self.registration_url_for(cert)
            self._traces[key] = O.check_revocation(self.ocsp, cert, self.issuer_of(cert), url,
                                                   registered_where=where)
        return self._traces[key]

    def model_trace(self, cert_name: str, registered: str) -> O.RevocationTrace:
        """The documented process for one row of the OCSP process scenarios: the PKI's
        certificate ``cert_name``, the registration URL named ``registered`` (a key of
        :data:`MODEL_REGISTRATION_URLS`, or a URL), through the fixed model resolver,
        waiting at most 1 s per responder. Raises :class:`EnvironmentProblem` when the
        local responder is not running."""
        cert = self.pki.get(cert_name).cert
        url = MODEL_REGISTRATION_URLS.get(registered, registered)
        ctx = replace(self.ocsp, resolver=self.model_resolver(), timeout=min(self.ocsp.timeout, 1.0))
        return O.check_revocation(ctx, cert, self.issuer_of(cert), url)

    def ocsp_urls(self) -> list[tuple[str, str]]:
        """Every OCSP URL the process may use: AIA URLs of the user certificates and the
        URLs given at registration."""
        out = []
        for u in self.users:
            for url in C.aia(u.cert).ocsp:
                out.append((f"AIA of {C.describe(u.cert)}", url))
        for reg in self.registrations():
            if reg.ocsp_url:
                out.append((reg.label, reg.ocsp_url))
        return out

    def ocsp_results(self, entry: CertEntry) -> dict[str, CheckResult]:
        return OC.all_results(self.trace(entry), self.profile.profile.authentication)

    def revocation_result(self, traces: list[O.RevocationTrace], rid: str) -> CheckResult:
        """``rid`` (OCSP-1..4, OCSP-6, OCSP-7) judged on the revocation checks of the users'
        certificates (``traces``, from :meth:`trace`): one result, every certificate's
        findings in it; skipped when there is no certificate to judge."""
        from ..checks import merge

        results = [OC.all_results(t, self.profile.profile.authentication)[rid] for t in traces]
        if not results:
            return CheckResult(rid).skip("there is no user certificate to judge")
        return results[0] if len(results) == 1 else merge(rid, results=results)

    # --- the OCSP process rows (model) ------------------------------------------------------
    def expect_model_url_rules(self, cert_name: str, registered: str, meet: bool) -> CheckResult:
        """A model row: the OCSP URLs of test certificate ``cert_name`` (AIA) and of the
        registration named ``registered`` (:data:`MODEL_REGISTRATION_URLS`) meet the OCSP-5
        rules (HTTP, a DNS name under an IANA root zone TLD) when ``meet``, break them
        otherwise. The OCSP-5 findings are in the evidence."""
        urls = [("AIA", u) for u in C.aia(self.pki.get(cert_name).cert).ocsp]
        reg = MODEL_REGISTRATION_URLS.get(registered, registered)
        if reg:
            urls.append(("registration", reg))
        rules = OC.check_urls(urls)
        r = CheckResult("model", "The OCSP URLs meet the HTTP and IANA root zone rules" if meet
                        else "The OCSP URLs break the HTTP and IANA root zone rules")
        r.evidence["OCSP-5 URL rules"] = {"urls": urls, "findings": [f.render() for f in rules.findings]}
        if (rules.status is Status.PASSED) != meet:
            found = "; ".join(f.render() for f in rules.findings) or "no rule broken"
            r.fail(f"the OCSP URLs of {cert_name}", f"were expected to {'meet' if meet else 'break'} the rules: {found}.",
                   "The test PKI's certificate or the row's registration URL is not what the row says: fix the row "
                   "or the test PKI (wscard/pki/build.py).")
        return r

    def check_ocsp_urls(self) -> CheckResult:
        return OC.check_urls(self.ocsp_urls(), self.resolver, check_reachability=self.section.resolver == "system")

    # --- certificate checks -------------------------------------------------------------
    def _readable_users(self) -> list[CertEntry]:
        """The user certificates; raises :class:`EnvironmentProblem` naming each user
        certificate file the harness cannot judge (unreadable, or read only by a tolerant
        parser), so that UC-1..UC-4 never pass over a certificate they did not see."""
        if self.card_users is None:
            problems = [f"{f.source}: {u}" for kind, f in self.pki.files if kind == "user" for u in f.unreadable]
            problems += [f"{f.source}: holds no certificate" for kind, f in self.pki.files
                         if kind == "user" and not f.certificates and not f.unreadable]
            problems += [f"{c.label}: {c.parse_problem}" for c in self.pki.unparsed("user")]
            if problems:
                raise EnvironmentProblem(
                    "the harness cannot judge these user certificates: " + "; ".join(problems)
                    + ". Fix: give each user certificate as PEM or DER in [pki] user_certificates.")
        return self.users

    def user_results(self, rid: str) -> CheckResult:
        from ..checks import merge

        cas = [e.cert for e in self.cas] + list(self.pki.unparsed("ca"))
        fn = {
            "UC-1": lambda c: K.check_upn(c, self.section.upn),
            "UC-2": K.check_client_auth_eku,
            "UC-3": K.check_smart_card_logon_eku,
            "UC-4": lambda c: K.check_chain_and_validity(c, cas, now=self.now),
            "UC-8": K.check_key_algorithm,
        }[rid]
        users = self._readable_users()
        if not users:
            return CheckResult(rid).skip("there is no user certificate to judge")
        results = [fn(u.cert) for u in users]
        if len(results) == 1:
            return results[0]
        return merge(rid, results=results)

    def ca_result(self, rid: str) -> CheckResult:
        """CA-3, CA-4, CA-5 or CA-7 judged on the CA files (one implementation each, in
        :mod:`wscard.pki.checks`; the AD Connector feature calls this too)."""
        return ca_file_result(self.pki, rid, users=[u.cert for u in self._readable_users()] if rid == "CA-5" else (),
                              now=self.now)

    def ca_summary(self) -> list[dict[str, Any]]:
        return K.ca_entries_summary(self.pki.ca_certificates, self.now)


def expect_model_branch(trace: O.RevocationTrace, branch: str, used: str) -> CheckResult:
    """A model row: the documented revocation process (S-PREREQ) ends in ``branch``
    ("OCSP-1".."OCSP-7") using the ``used`` URL ("aia", "registration", or "no")."""
    r = CheckResult("model", f"The revocation check ends in the {branch} branch using the {used} URL")
    want = "" if used == "no" else used
    if (trace.branch, trace.used_source) != (branch, want):
        r.fail(trace.certificate, f"the revocation check ends in the {trace.branch} branch using the "
                                  f"{trace.used_source or 'no'} URL, not as documented: {O.describe_outcome(trace)}",
               "See the revocation process attached: the responder or the name resolution does not behave as the "
               "row expects.")
    return r


def expect_model_result(trace: O.RevocationTrace, result: str) -> CheckResult:
    """A model row: the revocation result is ``result`` ("good", "revoked", "unknown",
    "failed", a :class:`~wscard.pki.ocsp.RevocationResult` value). Raises ValueError for
    any other ``result`` (a typo in the feature)."""
    r = CheckResult("model", f"The revocation result is {result!r}")
    try:
        wanted = O.RevocationResult(result)
    except ValueError:
        raise ValueError(f"unknown revocation result {result!r}: good, revoked, unknown or failed") from None
    if trace.result is not wanted:
        r.fail(trace.certificate, f"the revocation result is '{trace.result}', not {result!r}: "
                                  f"{O.describe_outcome(trace)}",
               "See the revocation process attached: the responder does not answer as the row expects.")
    return r


def ca_file_result(pki: Pki, rid: str, *, users=(), now: datetime | None = None) -> CheckResult:
    """One CA requirement judged on the PKI's CA files: CA-3 (every certificate of the CA
    files and what else is in them), CA-4 and CA-7 (the CA certificates, those only a
    tolerant parser reads included), CA-5 (``users``' chains among them)."""
    cas = list(pki.ca_chain) + list(pki.unparsed("ca"))
    if rid == "CA-3":
        return K.check_ca_format(pki.ca_certificates, [f for kind, f in pki.files if kind == "ca"])
    if rid == "CA-4":
        return K.check_ca_expiry(cas, now=now)
    if rid == "CA-5":
        return K.check_ca_chain(list(users), cas, now=now)
    if rid == "CA-7":
        return K.check_ca_signatures(cas)
    raise KeyError(rid)
