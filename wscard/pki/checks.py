"""Certificate checks as pure functions over certificates (no AWS, no pytest).

* CA set, from the certificate side (the AWS checks call these for the registered
  certificates; the PKI features call them for the CA bundle): CA-3 (PEM, a CA
  certificate), CA-4 (more than 90 days to expiry), CA-5 (the chain from the issuing CA
  to the root is complete), CA-7 (no RSASSA-PSS).
* User certificates: UC-1 (UPN in the SAN), UC-2 (Client Authentication EKU), UC-3
  (Smart Card Logon EKU), UC-4 (chains to the CA set, within its validity period).
* KCD-4: a domain controller certificate carries the KDC Authentication EKU.

CA-3 and CA-7 are judged here once, for the PKI feature and the AD Connector feature
alike; the certificates may be ones only a tolerant parser reads (asn1crypto, see
:mod:`wscard.pki.certs`). No check lets a parse error escape: what it cannot read is its
finding (CA-3) or an :class:`~wscard.errors.EnvironmentProblem` naming the source.

Path building and validation use pyhanko-certvalidator (no hand-written chain walker);
every function takes ``now`` so tests fix the validation time. Each failure names the
certificate (subject, serial), the rule, and the fix.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from cryptography import x509

from ..checks import CheckResult
from ..errors import EnvironmentProblem
from . import certs as C
from .certs import is_pem, signed_with_pss  # re-exported: part of the documented API

__all__ = [
    "is_pem", "signed_with_pss", "is_ca", "days_to_expiry", "build_chain", "ChainResult",
    "check_ca_format", "check_ca_expiry", "check_ca_chain", "check_ca_signatures",
    "check_upn", "check_client_auth_eku", "check_smart_card_logon_eku", "check_chain_and_validity",
    "check_user_certificate", "check_kdc_eku", "has_kdc_eku", "min_days_to_expiry",
    "aws_refusal_reasons", "CERTIFICATE_DATA_MAX_LENGTH",
]

is_ca = C.is_ca


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def _cert(obj: Any) -> Any:
    """The certificate of a check's input, as the certificate helpers take it: a
    ``cryptography`` certificate, or an asn1crypto one when only a tolerant parser reads it.

    Accepts a certificate, a CertEntry-like object (``.cert``), a
    :class:`~wscard.pki.certs.LoadedCertificate` or bytes (PEM, DER, PKCS#7: the first
    certificate). Data that cannot be read raises :class:`EnvironmentProblem` naming its
    source: a check judges certificates, it never lets a parse error escape."""
    if isinstance(obj, x509.Certificate):
        return obj
    if isinstance(obj, C.LoadedCertificate):
        return obj.view
    c = getattr(obj, "cert", None)
    if isinstance(c, x509.Certificate):
        return c
    if C._is_asn1(obj):
        return obj
    if isinstance(obj, (bytes, bytearray)):
        try:
            return C.load_certificates(bytes(obj))[0].view
        except C.CertificateFormatError as exc:
            raise EnvironmentProblem(f"the certificate data cannot be read: {exc.reason}. Fix: give PEM, DER or "
                                     "PKCS#7 certificate data (see CA-3 for the CA files).") from None
    raise TypeError(f"not a certificate: {obj!r}")


def _user_cert(obj: Any) -> x509.Certificate:
    """A user (or domain controller) certificate: the checks of its extensions read it
    with ``cryptography``. One only a tolerant parser reads raises
    :class:`EnvironmentProblem` naming its file and the reason."""
    cert = _cert(obj)
    if isinstance(cert, x509.Certificate):
        return cert
    loaded = obj if isinstance(obj, C.LoadedCertificate) else None
    where = loaded.label if loaded is not None else C.describe(cert)
    why = loaded.parse_problem if loaded is not None else "the cryptography library refuses its encoding"
    raise EnvironmentProblem(f"{where}: the harness cannot judge this certificate's extensions: {why}. Fix: give the "
                             "certificate re-encoded by its issuer, or judge it with another tool.")


def min_days_to_expiry() -> int:
    """CA-4's documented margin (wscard/data/limits.toml)."""
    try:
        from ..limits import ca_limits

        return int(ca_limits()["min_days_to_expiry_at_registration"])
    except Exception:  # pragma: no cover - the limits file is part of the package
        return 90


