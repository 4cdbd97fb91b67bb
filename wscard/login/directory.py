"""The directory's side of the sign-in: a MODEL of AD Connector's documented validation
of the user's certificate (S-PREREQ, S-ADMIN), not AD Connector itself.

What is modelled, each check with the requirement that states the rule:

* proof of possession: the directory sends a fresh random challenge, the card signs it,
  the signature must verify with the certificate's public key (UC-6);
* the certificate chains to the CA certificates *registered on the directory*
  (ListCertificates + DescribeCertificate, state ``Registered``; the API returns no
  certificate body, so each registration is matched to the profile's CA files by
  common name and expiry, as :func:`wscard.aws.ad_connector.find_registration` does) and
  is within its validity period (CA-5 / UC-4);
* the user principal name is in the subjectAltName (UC-1);
* the Client Authentication and Smart Card Logon EKUs (UC-2, UC-3);
* the documented OCSP process, run by :class:`wscard.pki.environment.PkiEnvironment`
  with the OCSP URLs registered on that directory (OCSP-1..OCSP-7, pre-session rules).

Not modelled: Kerberos constrained delegation on the AD side (KCD-1..KCD-3 check it),
the mapping of the UPN to an enabled AD account, and anything AD Connector does that
the documents do not describe.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from cryptography import x509

from ..aws.ad_connector import DirectoryServiceSnapshot, common_name, find_registration
from ..errors import EnvironmentProblem
from ..pki import certs as C
from ..pki import checks as K
from ..pki.certs import verify_signature  # noqa: F401  (the one implementation; re-exported)
from ..pki.ocsp import RevocationResult
from .context import LoginContext

#: Bytes of the directory's random challenge.
CHALLENGE_BYTES = 32


@dataclass
class Rule:
    """One validation the directory applies to the certificate."""

    name: str
    requirement: str  # the requirement that states the rule ("see ...")
    passed: bool
    detail: str

    def as_evidence(self) -> dict[str, Any]:
        return {"rule": self.name, "requirement": self.requirement, "passed": self.passed, "detail": self.detail}


@dataclass
class DirectoryDecision:
    """What the modelled AD Connector decided about one certificate."""

    directory_id: str
    certificate: str
    rules: list[Rule] = field(default_factory=list)
    registered_cas: list[dict[str, Any]] = field(default_factory=list)
    revocation: dict[str, Any] | None = None
    #: the proof of possession: the directory's challenge, the card's signature, verified
    proof: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return all(r.passed for r in self.rules)

    @property
    def refusals(self) -> list[Rule]:
        return [r for r in self.rules if not r.passed]

    def as_evidence(self) -> dict[str, Any]:
        return {"directory": self.directory_id, "certificate": self.certificate, "accepted": self.accepted,
                "rules": [r.as_evidence() for r in self.rules], "proof_of_possession": self.proof,
                "registered_ca_certificates": self.registered_cas,
                **({"revocation_process": self.revocation} if self.revocation else {}),
                "seconds": round(self.seconds, 4)}


def proof_of_possession(cert: x509.Certificate, sign: Callable[[bytes], bytes],
                        challenge: bytes | None = None) -> tuple[Rule, dict[str, Any]]:
    """The directory's fresh random challenge, signed by the card, verified with the
    certificate's public key. ``sign(challenge)`` raises when the card cannot sign."""
    challenge = challenge if challenge is not None else os.urandom(CHALLENGE_BYTES)
    facts: dict[str, Any] = {"challenge": challenge.hex()}
    try:
        signature = sign(challenge)
    except EnvironmentProblem:
        raise
    except Exception as exc:  # the card session's NoCard, a PKCS#11 error...
        facts["error"] = f"{type(exc).__name__}: {exc}"
        return Rule("proof of possession", "UC-6", False, f"the card could not sign the challenge: {exc}"), facts
    facts["signature"] = signature.hex()
    ok = verify_signature(cert, challenge, signature)
    facts["verified"] = ok
    detail = ("the card's signature over a fresh random challenge verifies with the certificate's public key" if ok
              else "the card's signature over a fresh random challenge does not verify with the certificate's public "
                   "key: the key on the card does not match the certificate")
    return Rule("proof of possession", "UC-6", ok, detail), facts


def registered_ca_certificates(snap: DirectoryServiceSnapshot, ca_entries: Sequence[Any]) -> tuple[list[Any], list[dict]]:
    """The CA files whose registration on the directory is ``Registered`` (matched by
    common name and expiry), and a description of every ClientCertAuth registration."""
    used, described = [], []
    matched_ids = set()
    for entry in ca_entries:
        reg = find_registration(snap, entry)
        if reg is None:
            continue
        matched_ids.add(reg.get("CertificateId"))
        state = reg.get("State", "")
        described.append({"CertificateId": reg.get("CertificateId"), "CommonName": reg.get("CommonName"),
                          "State": state, "matched_file": getattr(entry, "name", common_name(entry.cert)),
                          "used_for_the_chain": state == "Registered"})
        if state == "Registered":
            used.append(entry)
    for reg in snap.client_cert_auth():
        if reg.get("CertificateId") not in matched_ids:
            described.append({"CertificateId": reg.get("CertificateId"), "CommonName": reg.get("CommonName"),
                              "State": reg.get("State", ""), "matched_file": None, "used_for_the_chain": False,
                              "note": "no CA file of the profile has this common name and expiry"})
    return used, described


