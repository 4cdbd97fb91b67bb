"""Certificate input and small certificate helpers: the ONE place that reads
certificates (profile files, CA bundles, registrations, the card, the directory, OCSP
responses, guest trees all go through :func:`read_certificates` and its wrappers),
names, OIDs, signature verification. Pure functions, no I/O besides reading a given file.

Reading is as tolerant as openssl: PEM with text around the blocks (RFC 7468 section 2),
several blocks per file, DER, PKCS#7 bundles (``.p7b``, PEM or DER); certificates the
``cryptography`` parser refuses are read with asn1crypto. What AWS accepts is judged by
the checks (``wscard.pki.checks``, CA-3), not here."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

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

#: PEM labels holding one certificate (RFC 7468 section 5 and 5.3: ``CERTIFICATE``, the
#: older ``X509 CERTIFICATE``; openssl's ``TRUSTED CERTIFICATE`` adds trust data after it).
CERTIFICATE_LABELS = ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE")
#: PEM labels of PKCS#7 / CMS SignedData bundles (RFC 7468 section 6; ``.p7b`` files).
PKCS7_LABELS = ("PKCS7", "PKCS #7 SIGNED DATA", "CMS")

# A block never spans another BEGIN line: a cut block before a good one stays outside
# (reported), the good one is read.
_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 #/_-]+)-----((?:(?!-----BEGIN ).)*?)-----END \1-----", re.S)
_MARKER = re.compile(r"-----(BEGIN|END) ([A-Z0-9 #/_-]+)-----")
_BASE64_RUN = re.compile(r"^[A-Za-z0-9+/]{20,}={0,2}$")

#: Text that tools write outside the PEM blocks and that RFC 7468 (section 2) lets a
#: parser skip: ``openssl x509/pkcs7 -print_certs`` (``subject=``, ``issuer=``),
#: ``openssl pkcs12`` ("Bag Attributes", "Key Attributes" and their indented
#: ``name: value`` lines), ``openssl x509 -text`` ("Certificate:" and indented lines),
#: ``#`` comments and ``====``-underlined titles (ca-certificates and curl bundles),
#: blank lines. Anything else outside the blocks is reported as junk.
EXPLANATORY_TEXT = (
    re.compile(r"^\s*$"),
    re.compile(r"^(subject|issuer)\s*=.*$"),
    re.compile(r"^(Bag|Key) Attributes\b.*$"),
    re.compile(r"^Certificate:\s*$"),
    re.compile(r"^[ \t]+\S.*$"),
    re.compile(r"^#.*$"),
    re.compile(r"^[=-]{3,}\s*$"),
)


class CertificateFormatError(ValueError):
    """Certificate data that cannot be read: neither PEM, DER nor PKCS#7 that parses.
    ``source`` names the file (or the data's label), ``reason`` says why."""

    def __init__(self, message: str, *, source: str = "", reason: str = ""):
        super().__init__(message)
        self.source = source
        self.reason = reason or message


@dataclass(eq=False)
class LoadedCertificate:
    """One certificate read by :func:`read_certificates`.

    ``der``: its DER; ``data``: the bytes as they appear in the source (the PEM block
    with its armour, or the DER); ``encoding``: ``pem``, ``der``, ``pkcs7-pem`` or
    ``pkcs7-der`` (how the source holds it); ``position``: 1-based among the source's
    certificates (``total`` of them). ``cert`` is the ``cryptography`` object, or None
    when that parser refuses the encoding (``parse_problem`` says why); the certificate
    was then read with asn1crypto (``asn1``), as openssl reads it."""

    der: bytes
    data: bytes
    encoding: str
    source: str
    position: int
    total: int
    cert: x509.Certificate | None
    parse_problem: str = ""
    _asn1: Any = field(default=None, repr=False)

    @property
    def asn1(self):
        """The asn1crypto ``Certificate`` (parsed on first use)."""
        if self._asn1 is None:
            from asn1crypto import x509 as ax

            self._asn1 = ax.Certificate.load(self.der)
        return self._asn1

    @property
    def view(self):
        """The ``cryptography`` certificate when that parser reads it, else the asn1crypto
        one (the helpers of this module accept both)."""
        return self.cert if self.cert is not None else self.asn1

    @property
    def label(self) -> str:
        """``<source>`` or ``<source> (certificate N of M)``."""
        return self.source if self.total == 1 else f"{self.source} (certificate {self.position} of {self.total})"

    @property
    def pem(self) -> bytes:
        return _der_to_pem(self.der)


@dataclass
class CertificateFile:
    """What :func:`read_certificates` found in one file or piece of data."""

    source: str
    certificates: list[LoadedCertificate] = field(default_factory=list)
    #: Lines outside the PEM blocks that are allowed explanatory text (``EXPLANATORY_TEXT``).
    explanatory_text: list[str] = field(default_factory=list)
    #: Text outside the PEM blocks that is neither explanatory text nor a certificate.
    junk: list[str] = field(default_factory=list)
    #: Certificate (or PKCS#7) blocks that no parser reads, with the reason.
    unreadable: list[str] = field(default_factory=list)
    #: PEM blocks of other kinds (a private key, a CRL...), by label and line.
    other_blocks: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every problem, each naming the source: unreadable blocks, other blocks, junk."""
        out = [f"{self.source}: {u}" for u in self.unreadable]
        out += [f"{self.source}: {o}" for o in self.other_blocks]
        out += [f"{self.source}: {j}" for j in self.junk]
        if not (self.certificates or self.unreadable):
            out.append(f"{self.source}: holds no certificate")
        return out


def _der_to_pem(der: bytes) -> bytes:
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


def _first_tlv(data: bytes) -> bytes:
    """The first DER TLV of ``data`` (openssl's TRUSTED CERTIFICATE appends trust data)."""
    if len(data) < 2:
        return data
    n = data[1]
    if n < 0x80:
        return data[:2 + n]
    k = n & 0x7F
    if k == 0 or k > 4 or len(data) < 2 + k:
        return data
    return data[:2 + k + int.from_bytes(data[2:2 + k], "big")]


def _asn1_problem(asn1) -> str:
    """Why ``cryptography`` refuses a certificate asn1crypto reads, in the field's terms."""
    try:
        for where, alg in (("signature", asn1["tbs_certificate"]["signature"]),
                           ("signatureAlgorithm", asn1["signature_algorithm"])):
            name = alg["algorithm"].native
            if "ecdsa" in name and alg["parameters"].contents is not None:
                return (f"its {where} algorithm {alg['algorithm'].dotted} ({name}) carries explicit parameters "
                        "(NULL), which RFC 5758 section 3.2 says must be omitted")
    except Exception:
        pass
    return ""


def _parse_der(der: bytes) -> tuple[x509.Certificate | None, Any, str]:
    """(cryptography certificate or None, asn1crypto certificate or None, problem)."""
    try:
        return x509.load_der_x509_certificate(der), None, ""
    except ValueError as exc:
        crypto_error = str(exc)
    try:
        from asn1crypto import x509 as ax

        asn1 = ax.Certificate.load(der, strict=True)
        asn1.native  # parse every field now, not lazily later
    except Exception as exc:
        return None, None, f"not an X.509 certificate (cryptography: {crypto_error}; asn1crypto: {exc})"
    why = _asn1_problem(asn1) or f"the cryptography library refuses its encoding ({crypto_error})"
    return None, asn1, why


def _pkcs7_certificates(der: bytes) -> list[bytes] | None:
    """The certificates of a PKCS#7/CMS SignedData (a ``.p7b``), or None when ``der``
    is not one."""
    try:
        from asn1crypto import cms

        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            return None
        out = []
        for choice in info["content"]["certificates"] or []:
            if choice.name == "certificate":
                out.append(choice.chosen.dump())
        return out
    except Exception:
        return None


def _is_explanatory(lines: list[str], i: int) -> bool:
    line = lines[i]
    if any(ord(ch) < 32 and ch not in "\t\r" for ch in line) or "\ufffd" in line:
        return False
    if _BASE64_RUN.match(line.strip()):
        return False  # encoded data outside the armour: a cut or unarmoured certificate
    if any(p.match(line) for p in EXPLANATORY_TEXT):
        return True
    nxt = next((lines[k] for k in range(i + 1, len(lines)) if lines[k].strip()), "")
    return bool(re.match(r"^[=-]{3,}\s*$", nxt))  # a title with its underline


def read_certificates(data: bytes, source: str = "certificate data") -> CertificateFile:
    """Every certificate in ``data``: PEM with any number of blocks and with text around
    them (RFC 7468 section 2), DER, or a PKCS#7/CMS bundle (``.p7b``, PEM or DER).

    Never raises for the content: what cannot be read is listed in the result
    (``unreadable``, ``junk``, ``other_blocks``, each with its line). Certificates the
    ``cryptography`` parser refuses but asn1crypto reads (as openssl does) are returned
    with ``cert=None`` and the reason in ``parse_problem``."""
    out = CertificateFile(source)
    found: list[tuple[bytes, bytes, str]] = []  # (der, data as written, encoding)
    if b"-----BEGIN " in data:
        pos = 0
        outside: list[tuple[int, str]] = []  # (first line number, text)

        def line_of(offset: int) -> int:
            return data.count(b"\n", 0, offset) + 1

        for m in _BLOCK.finditer(data):
            outside.append((line_of(pos), data[pos:m.start()].decode("utf-8", "replace")))
            pos = m.end()
            label = m.group(1).decode()
            where = f"line {line_of(m.start())}"
            body = re.sub(rb"\s+", b"", m.group(2))
            if label not in CERTIFICATE_LABELS + PKCS7_LABELS:
                out.other_blocks.append(f"a {label} block at {where} (not a certificate; left out)")
                continue
            try:
                der = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                out.unreadable.append(f"the {label} block at {where} is not valid base64 (damaged or cut)")
                continue
            if label in PKCS7_LABELS:
                certs = _pkcs7_certificates(der)
                if certs is None:
                    out.unreadable.append(f"the {label} block at {where} is not a PKCS#7 SignedData bundle")
                    continue
                if not certs:
                    out.unreadable.append(f"the {label} block at {where} holds no certificate")
                found += [(c, m.group(0), "pkcs7-pem") for c in certs]
                continue
            if label == "TRUSTED CERTIFICATE":
                der = _first_tlv(der)
            found.append((der, m.group(0), "pem"))
        outside.append((line_of(pos), data[pos:].decode("utf-8", "replace")))
        for first, text in outside:
            lines = text.split("\n")
            for k, line in enumerate(lines):
                n = first + k
                marker = _MARKER.search(line)
                if marker:
                    what = "BEGIN without its END" if marker.group(1) == "BEGIN" else "END without its BEGIN"
                    out.unreadable.append(f"line {n}: a {marker.group(2)} {what} (a cut or damaged block)")
                elif _is_explanatory(lines, k):
                    if line.strip():
                        out.explanatory_text.append(line.rstrip("\r"))
                else:
                    shown = line.strip()
                    shown = shown if len(shown) <= 60 else shown[:57] + "..."
                    out.junk.append(f"line {n}: text outside the PEM blocks that is neither a certificate nor "
                                    f"explanatory text: {shown!r}")
    elif data[:1] == b"\x30":
        certs = _pkcs7_certificates(data)
        if certs is not None:
            found += [(c, data, "pkcs7-der") for c in certs]
            if not certs:
                out.unreadable.append("a PKCS#7 bundle without certificates")
        else:
            found.append((data, data, "der"))
    else:
        text = data.decode("utf-8", "replace").strip()
        if text and _BASE64_RUN.match(re.sub(r"\s+", "", text)[:200] or "-"):
            out.unreadable.append("base64 text without the PEM armour (-----BEGIN CERTIFICATE----- ... "
                                  "-----END CERTIFICATE-----)")
        elif not text:
            out.unreadable.append("the data is empty")
        else:
            out.unreadable.append("neither PEM, DER nor PKCS#7 certificate data (garbage, or another kind of file)")
    total = len(found)
    for der, as_written, enc in found:
        cert, asn1, problem = _parse_der(der)
        if cert is None and asn1 is None:
            where = f"certificate {len(out.certificates) + len(out.unreadable) + 1}"
            out.unreadable.append(f"{where}: {problem}" if total > 1 else problem)
            continue
        out.certificates.append(LoadedCertificate(der, as_written, enc, source, 0, 0, cert, problem, asn1))
    for i, c in enumerate(out.certificates, 1):
        c.position, c.total = i, len(out.certificates)
    return out


def read_certificate_file(path: Path | str) -> CertificateFile:
    """:func:`read_certificates` on a file; raises :class:`CertificateFormatError` when
    the file cannot be read at all (missing, unreadable)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CertificateFormatError(f"{path}: cannot read: {exc.strerror}", source=str(path),
                                     reason=f"cannot read: {exc.strerror}") from None
    return read_certificates(data, str(path))


def load_certificates(data: bytes, source: str = "certificate data") -> list[LoadedCertificate]:
    """The certificates of ``data`` (see :func:`read_certificates`); raises
    :class:`CertificateFormatError` naming ``source`` when a block cannot be read or
    there is no certificate. Junk and other blocks do not raise (the checks report them)."""
    f = read_certificates(data, source)
    if f.unreadable or not f.certificates:
        reason = "; ".join(f.unreadable) or "holds no certificate"
        raise CertificateFormatError(f"{source}: {reason}", source=source, reason=reason)
    return f.certificates


def load_certificate_file(path: Path | str) -> list[LoadedCertificate]:
    """:func:`load_certificates` on a file."""
    f = read_certificate_file(path)
    return load_certificates_from(f)


def load_certificates_from(f: CertificateFile) -> list[LoadedCertificate]:
    """The certificates of a :class:`CertificateFile`; raises
    :class:`CertificateFormatError` naming its source when a block cannot be read or
    there is no certificate."""
    if f.unreadable or not f.certificates:
        reason = "; ".join(f.unreadable) or "holds no certificate"
        raise CertificateFormatError(f"{f.source}: {reason}", source=f.source, reason=reason)
    return f.certificates


def load_certificate(data: bytes, source: str = "certificate data") -> x509.Certificate:
    """The first certificate of ``data`` as a ``cryptography`` object; raises
    :class:`CertificateFormatError` naming ``source`` when it cannot be read, or when only
    a tolerant parser reads it (the reason says why)."""
    first = load_certificates(data, source)[0]
    if first.cert is None:
        raise CertificateFormatError(f"{first.label}: {first.parse_problem}", source=source,
                                     reason=first.parse_problem)
    return first.cert


def is_pem(data: bytes) -> bool:
    """True when ``data`` is PEM text whose certificate blocks (at least one) all parse
    (text around the blocks is allowed, RFC 7468 section 2; a PKCS#7 block is not a
    PEM certificate)."""
    if not data or b"-----BEGIN " not in data:
        return False
    f = read_certificates(data)
    return bool(f.certificates) and not f.unreadable and all(c.encoding == "pem" for c in f.certificates)


def is_der(data: bytes) -> bool:
    """True when ``data`` is one DER-encoded certificate."""
    if data[:1] != b"\x30":
        return False
    f = read_certificates(data)
    return len(f.certificates) == 1 and f.certificates[0].encoding == "der"


def pem_blocks(data: bytes) -> list[bytes]:
    """The certificate blocks of a PEM text, each as it appears in the text."""
    return [c.data for c in read_certificates(data).certificates if c.encoding == "pem"]


#: A certificate as the helpers below accept it: a ``cryptography`` certificate, or an
#: asn1crypto ``Certificate`` (what :class:`LoadedCertificate` holds when only a tolerant
#: parser reads it).
AnyCertificate = Any


def _is_asn1(cert: Any) -> bool:
    return not isinstance(cert, x509.Certificate) and hasattr(cert, "dump") and hasattr(cert, "subject")


def to_pem(cert: AnyCertificate) -> bytes:
    return _der_to_pem(cert.dump()) if _is_asn1(cert) else cert.public_bytes(serialization.Encoding.PEM)


def to_der(cert: AnyCertificate) -> bytes:
    return cert.dump() if _is_asn1(cert) else cert.public_bytes(serialization.Encoding.DER)


def _asn1_name(name) -> str:
    """An asn1crypto Name as RFC 4514 text, the way ``cryptography`` writes it."""
    try:
        rdns = []
        for rdn in name.chosen:
            rdns.append(x509.RelativeDistinguishedName([
                x509.NameAttribute(ObjectIdentifier(atv["type"].dotted), str(atv["value"].native)) for atv in rdn]))
        return x509.Name(rdns).rfc4514_string()
    except Exception:
        return name.human_friendly


def subject(cert: AnyCertificate) -> str:
    return _asn1_name(cert.subject) if _is_asn1(cert) else cert.subject.rfc4514_string()


def serial_number(cert: AnyCertificate) -> int:
    return int(cert.serial_number)


def describe(cert: AnyCertificate) -> str:
    """How a failure names a certificate: subject and serial (hex)."""
    return f"certificate '{subject(cert)}' (serial {serial_number(cert):X})"


def not_before(cert: AnyCertificate) -> datetime:
    return cert.not_valid_before if _is_asn1(cert) else cert.not_valid_before_utc


def not_after(cert: AnyCertificate) -> datetime:
    return cert.not_valid_after if _is_asn1(cert) else cert.not_valid_after_utc


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def is_self_signed(cert: AnyCertificate) -> bool:
    """Issuer equals subject and the certificate's signature verifies with its own key
    (asn1crypto certificates: issuer equals subject and the key identifiers agree)."""
    if _is_asn1(cert):
        return cert.self_signed in ("yes", "maybe")
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
        return True
    except Exception:
        return False


def is_ca(cert: AnyCertificate) -> bool:
    """basicConstraints cA=TRUE."""
    if _is_asn1(cert):
        return bool(cert.ca)
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def signature_algorithm(cert: AnyCertificate) -> tuple[str, str]:
    """(dotted OID, name) of the certificate's own signature algorithm."""
    if _is_asn1(cert):
        alg = cert["signature_algorithm"]["algorithm"]
        return alg.dotted, alg.native
    oid = cert.signature_algorithm_oid
    return oid.dotted_string, getattr(oid, "_name", oid.dotted_string)


def ekus(cert: x509.Certificate) -> list[str] | None:
    """The certificate's extended key usages (RFC 5280 section 4.2.1.12) as dotted OID
    strings in certificate order, or None when it has no EKU extension (callers wanting
    "no EKU = empty" write ``ekus(cert) or []``).

    Raises ValueError when the extensions cannot be parsed (``cryptography`` parses them
    lazily, on first access)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return [o.dotted_string for o in ext]


def identity_facts(cert: x509.Certificate) -> dict[str, str]:
    """The facts that name a certificate in evidence: ``{"subject", "issuer"}`` (RFC 4514
    text), ``"serial"`` (upper-case hex, no leading zeros) and ``"not_after"`` (ISO 8601,
    UTC), in that order. Callers add their own facts (EKUs, slot, ...) after these."""
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": f"{cert.serial_number:X}",
        "not_after": cert.not_valid_after_utc.isoformat(),
    }


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


def signed_with_pss(cert: AnyCertificate) -> bool:
    """True when the certificate's own signature is RSASSA-PSS (CA-7)."""
    return signature_algorithm(cert)[0] == OID_RSASSA_PSS.dotted_string


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


def signed_by_key(cert: x509.Certificate, public_key: Any) -> bool:
    """Does the certificate's own signature verify with ``public_key`` (its issuer's)?
    RSA with PKCS#1 v1.5 or RSASSA-PSS (the parameters the certificate's signature
    algorithm names, RFC 4055 section 3.1), ECDSA, Ed25519 and Ed448 (RFC 5280 section
    4.1.1.3). Another key type, another key, or a signature that does not verify: False;
    never raises."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    try:
        params = cert.signature_algorithm_parameters
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes, params, cert.signature_hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes, params)
        elif isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
        return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False


def verify_signature(cert: x509.Certificate, message: bytes, signature: bytes) -> bool:
    """Does ``signature`` over SHA-256(``message``) verify with the certificate's public
    key? RSA: PKCS#1 v1.5. ECDSA: the DER ``Ecdsa-Sig-Value`` (RFC 3279 section 2.2.3,
    what a PIV card's GENERAL AUTHENTICATE returns) or raw ``r || s`` of twice the
    curve's byte length (what PKCS#11 ``CKM_ECDSA`` returns, PKCS#11 section 2.3.1).
    A signature that is not one of these, or another key type, does not verify (False);
    never raises for the signature's bytes.

    Both forms are tried, DER first: the first byte alone cannot tell them apart (a raw
    signature whose ``r`` starts with 0x30 looks like DER)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    pub = cert.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        try:
            pub.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False
    if not isinstance(pub, ec.EllipticCurvePublicKey):
        return False
    candidates = [signature]
    size = (pub.curve.key_size + 7) // 8
    if len(signature) == 2 * size:
        candidates.append(utils.encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                                     int.from_bytes(signature[size:], "big")))
    for sig in candidates:
        try:
            pub.verify(sig, message, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            continue
    return False
