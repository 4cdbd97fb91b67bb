"""UC-7: strong certificate mapping (Microsoft KB5014754; MS-PKCA 3.1.5.2.1.5).

Since Full Enforcement (February 2025; compatibility mode removed September 2025) a
Windows KDC accepts a logon certificate only when it is *strongly* mapped to the account:

* the certificate's SID extension (1.3.6.1.4.1.311.25.2) holds the account's objectSid; a
  SID extension holding another SID is refused whatever else maps it (event 41); or
* the account's ``altSecurityIdentities`` holds a strong mapping of this certificate:
  ``X509IssuerSerialNumber``, ``X509SKI`` or ``X509SHA1PublicKey``.

The UPN in the subjectAltName, and the ``X509IssuerSubject``, ``X509SubjectOnly`` and
``X509RFC822`` mappings, are weak: alone they fail the Windows logon inside the WorkSpace
(the second PIN prompt).

The string forms are those Microsoft documents (KB5014754's table and examples; the
certificateUserIds page of Microsoft Entra for the same forms):

==========================  ==============================================================
X509IssuerSerialNumber      ``X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>1200000000AC11000000002B``:
                            the issuer in X.500 order (most significant RDN first, the
                            reverse of RFC 4514) and the serial number in *reversed byte
                            order*, hexadecimal
X509SKI                     ``X509:<SKI>`` and the Subject Key Identifier, hexadecimal
X509SHA1PublicKey           ``X509:<SHA1-PUKEY>`` and the SHA-1 hash of the certificate
                            (its thumbprint, as Microsoft's documentation says to use)
X509IssuerSubject (weak)    ``X509:<I>issuer<S>subject``
X509SubjectOnly (weak)      ``X509:<S>subject``
X509RFC822 (weak)           ``X509:<RFC822>user@example.com``
==========================  ==============================================================

Pure functions: no directory access (the account comes from :mod:`wscard.ad.ldap`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ..checks import CheckResult
from ..sid import read_sid_extension
from .model import Account

STRONG = ("X509IssuerSerialNumber", "X509SKI", "X509SHA1PublicKey")
WEAK = ("X509IssuerSubject", "X509SubjectOnly", "X509RFC822")


def x500_order(name: x509.Name) -> str:
    """A name as ``altSecurityIdentities`` writes it: RDNs most significant first
    (``DC=com,DC=contoso,CN=CONTOSO-DC-CA``), the reverse of RFC 4514."""
    return ",".join(rdn.rfc4514_string() for rdn in name.rdns)


def _rdns(name: x509.Name) -> list[str]:
    return [rdn.rfc4514_string() for rdn in name.rdns]


def serial_forward(cert: x509.Certificate) -> str:
    """The serial number as certificates show it (most significant byte first), hexadecimal."""
    h = format(cert.serial_number, "X")
    return h if len(h) % 2 == 0 else "0" + h


def serial_reversed(cert: x509.Certificate) -> str:
    """The serial number in reversed byte order, upper-case hexadecimal (the ``<SR>`` form)."""
    return bytes.fromhex(serial_forward(cert))[::-1].hex().upper()


def _serial_reading(text: str, serial: int) -> str:
    """``match`` when the hex ``text`` is ``serial`` in reversed byte order,
    ``serial-not-reversed`` when it is ``serial`` in certificate order, else ``other``."""
    t = re.sub(r"[\s:]", "", text or "")
    if len(t) % 2:
        t = "0" + t
    try:
        raw = bytes.fromhex(t)
    except ValueError:
        return "other"
    if raw and int.from_bytes(raw[::-1], "big") == serial:
        return "match"
    if raw and int.from_bytes(raw, "big") == serial:
        return "serial-not-reversed"
    return "other"


def ski_hex(cert: x509.Certificate) -> str:
    """The Subject Key Identifier in hexadecimal; "" when absent or unreadable."""
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex().upper()
    except (x509.ExtensionNotFound, ValueError):
        return ""


def thumbprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()


def public_key_sha1(cert: x509.Certificate) -> str:
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha1(spki).hexdigest().upper()


def mapping_values(cert: x509.Certificate) -> dict[str, str]:
    """The altSecurityIdentities value of each mapping kind for ``cert`` (the strong ones
    always; the weak ones where the certificate has what they need)."""
    out = {"X509IssuerSerialNumber": f"X509:<I>{x500_order(cert.issuer)}<SR>{serial_reversed(cert)}"}
    ski = ski_hex(cert)
    if ski:
        out["X509SKI"] = f"X509:<SKI>{ski}"
    out["X509SHA1PublicKey"] = f"X509:<SHA1-PUKEY>{thumbprint(cert)}"
    out["X509IssuerSubject"] = f"X509:<I>{x500_order(cert.issuer)}<S>{x500_order(cert.subject)}"
    out["X509SubjectOnly"] = f"X509:<S>{x500_order(cert.subject)}"
    try:
        emails = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.RFC822Name)
    except (x509.ExtensionNotFound, ValueError):
        emails = []
    if emails:
        out["X509RFC822"] = f"X509:<RFC822>{emails[0]}"
    return out


@dataclass
class Mapping:
    """One altSecurityIdentities value, parsed."""

    value: str
    kind: str  # X509IssuerSerialNumber, X509SKI, ..., or "unknown"
    fields: dict[str, str]

    @property
    def strong(self) -> bool:
        return self.kind in STRONG


_TAG = re.compile(r"<(I|S|SR|SKI|SHA1-PUKEY|RFC822)>", re.IGNORECASE)


def parse_mapping(value: str) -> Mapping:
    """Parse an ``altSecurityIdentities`` value. Never raises: what it does not know is
    ``kind = "unknown"`` (Kerberos-name mappings, other schemes)."""
    v = value.strip()
    if not v[:5].upper() == "X509:":
        return Mapping(value, "unknown", {})
    body = v[5:]
    parts = _TAG.split(body)
    fields: dict[str, str] = {}
    # parts: [before, tag1, value1, tag2, value2, ...]
    for i in range(1, len(parts) - 1, 2):
        fields[parts[i].upper()] = parts[i + 1]
    keys = set(fields)
    kind = {
        frozenset({"I", "SR"}): "X509IssuerSerialNumber",
        frozenset({"SKI"}): "X509SKI",
        frozenset({"SHA1-PUKEY"}): "X509SHA1PublicKey",
        frozenset({"I", "S"}): "X509IssuerSubject",
        frozenset({"S"}): "X509SubjectOnly",
        frozenset({"RFC822"}): "X509RFC822",
    }.get(frozenset(keys), "unknown")
    return Mapping(value, kind, fields)


def _norm_dn(text: str) -> list[str]:
    return [p.strip().lower().replace(" ", "") for p in re.split(r"(?<!\\),", text) if p.strip()]


def _same_issuer(field: str, cert: x509.Certificate) -> bool:
    """The ``<I>`` field names the certificate's issuer, in X.500 order (documented) or
    in RFC 4514 order (accepted: the order of the parts is the only difference)."""
    want = [p.lower().replace(" ", "") for p in _rdns(cert.issuer)]
    got = _norm_dn(field)
    return got == want or got == list(reversed(want))


def matches(m: Mapping, cert: x509.Certificate) -> str:
    """``match``, ``other`` (a mapping of another certificate), or a specific mistake:
    ``serial-not-reversed`` (the serial in certificate order), ``public-key-hash``
    (SHA-1 of the public key instead of the documented certificate hash)."""
    f = m.fields
    if m.kind == "X509IssuerSerialNumber":
        if not _same_issuer(f.get("I", ""), cert):
            return "other"
        return _serial_reading(f.get("SR", ""), cert.serial_number)
    if m.kind == "X509SKI":
        ski = ski_hex(cert)
        return "match" if ski and f.get("SKI", "").strip().upper() == ski else "other"
    if m.kind == "X509SHA1PublicKey":
        got = f.get("SHA1-PUKEY", "").strip().upper()
        if got == thumbprint(cert):
            return "match"
        if got == public_key_sha1(cert):
            return "public-key-hash"
        return "other"
    if m.kind == "X509IssuerSubject":
        ok = _same_issuer(f.get("I", ""), cert) and _norm_dn(f.get("S", "")) in (
            [p.lower().replace(" ", "") for p in _rdns(cert.subject)],
            [p.lower().replace(" ", "") for p in reversed(_rdns(cert.subject))])
        return "match" if ok else "other"
    if m.kind == "X509SubjectOnly":
        subj = [p.lower().replace(" ", "") for p in _rdns(cert.subject)]
        return "match" if _norm_dn(f.get("S", "")) in (subj, list(reversed(subj))) else "other"
    if m.kind == "X509RFC822":
        vals = mapping_values(cert).get("X509RFC822", "")
        return "match" if vals and vals[len("X509:<RFC822>"):].lower() == f.get("RFC822", "").strip().lower() else "other"
    return "other"


def _fixes(cert: x509.Certificate, acct: Account) -> str:
    sam = acct.sam_account_name or acct.name
    vals = mapping_values(cert)
    strong = "; or ".join(f"Set-ADUser {sam} -Add @{{altSecurityIdentities='{vals[k]}'}}" for k in STRONG if k in vals)
    return (f"either reissue the certificate from an enterprise CA template that builds the subject from Active "
            f"Directory, so that it carries the SID extension (1.3.6.1.4.1.311.25.2) with the account's objectSid "
            f"{acct.object_sid or '(the account SID)'}; or map it strongly in altSecurityIdentities (Active Directory "
            f"Users and Computers > Advanced Features > the user > Name Mappings, or PowerShell): {strong}")


def check_strong_mapping(cert: x509.Certificate, label: str, account: Account | None,
                         not_found: str = "") -> CheckResult:
    """UC-7 for one certificate and the AD account its UPN maps to.

    :param cert: the logon certificate.
    :param label: how to name it in messages (subject, slot).
    :param account: the account (objectSid and altSecurityIdentities read); None when no
        account was found, then the result is skipped with ``not_found`` as the reason.
    :returns: passed with the strong mapping found as evidence, or failed naming the
        mapping missing or wrong and the fix for each way (SID extension, altSecurityIdentities).
    """
    r = CheckResult("UC-7")
    if account is None:
        return r.skip(not_found or f"no AD account was found for {label}: see UC-1")
    sam = account.sam_account_name or account.name
    ext = read_sid_extension(cert)
    parsed = [parse_mapping(v) for v in account.alt_security_identities]
    r.evidence.update({
        "certificate": label,
        "account": account.dn,
        "objectSid": account.object_sid or "(not read)",
        "sid_extension": {"present": ext.present, "sids": ext.sids, **({"error": ext.error} if ext.error else {})},
        "altSecurityIdentities": [{"value": m.value, "kind": m.kind, "strong": m.strong, "this_certificate":
                                   matches(m, cert)} for m in parsed],
        "strong_mappings_of_this_certificate": {k: v for k, v in mapping_values(cert).items() if k in STRONG},
    })
    subject = f"{label} for account {sam} ({account.dn})"
    if ext.error:
        r.fail(subject, f"{ext.error}: the domain controller cannot use it and refuses the logon.",
               "reissue the certificate from the enterprise CA (it writes the extension), or remove the malformed "
               "extension and map the certificate in altSecurityIdentities.")
        return r
    if ext.present:
        if not account.object_sid:
            return r.skip(f"the objectSid of {account.dn} could not be read, so the SID extension "
                          f"({', '.join(ext.sids)}) cannot be compared with it")
        if account.object_sid in ext.sids:
            r.evidence["strong_mapping"] = f"SID extension {account.object_sid}"
            return r
        r.fail(subject,
               f"its SID extension (1.3.6.1.4.1.311.25.2) holds {', '.join(ext.sids)}, but the account's objectSid "
               f"is {account.object_sid}: the certificate was issued for another account, and the domain controller "
               "refuses it whatever altSecurityIdentities says (KB5014754, event 41).",
               f"reissue the certificate for {sam} (the CA writes that account's SID), and revoke this one.")
        return r
    good = [m for m in parsed if m.strong and matches(m, cert) == "match"]
    if good:
        r.evidence["strong_mapping"] = f"altSecurityIdentities {good[0].kind}: {good[0].value}"
        return r
    by_key_hash = [m for m in parsed if m.kind == "X509SHA1PublicKey" and matches(m, cert) == "public-key-hash"]
    if by_key_hash:
        r.warn(subject,
               f"is mapped by {by_key_hash[0].value!r}, the SHA-1 hash of its public key; Microsoft documents the SHA-1 "
               "hash of the certificate (its thumbprint) for X509SHA1PublicKey, so this mapping may not be honoured.",
               f"add the documented form too: Set-ADUser {sam} -Add @{{altSecurityIdentities="
               f"'{mapping_values(cert)['X509SHA1PublicKey']}'}}.")
        return r
    mistakes = []
    for m in parsed:
        how = matches(m, cert)
        if how == "serial-not-reversed":
            mistakes.append(f"{m.value!r} gives the serial number in certificate order; the <SR> form wants it in "
                            "reversed byte order")
    weak = [m for m in parsed if m.kind in WEAK]
    other_strong = [m for m in parsed if m.strong and matches(m, cert) == "other"]
    what = "no SID extension (1.3.6.1.4.1.311.25.2)"
    if not parsed:
        what += " and the account has no altSecurityIdentities: only the UPN maps it, a weak mapping"
    else:
        bits = []
        if weak:
            bits.append("weak mappings only (" + ", ".join(f"{m.kind} {m.value!r}" for m in weak) + ")")
        if other_strong:
            bits.append("strong mappings of other certificates (" + ", ".join(m.value for m in other_strong) + ")")
        if mistakes:
            bits.append("; ".join(mistakes))
        if not bits:
            bits.append("no mapping it knows (" + ", ".join(repr(m.value) for m in parsed) + ")")
        what += "; altSecurityIdentities has " + "; ".join(bits)
    r.fail(subject,
           f"is not strongly mapped: {what}. Domain controllers in Full Enforcement (KB5014754, since February 2025; "
           "compatibility mode removed in September 2025) refuse it, so the Windows logon inside the WorkSpace (the "
           "second PIN prompt) fails.",
           _fixes(cert, account) + ".")
    return r