def _chain_rule(cert: x509.Certificate, registered: Sequence[Any], ca_entries: Sequence[Any],
                now: datetime) -> Rule:
    nb, na = C.not_before(cert), C.not_after(cert)
    if now > na:
        return Rule("validity period", "UC-4", False, f"the certificate expired on {na.isoformat()}")
    if now < nb:
        return Rule("validity period", "UC-4", False, f"the certificate is not valid before {nb.isoformat()}")
    res = K.build_chain(cert, [e.cert for e in registered], now=now)
    if res.complete:
        return Rule("chain to the registered CA certificates", "CA-5", True,
                    "chains to the registered CA certificates: " + " -> ".join(res.describe_path()))
    known = K.build_chain(cert, [e.cert for e in ca_entries], now=now)
    if known.complete:
        missing = [C.subject(c) for c in known.path if not any(c == e.cert for e in registered)]
        return Rule("chain to the registered CA certificates", "CA-5", False,
                    f"does not chain to the CA certificates registered on the directory: "
                    f"{', '.join(repr(m) for m in missing)} {'is' if len(missing) == 1 else 'are'} not registered "
                    "(state Registered)")
    return Rule("chain to the registered CA certificates", "UC-4", False,
                f"does not chain to the registered CA certificates: {res.error or known.error}")


def validate(ctx: LoginContext, snap: DirectoryServiceSnapshot, user_entry: Any,
             sign: Callable[[bytes], bytes]) -> DirectoryDecision:
    """Model AD Connector's validation (S-PREREQ, S-ADMIN) of ``user_entry`` (a
    :class:`~wscard.pki.CertEntry`: the certificate chosen on the card) for the directory
    ``snap``, with the inputs of ``ctx``: proof of possession (UC-6; ``sign(challenge)``
    signs :data:`CHALLENGE_BYTES` random bytes with the card), the chain to the CA files
    of ``ctx.ca_entries`` registered on the directory and the validity period at
    ``ctx.now()`` (CA-5, UC-4), the UPN ``ctx.expected_upn`` (UC-1), the EKUs (UC-2,
    UC-3), and the documented OCSP process run by ``ctx.pki_environment`` with the
    directory's registrations (OCSP-1..OCSP-7 under ``ctx.authentication``).

    Returns the :class:`DirectoryDecision`, one :class:`Rule` per check. An OCSP process
    that cannot run (:class:`~wscard.errors.EnvironmentProblem`) is a refused rule; an
    ``EnvironmentProblem`` from ``sign`` or from building the PKI view propagates."""
    from ..pki.ocsp_checks import all_results

    pki_env = ctx.pki_environment(snap.client_cert_auth())
    t0 = time.perf_counter()
    cert = user_entry.cert
    now = ctx.now()
    decision = DirectoryDecision(snap.directory_id, C.describe(cert))
    rule, decision.proof = proof_of_possession(cert, sign)
    decision.rules.append(rule)
    registered, decision.registered_cas = registered_ca_certificates(snap, ctx.ca_entries)
    decision.rules.append(_chain_rule(cert, registered, ctx.ca_entries, now))
    for check in (K.check_upn(cert, ctx.expected_upn), K.check_client_auth_eku(cert),
                  K.check_smart_card_logon_eku(cert)):
        ok = not check.failures()
        detail = check.title if ok else "; ".join(f.problem for f in check.failures())
        decision.rules.append(Rule(check.title, check.requirement, ok, detail))
    try:
        trace = pki_env.trace(user_entry)
    except EnvironmentProblem as exc:
        decision.rules.append(Rule("revocation (OCSP)", "OCSP-6", False, f"the OCSP process could not run: {exc}"))
    else:
        decision.revocation = trace.as_evidence()
        if trace.result is RevocationResult.GOOD:
            decision.rules.append(Rule("revocation (OCSP)", trace.branch or "OCSP-1", True,
                                       f"OCSP answers good ({trace.used_source} URL {trace.used_url})"))
        else:
            failed = [rid for rid, r in all_results(trace, list(ctx.authentication)).items() if r.failures()]
            why = trace.because or trace.result
            decision.rules.append(Rule("revocation (OCSP)", ", ".join(failed) or "OCSP-6", False,
                                       f"the OCSP process ends '{trace.result}' ({why})"))
    decision.seconds = time.perf_counter() - t0
    return decision