def days_to_expiry(cert: Any, now: datetime | None = None) -> float:
    """Days (fractional) from ``now`` to the certificate's notAfter (negative: expired)."""
    return (C.not_after(_cert(cert)) - _now(now)).total_seconds() / 86400


# --- path building (pyhanko-certvalidator) ---------------------------------------------

@dataclass
class ChainResult:
    """The outcome of building and validating a path from a user certificate to a root
    among ``cas``. ``path``: issuing CA first, root last (empty when none was found)."""

    complete: bool
    path: list[x509.Certificate] = field(default_factory=list)
    #: why not: pyhanko-certvalidator's message (names the missing issuer, the expired
    #: certificate, the bad signature ...)
    error: str = ""
    #: pyhanko-certvalidator's error class name (PathBuildingError, ExpiredError ...)
    error_type: str = ""
    #: when a link is missing: the subject of the CA certificate that is missing
    missing: str = ""

    def describe_path(self) -> list[str]:
        return [C.subject(c) for c in self.path]


def _run(coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # called from inside an event loop
        return pool.submit(asyncio.run, coro).result()


def build_chain(user_cert: Any, cas: Iterable[Any], *, now: datetime | None = None) -> ChainResult:
    """Build and validate the path from ``user_cert`` to a self-signed root among ``cas``
    at time ``now`` (no network fetching, no revocation: that is OCSP's part)."""
    from asn1crypto import x509 as ax
    from pyhanko_certvalidator import CertificateValidator, ValidationContext

    leaf = _cert(user_cert)
    ca_certs = [_cert(c) for c in cas]
    conv = {}
    for c in ca_certs:
        conv[C.to_der(c)] = c
    roots = [ax.Certificate.load(C.to_der(c)) for c in ca_certs if C.is_self_signed(c)]
    others = [ax.Certificate.load(C.to_der(c)) for c in ca_certs if not C.is_self_signed(c)]
    if not C._is_asn1(leaf) and not isinstance(leaf, x509.Certificate):
        raise TypeError(f"not a certificate: {leaf!r}")
    ctx = ValidationContext(trust_roots=roots, other_certs=others, moment=_now(now), allow_fetching=False,
                            revocation_mode="soft-fail")
    validator = CertificateValidator(ax.Certificate.load(C.to_der(leaf)), validation_context=ctx)
    try:
        path = _run(validator.async_validate_path())
    except Exception as exc:  # pyhanko-certvalidator's PathBuildingError, ExpiredError ...
        msg = str(exc)
        missing = ""
        marker = 'no issuer matching "'
        if marker in msg:
            missing = msg.split(marker, 1)[1].split('"', 1)[0]
        return ChainResult(False, [], msg, type(exc).__name__, missing)
    certs = [conv.get(c.dump(), c) for c in path]
    # pyhanko lists root first, leaf last: turn it into issuing CA first, root last.
    leaf_der = C.to_der(leaf)
    chain = [c for c in reversed(certs) if C.to_der(c) != leaf_der]
    return ChainResult(True, chain)


# --- CA set (certificate side) -----------------------------------------------------------

def _label(obj: Any, cert: Any) -> str:
    loaded = obj if isinstance(obj, C.LoadedCertificate) else getattr(obj, "loaded", None)
    base = C.describe(cert) if cert is not None else "CA certificate data"
    if loaded is not None:
        return f"{base} from {loaded.label}"
    path = getattr(obj, "path", None)
    return f"{base} from {path}" if path else base


#: RegisterCertificate's CertificateData: 1..8192 characters (AWS Directory Service API
#: reference; the botocore model says the same).
CERTIFICATE_DATA_MAX_LENGTH = 8192

def _items(cas: Sequence[Any]) -> list[tuple[Any, Any, str]]:
    """(object, certificate view or None, encoding or problem) for CA-3: bytes are read
    here, each of their certificates judged; what cannot be read is kept with the reason."""
    out: list[tuple[Any, Any, str]] = []
    for obj in cas:
        if isinstance(obj, (bytes, bytearray)):
            found = C.read_certificates(bytes(obj))
            out += [(c, c.view, c.encoding) for c in found.certificates]
            out += [(None, None, u) for u in found.unreadable]
            if not found.certificates and not found.unreadable:
                out.append((None, None, "holds no certificate"))
            continue
        loaded = obj if isinstance(obj, C.LoadedCertificate) else getattr(obj, "loaded", None)
        if loaded is not None:
            out.append((obj, loaded.view, loaded.encoding))
            continue
        data = getattr(obj, "data", None)
        cert = _cert(obj)
        if data is None:
            out.append((obj, cert, "pem"))
        else:
            out.append((obj, cert, "pem" if C.is_pem(bytes(data)) else "der"))
    return out


def aws_refusal_reasons(certificate_data: str | bytes, *, now: datetime | None = None) -> list[str]:
    """The documented rules of RegisterCertificate that ``certificate_data`` breaks, as
    AWS would refuse it (empty: none). The rules of the call itself: at most 8192
    characters of CertificateData (API reference) and one certificate; then the CA rules
    the harness judges everywhere else, taken from the checks themselves (no copy of
    them): CA-3 (:func:`check_ca_format`: PEM, a CA certificate), CA-4
    (:func:`check_ca_expiry`: more than 90 days from expiry), CA-7
    (:func:`check_ca_signatures`: not RSASSA-PSS), each failure as the check words it
    (its subject and problem).
    Data that cannot be read is one reason too. Never raises for the data."""
    text = certificate_data.decode("utf-8", "replace") if isinstance(certificate_data, bytes) else certificate_data
    reasons = []
    found = C.read_certificates(text.encode("utf-8", "replace"), "the certificate data")
    if found.unreadable or not found.certificates:
        if len(text) > CERTIFICATE_DATA_MAX_LENGTH:
            reasons.append(_too_long(len(text)))
        reasons.append("it cannot be read as a certificate: " + ("; ".join(found.unreadable) or "no certificate"))
        return reasons
    if len(found.certificates) > 1:
        reasons.append(f"it holds {len(found.certificates)} certificates; a registration takes one")
    cert = found.certificates[0]
    judged = [check_ca_format([cert]), check_ca_expiry([cert], now=now), check_ca_signatures([cert])]
    rules = [f"{f.subject} {f.problem.rstrip('.')}" for r in judged for f in r.failures()]
    if len(text) > CERTIFICATE_DATA_MAX_LENGTH >= len(C.to_pem(cert.view)):
        reasons.append(_too_long(len(text)))  # the certificate fits (CA-3 says when not), the text around it does not
    return reasons + rules


def _too_long(length: int) -> str:
    return (f"it is {length} characters, over the {CERTIFICATE_DATA_MAX_LENGTH} characters RegisterCertificate's "
            "CertificateData takes (ValidationException)")


def check_ca_format(cas: Sequence[Any], files: Sequence[C.CertificateFile] = ()) -> CheckResult:
    """CA-3: each CA certificate file is what AD Connector registers: PEM text of one CA
    certificate (basicConstraints cA) within RegisterCertificate's 8192 characters.

    ``cas``: CertEntry-like objects (``.cert``, ``.data`` as shipped, ``.loaded``),
    :class:`~wscard.pki.certs.LoadedCertificate`, certificates or raw bytes.
    ``files``: the CA files as read (:class:`~wscard.pki.certs.CertificateFile`), for
    what is in them besides certificates. Two kinds of finding, told apart in the
    message: data the harness *cannot read* (fails: AD Connector refuses data that is
    not a certificate, InvalidCertificateException), and a certificate AWS *would refuse*
    by its documented rules (DER or PKCS#7 instead of PEM, over 8192 characters, not a
    CA). Junk outside the PEM blocks and non-certificate blocks are warnings; a
    certificate only a tolerant parser reads is judged, with a warning. Never raises for
    the data. Sources: AD Connector smart card prerequisites; RegisterCertificate API."""
    r = CheckResult("CA-3")
    formats = []
    for obj, cert, enc in _items(cas):
        if cert is None:
            r.fail("CA certificate data", f"cannot be read: {enc}. AD Connector refuses data that is not a "
                                          "certificate (InvalidCertificateException).",
                   "Export the CA certificate as Base64-encoded X.509 (.CER), i.e. PEM.")
            formats.append("unreadable")
            continue
        label = _label(obj, cert)
        loaded = obj if isinstance(obj, C.LoadedCertificate) else getattr(obj, "loaded", None)
        path = (loaded.source if loaded is not None else None) or getattr(obj, "path", None) or "CA.cer"
        stem = Path(str(path)).stem or "CA"
        formats.append(enc)
        if enc == "der":
            r.fail(label, "is not in PEM format (it is DER): AWS would refuse it, AD Connector accepts CA certificates "
                          "in PEM format only.",
                   f"Convert it: openssl x509 -inform DER -in {path} -out {stem}.pem (or export it from Windows as "
                   "'Base-64 encoded X.509 (.CER)').")
        elif enc.startswith("pkcs7"):
            inform = "DER" if enc == "pkcs7-der" else "PEM"
            r.fail(label, "is inside a PKCS#7 bundle (.p7b), not PEM: AWS would refuse the file, AD Connector takes "
                          "one PEM certificate per registration.",
                   f"Extract the certificates: openssl pkcs7 -inform {inform} -print_certs -in {path} -out "
                   f"{stem}.pem, and register each CA certificate's PEM block.")
        pem_len = len(C.to_pem(cert))
        if pem_len > CERTIFICATE_DATA_MAX_LENGTH:
            r.fail(label, f"is {pem_len} characters as PEM: AWS would refuse it, RegisterCertificate's "
                          f"CertificateData takes at most {CERTIFICATE_DATA_MAX_LENGTH} characters (ValidationException).",
                   "This CA certificate cannot be registered as it is: have the CA re-issued with fewer or shorter "
                   "extensions (policies, name constraints, URLs), or use a CA whose certificate fits.")
        if not C.is_ca(cert):
            r.fail(label, "is not a CA certificate (basicConstraints cA is not TRUE): AWS would refuse it "
                          "(InvalidCertificateException).",
                   "Register the issuing and root CA certificates, not a user or server certificate (take it out "
                   "of the CA bundle).")
        if loaded is not None and loaded.cert is None:
            r.warn(label, f"is read only by a tolerant parser: {loaded.parse_problem}. openssl and asn1crypto read "
                          "it and the harness judged it so; strict parsers refuse it, and whether AWS registers it "
                          "is not known to the harness.",
                   "Register it and check that it shows Registered (CA-2); if AWS refuses it, ask the CA's operator "
                   "for a certificate encoded as the RFC requires.")
    for f in files:
        for u in f.unreadable:
            r.fail(f"CA file {f.source}", f"cannot be read: {u}. AD Connector refuses data that is not a certificate "
                                          "(InvalidCertificateException).",
                   "Re-export the CA certificate as Base64-encoded X.509 (.CER), i.e. PEM.")
        if not f.certificates and not f.unreadable:
            r.fail(f"CA file {f.source}", "holds no certificate.", "Give the CA certificate files in [pki] ca_bundle.")
        for o in f.other_blocks:
            r.warn(f"CA file {f.source}", f"holds {o}.",
                   "Keep only CA certificates in the files to register (a private key never belongs there).")
        for j in f.junk:
            r.warn(f"CA file {f.source}", f"{j} (a certificate may be missing or damaged).",
                   "Remove the text, or check that no certificate was cut; text that tools write (subject=, "
                   "issuer=, Bag Attributes, # comments) is allowed.")
    r.evidence["formats"] = formats
    return r


def check_ca_expiry(cas: Sequence[Any], *, now: datetime | None = None, min_days: int | None = None) -> CheckResult:
    """CA-4: every CA certificate is more than ``min_days`` (90) days from expiry."""
    min_days = min_days_to_expiry() if min_days is None else min_days
    r = CheckResult("CA-4")
    left = {}
    for obj in cas:
        cert = _cert(obj)
        days = days_to_expiry(cert, now)
        left[C.subject(cert)] = round(days, 1)
        if days <= min_days:
            when = C.not_after(cert).date().isoformat()
            state = "has expired" if days < 0 else f"expires in {days:.0f} days"
            r.fail(_label(obj, cert), f"{state} ({when}); AD Connector only registers a CA certificate more than "
                                     f"{min_days} days away from expiration.",
                   "Renew the CA certificate (re-issue it with a later expiry) and register the renewed one.")
    r.evidence["days_to_expiry"] = left
    return r


def check_ca_chain(user_certs: Sequence[Any], cas: Sequence[Any], *, now: datetime | None = None) -> CheckResult:
    """CA-5: every CA certificate from each user certificate's issuing CA up to the root
    is in ``cas`` (a missing link fails, naming the missing CA)."""
    r = CheckResult("CA-5")
    paths = {}
    for obj in user_certs:
        user = _user_cert(obj)
        # Judge the chain at a moment inside the user certificate's validity period:
        # an expired user certificate is UC-4's business, not a missing CA.
        res = build_chain(user, cas, now=_inside(user, now))
        if res.complete:
            paths[C.subject(user)] = res.describe_path()
            continue
        if res.missing:
            r.fail(C.describe(user), f"its chain is incomplete: no CA certificate '{res.missing}' is among the "
                                     f"{len(cas)} CA certificates checked (every root and intermediate CA from "
                                     "the issuing CA up to the root must be registered).",
                   f"Register the CA certificate '{res.missing}' (and any CA above it up to the root).")
        else:
            r.fail(C.describe(user), f"no valid chain to a registered root: {res.error}",
                   "Register the issuing CA and every CA above it up to the root; check their validity.")
    r.evidence["paths"] = paths
    return r


def _inside(cert: x509.Certificate, now: datetime | None) -> datetime:
    now = _now(now)
    nb, na = C.not_before(cert), C.not_after(cert)
    if nb <= now <= na:
        return now
    return nb + (na - nb) / 2


def check_ca_signatures(cas: Sequence[Any]) -> CheckResult:
    """CA-7: no CA certificate is signed with RSASSA-PSS (AD Connector does not support
    it for CA certificates). Items as :func:`check_ca_format`; data that cannot be read
    raises :class:`EnvironmentProblem` naming it (CA-3 reports it)."""
    r = CheckResult("CA-7")
    algs = {}
    for obj in cas:
        cert = _cert(obj)
        algs[C.subject(cert)] = C.signature_algorithm(cert)[1]
        if signed_with_pss(cert):
            r.fail(_label(obj, cert), "is signed with RSASSA-PSS: AWS would refuse it, AD Connector does not support "
                                      "RSASSA-PSS for CA certificates.",
                   "Have its issuer re-sign it with RSASSA-PKCS1-v1_5 (e.g. sha256WithRSAEncryption) or ECDSA, and "
                   "register the new certificate.")
    r.evidence["signature_algorithms"] = algs
    return r


# --- user certificates -------------------------------------------------------------------

def check_upn(cert: Any, expected_upn: str = "") -> CheckResult:
    """UC-1: the SAN carries the AD user's userPrincipalName (otherName 1.3.6.1.4.1.311.20.2.3)."""
    cert = _user_cert(cert)
    r = CheckResult("UC-1")
    found = C.upns(cert)
    r.evidence["upn_in_san"] = found
    if not found:
        r.fail(C.describe(cert), "has no userPrincipalName (otherName 1.3.6.1.4.1.311.20.2.3) in its "
                                 "subjectAltName; AD Connector requires the AD user's UPN there.",
               "Issue the certificate from a template that puts the user's UPN in the SAN "
               "(e.g. the Smartcard Logon template, 'User principal name (UPN)' in Subject Name).")
    elif expected_upn and expected_upn.lower() not in (u.lower() for u in found):
        r.fail(C.describe(cert), f"names UPN {', '.join(found)} in its subjectAltName, not the AD user's "
                                 f"userPrincipalName {expected_upn}.",
               "Issue the certificate for the AD account's userPrincipalName, or fix the UPN in the profile.")
    return r


def _check_eku(cert: Any, rid: str, oid: x509.ObjectIdentifier, name: str) -> CheckResult:
    cert = _user_cert(cert)
    r = CheckResult(rid)
    have = C.ekus(cert)
    r.evidence["extended_key_usage"] = [C.EKU_NAMES.get(o, o) for o in have or []]
    if have is None:
        r.fail(C.describe(cert), f"has no extended key usage extension; the {name} EKU ({oid.dotted_string}) is "
                                 "required.",
               f"Issue the certificate with the {name} EKU (e.g. from the Smartcard Logon template).")
    elif oid.dotted_string not in have:
        r.fail(C.describe(cert), f"lacks the {name} EKU ({oid.dotted_string}); it has: "
                                 f"{', '.join(C.EKU_NAMES.get(o, o) for o in have) or 'none'}.",
               f"Issue the certificate with the {name} EKU (e.g. from the Smartcard Logon template).")
    return r


def check_client_auth_eku(cert: Any) -> CheckResult:
    """UC-2: Client Authentication EKU (1.3.6.1.5.5.7.3.2)."""
    return _check_eku(cert, "UC-2", C.OID_CLIENT_AUTH, "Client Authentication")


def check_smart_card_logon_eku(cert: Any) -> CheckResult:
    """UC-3: Smart Card Logon EKU (1.3.6.1.4.1.311.20.2.2)."""
    return _check_eku(cert, "UC-3", C.OID_SMART_CARD_LOGON, "Smart Card Logon")


def check_chain_and_validity(cert: Any, cas: Sequence[Any], *, now: datetime | None = None) -> CheckResult:
    """UC-4: the user certificate is within its validity period and chains (pyhanko
    path validation) to the CA certificates ``cas``."""
    cert = _user_cert(cert)
    now = _now(now)
    r = CheckResult("UC-4")
    nb, na = C.not_before(cert), C.not_after(cert)
    r.evidence["validity"] = {"not_before": nb.isoformat(), "not_after": na.isoformat(), "checked_at": now.isoformat()}
    if now > na:
        r.fail(C.describe(cert), f"expired on {na.isoformat()} (it must be within its validity period).",
               "Issue a new certificate to the card.")
    elif now < nb:
        r.fail(C.describe(cert), f"is not valid before {nb.isoformat()} (it must be within its validity period).",
               "Wait until it becomes valid, or issue one valid now (check the issuing CA's clock).")
    res = build_chain(cert, cas, now=_inside(cert, now))
    r.evidence["path"] = res.describe_path()
    if not res.complete:
        target = f"'{res.missing}' is not among them" if res.missing else res.error
        r.fail(C.describe(cert), f"does not chain to the {len(cas)} CA certificates given: {target}.",
               "Register every CA certificate from the issuing CA up to the root (CA-5), or issue the user "
               "certificate from a registered CA.")
    return r


def check_key_algorithm(cert: Any) -> CheckResult:
    """UC-8: the certificate's key is RSA of ``rsa_min_bits`` (2048) bits or more, or ECC on
    P-256 or P-384 (NIST SP 800-78-5, PIV Authentication key; limits.toml ``[key_algorithms]``).
    Other curves (P-521), shorter RSA keys and other algorithms (Ed25519, DSA) fail."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from ..limits import key_algorithms

    rules = key_algorithms()
    cert = _cert(cert)
    r = CheckResult("UC-8")
    r.evidence["rule"] = {"rsa_min_bits": rules["rsa_min_bits"], "ec_curves": rules["ec_curves"],
                          "source": rules["url"], "quote": rules["quote"]}
    try:
        key = _public_key(cert)
    except ValueError as exc:
        return r.skip(f"{C.describe(cert)}: its public key cannot be read ({exc}); see CA-3 / UC-1 for the file")
    fix = ("Issue the logon certificate with an RSA 2048 (or 3072) or ECC P-256 / P-384 key "
           "(the PIV Authentication key sizes of NIST SP 800-78-5).")
    if isinstance(key, rsa.RSAPublicKey):
        r.evidence["key"] = f"RSA {key.key_size} bits"
        if key.key_size < rules["rsa_min_bits"]:
            r.fail(C.describe(cert), f"has an RSA key of {key.key_size} bits; at least {rules['rsa_min_bits']} "
                                     "bits are required.", fix)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        r.evidence["key"] = f"ECC {key.curve.name}"
        if key.curve.name not in rules["ec_curves"]:
            r.fail(C.describe(cert), f"has an ECC key on {key.curve.name}; only P-256 (secp256r1) and P-384 "
                                     "(secp384r1) are allowed.", fix)
    else:
        r.evidence["key"] = type(key).__name__
        r.fail(C.describe(cert), f"has a {type(key).__name__.replace('PublicKey', '')} key; only RSA and ECC "
                                 "(P-256, P-384) are allowed.", fix)
    return r


def _public_key(cert: Any):
    """The ``cryptography`` public key of a certificate read by either parser (an asn1crypto
    certificate's SubjectPublicKeyInfo is loaded on its own). Raises ValueError."""
    if hasattr(cert, "public_key") and callable(cert.public_key):
        return cert.public_key()
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        return load_der_public_key(cert["tbs_certificate"]["subject_public_key_info"].dump())
    except (KeyError, TypeError) as exc:
        raise ValueError(str(exc)) from None


def check_user_certificate(cert: Any, *, expected_upn: str, cas: Sequence[Any],
                           now: datetime | None = None) -> list[CheckResult]:
    """UC-1..UC-4 for one certificate."""
    return [check_upn(cert, expected_upn), check_client_auth_eku(cert), check_smart_card_logon_eku(cert),
            check_chain_and_validity(cert, cas, now=now)]


# --- domain controllers -----------------------------------------------------------------

def has_kdc_eku(cert: Any) -> bool:
    return C.OID_KDC_AUTH.dotted_string in (C.ekus(_user_cert(cert)) or [])


def check_kdc_eku(dc_certs: Sequence[tuple[str, Any]]) -> CheckResult:
    """KCD-4: each domain controller's certificate carries the KDC Authentication EKU.
    ``dc_certs``: (domain controller name, certificate) pairs."""
    r = CheckResult("KCD-4")
    for dc, obj in dc_certs:
        cert = _user_cert(obj)
        r.evidence[dc] = [C.EKU_NAMES.get(o, o) for o in C.ekus(cert) or []]
        if not has_kdc_eku(cert):
            r.fail(f"domain controller {dc}: {C.describe(cert)}",
                   "lacks the KDC Authentication EKU (1.3.6.1.5.2.3.5).",
                   "Enroll the domain controller for a certificate from the 'Kerberos Authentication' (or "
                   "'Domain Controller Authentication') template, which carries the KDC Authentication EKU.")
    return r


def ca_entries_summary(cas: Sequence[Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """Evidence: one line per CA certificate (data that cannot be read: its reason)."""
    out = []
    for obj, cert, enc in _items(cas):
        if cert is None:
            out.append({"unreadable": enc})
            continue
        loaded = obj if isinstance(obj, C.LoadedCertificate) else getattr(obj, "loaded", None)
        out.append({
            "subject": C.subject(cert),
            "serial": format(C.serial_number(cert), "X"),
            "not_after": C.not_after(cert).isoformat(),
            "days_to_expiry": round(days_to_expiry(cert, now), 1),
            "encoding": enc,
            "self_signed": C.is_self_signed(cert),
            "signature": C.signature_algorithm(cert)[1],
            "file": loaded.label if loaded is not None else str(getattr(obj, "path", "") or ""),
            **({"read_by": "asn1crypto", "why": loaded.parse_problem} if loaded is not None and loaded.cert is None
               else {}),
        })
    return out
