"""Small certificate helpers shared by the generator and the checks: reading PEM or
DER, names, OIDs. Pure functions, no I/O besides reading a given file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

#: Microsoft userPrincipalName in a subjectAltName otherName.
OID_UPN = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
#: Microsoft Smart Card Logon EKU.
OID_SMART_CARD_LOGON = ObjectIdentifier("1.3.6.1.4.1.311.20.2.2")
#: Kerberos PKINIT KDC (KDC Authentication) EKU.
OID_KDC_AUTH = ObjectIdentifier("1.3.6.1.5.2.3.5")
OID_CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
OID_SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH
OID_OCSP_SIGNING = ExtendedKeyUsageOID.OCSP_SIGNING
#: RSASSA-PSS signature algorithm.
OID_RSASSA_PSS = ObjectIdentifier("1.2.840.113549.1.1.10")

EKU_NAMES = {
    OID_CLIENT_AUTH.dotted_string: "Client Authentication",
    OID_SMART_CARD_LOGON.dotted_string: "Smart Card Logon",
    OID_KDC_AUTH.dotted_string: "KDC Authentication",
    OID_SERVER_AUTH.dotted_string: "Server Authentication",
    OID_OCSP_SIGNING.dotted_string: "OCSP Signing",
}

_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----\r?\n?", re.S)


class CertificateFormatError(ValueError):
    """Bytes that are neither a PEM nor a DER X.509 certificate."""


def is_pem(data: bytes) -> bool:
    """True when ``data`` is PEM text holding at least one certificate block that parses."""
    if not data.lstrip().startswith(b"-----BEGIN CERTIFICATE-----"):
        return False
    try:
        return bool(x509.load_pem_x509_certificates(data))
    except ValueError:
        return False


def is_der(data: bytes) -> bool:
    """True when ``data`` is one DER-encoded certificate."""
    if data[:1] != b"\x30":
        return False
    try:
        x509.load_der_x509_certificate(data)
        return True
    except ValueError:
        return False


def pem_blocks(data: bytes) -> list[bytes]:
    """The certificate blocks of a PEM text, each as it appears in the text."""
    return [m.group(0) for m in _PEM_BLOCK.finditer(data)]


def load_certificates(data: bytes) -> list[tuple[x509.Certificate, bytes, str]]:
    """Parse PEM (one or more certificates) or DER. Returns ``(cert, original bytes of
    that certificate, "pem"|"der")``; raises :class:`CertificateFormatError`."""
    if data.lstrip().startswith(b"-----BEGIN"):
        out = []
        for block in pem_blocks(data):
            try:
                out.append((x509.load_pem_x509_certificate(block), block, "pem"))
            except ValueError as exc:
                raise CertificateFormatError(f"a PEM certificate block does not parse: {exc}") from None
        if not out:
            raise CertificateFormatError("PEM text without a complete CERTIFICATE block (truncated?)")
        return out
    try:
        return [(x509.load_der_x509_certificate(data), data, "der")]
    except ValueError:
        raise CertificateFormatError("neither a PEM nor a DER certificate (garbage or truncated data)") from None


def load_certificate_file(path: Path) -> list[tuple[x509.Certificate, bytes, str]]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CertificateFormatError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return load_certificates(data)
    except CertificateFormatError as exc:
        raise CertificateFormatError(f"{path}: {exc}") from None


def to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def to_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def describe(cert: x509.Certificate) -> str:
    """How a failure names a certificate: subject and serial (hex)."""
    return f"certificate '{subject(cert)}' (serial {cert.serial_number:X})"


def not_before(cert: x509.Certificate) -> datetime:
    return cert.not_valid_before_utc


def not_after(cert: x509.Certificate) -> datetime:
    return cert.not_valid_after_utc


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
        return True
    except Exception:
        return False


def is_ca(cert: x509.Certificate) -> bool:
    """basicConstraints cA=TRUE."""
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def ekus(cert: x509.Certificate) -> list[str] | None:
    """Dotted EKU OIDs, or None when the certificate has no EKU extension."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return [o.dotted_string for o in ext]


def upns(cert: x509.Certificate) -> list[str]:
    """userPrincipalName values of the subjectAltName otherNames (UTF8String)."""
    from asn1crypto import core

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out = []
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id != OID_UPN:
            continue
        try:
            out.append(str(core.Asn1Value.load(other.value).native))
        except Exception:
            out.append(other.value.decode("utf-8", "replace"))
    return out


def encode_upn(upn: str) -> bytes:
    """DER UTF8String of a UPN, for an otherName value."""
    from asn1crypto import core

    return core.UTF8String(upn).dump()


@dataclass(frozen=True)
class Aia:
    ocsp: list[str]
    ca_issuers: list[str]


def aia(cert: x509.Certificate) -> Aia:
    try:
        ext = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return Aia([], [])
    ocsp, issuers = [], []
    for d in ext:
        if isinstance(d.access_location, x509.UniformResourceIdentifier):
            if d.access_method == x509.AuthorityInformationAccessOID.OCSP:
                ocsp.append(d.access_location.value)
            elif d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS:
                issuers.append(d.access_location.value)
    return Aia(ocsp, issuers)


def signed_with_pss(cert: x509.Certificate) -> bool:
    """True when the certificate's own signature is RSASSA-PSS (CA-7)."""
    return cert.signature_algorithm_oid == OID_RSASSA_PSS


def key_identifier(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def authority_key_identifier(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        return None
