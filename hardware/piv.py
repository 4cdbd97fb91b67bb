"""The PIV card edge (NIST SP 800-73-4, Part 2): the host side.

Select the PIV application, read the discovery object, CHUID, CCC and the X.509
certificates of 9A/9C/9D/9E (GET DATA, with response chaining), read the PIN retry
counter without consuming a try (VERIFY with no data: 63CX, 630X, 6983 or 9000), and sign with
GENERAL AUTHENTICATE. Sending the PIN itself is the PIN guard's job
(:class:`hardware.pin.PinGuard`); this module only builds the command.

The data-object encoders (CHUID, FASC-N, CCC, discovery) live here too, so the virtual
PIV card and the parser cannot drift apart.

Real cards answer in forms the standard does not name, and OpenSC reads them: a
certificate compressed with CertInfo 0x80 (older piv-tool) as well as 0x01, a retry
counter written 63 0X (YubiKey NEO) as well as 63 CX, objects absent or empty. The
readers here accept what OpenSC accepts and classify the rest as "unknown" or
"undecodable" instead of raising (see :class:`CertificateObject`, :class:`PinStatus`).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wscard.pki.certs import load_certificate, verify_signature  # noqa: F401  (one loader, one verifier)

from .apdu import SW, ApduError, Command, iter_tlv, tlv, tlv_dict
from .transport import CardConnection

#: The PIV application identifier (AID); OpenSC selects with the 9-byte prefix.
PIV_AID = bytes.fromhex("A000000308000010000100")
PIV_AID_PREFIX = PIV_AID[:9]

#: Key references and the tag of the data object holding each slot's certificate.
SLOTS: dict[str, dict[str, Any]] = {
    "9A": {"key": 0x9A, "object": 0x5FC105, "name": "PIV Authentication"},
    "9C": {"key": 0x9C, "object": 0x5FC10A, "name": "Digital Signature"},
    "9D": {"key": 0x9D, "object": 0x5FC10B, "name": "Key Management"},
    "9E": {"key": 0x9E, "object": 0x5FC101, "name": "Card Authentication"},
}

OBJ_DISCOVERY = 0x7E
OBJ_CHUID = 0x5FC102
OBJ_CCC = 0x5FC107
OBJ_SECURITY = 0x5FC106
OBJ_PRINTED = 0x5FC109
OBJ_HISTORY = 0x5FC10C

#: PIN key references: 80 = PIV application PIN, 00 = global PIN.
PIN_APPLICATION = 0x80
PIN_GLOBAL = 0x00

#: Cryptographic algorithm identifiers (SP 800-78-4 table 6-2).
ALG_RSA1024, ALG_RSA2048, ALG_RSA3072, ALG_ECCP256, ALG_ECCP384 = 0x06, 0x07, 0x05, 0x11, 0x14


def algorithm_for(public_key: Any) -> int:
    if isinstance(public_key, rsa.RSAPublicKey):
        return {1024: ALG_RSA1024, 2048: ALG_RSA2048, 3072: ALG_RSA3072}[public_key.key_size]
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"secp256r1": ALG_ECCP256, "secp384r1": ALG_ECCP384}[public_key.curve.name]
    raise ValueError(f"unsupported key type {type(public_key).__name__}")


def object_tag_bytes(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


# --- FASC-N (TIG SCEPACS): 40 characters of 4 bits + odd parity, 25 bytes -------------

_SS, _FS, _ES = 0xB, 0xD, 0xF


def encode_fascn(agency: str, system: str, credential: str, cs: str = "1", ici: str = "1",
                 pi: str = "0000000000", oc: str = "1", oi: str = "0000", poa: str = "1") -> bytes:
    """Encode a FASC-N from its fields (all decimal digit strings)."""
    fields = [(agency, 4), (system, 4), (credential, 6), (cs, 1), (ici, 1), (pi, 10), (oc, 1), (oi, 4), (poa, 1)]
    for value, n in fields:
        if len(value) != n or not value.isdigit():
            raise ValueError(f"FASC-N field {value!r} must be {n} digits")
    chars = [_SS] + [int(c) for c in agency] + [_FS] + [int(c) for c in system] + [_FS]
    chars += [int(c) for c in credential] + [_FS] + [int(cs)] + [_FS] + [int(ici)] + [_FS]
    chars += [int(c) for c in pi + oc + oi + poa] + [_ES]
    lrc = 0
    for c in chars:
        lrc ^= c
    chars.append(lrc)
    bits = ""
    for c in chars:
        data = [(c >> i) & 1 for i in range(4)]  # least significant bit first
        parity = 1 - (sum(data) % 2)
        bits += "".join(str(b) for b in data) + str(parity)
    return int(bits, 2).to_bytes(25, "big")


def decode_fascn(raw: bytes) -> dict[str, str]:
    """Decode a 25-byte FASC-N into its fields (raises ValueError on bad parity)."""
    if len(raw) != 25:
        raise ValueError(f"FASC-N must be 25 bytes, not {len(raw)}")
    bits = bin(int.from_bytes(raw, "big"))[2:].zfill(200)
    chars = []
    for i in range(40):
        five = bits[i * 5 : i * 5 + 5]
        data = [int(b) for b in five[:4]]
        if (sum(data) + int(five[4])) % 2 != 1:
            raise ValueError(f"FASC-N character {i} has bad parity")
        chars.append(sum(b << k for k, b in enumerate(data)))
    digits = "".join(str(c) if c < 10 else {_SS: "S", _FS: "F", _ES: "E"}.get(c, "?") for c in chars[:-1])
    if not digits.startswith("S") or "E" not in digits:
        raise ValueError("FASC-N does not start with SS / end with ES")
    parts = digits[1 : digits.index("E")].split("F")
    if len(parts) != 6:
        raise ValueError("FASC-N has the wrong number of field separators")
    agency, system, credential, cs, ici, rest = parts
    return {
        "agency_code": agency,
        "system_code": system,
        "credential_number": credential,
        "credential_series": cs,
        "individual_credential_issue": ici,
        "person_identifier": rest[:10],
        "organizational_category": rest[10:11],
        "organizational_identifier": rest[11:15],
        "person_organization_association": rest[15:16],
        "text": f"{agency}-{system}-{credential}-{cs}-{ici}-{rest[:10]}-{rest[10:]}",
    }


# --- data objects -----------------------------------------------------------------------

def build_chuid(fascn: bytes, guid: bytes, expiry: str = "20351231") -> bytes:
    """CHUID content (inside tag 53): FASC-N, GUID, expiration date, empty signature."""
    return tlv(0x30, fascn) + tlv(0x34, guid) + tlv(0x35, expiry.encode()) + tlv(0x3E, b"") + tlv(0xFE, b"")


def build_ccc(card_identifier: bytes, cac_pki_endpoint: bool = False) -> bytes:
    """CCC content (inside tag 53). ``cac_pki_endpoint`` marks a dual CAC/PIV card the way
    the DoD cards do (tag F3 pointing at the CAC PKI applets, RID A0 00 00 00 79 04)."""
    f3 = bytes.fromhex("A00000007904") + bytes(10) if cac_pki_endpoint else b""
    return (
        tlv(0xF0, card_identifier) + tlv(0xF1, b"\x21") + tlv(0xF2, b"\x21") + tlv(0xF3, f3)
        + tlv(0xF4, b"\x00") + tlv(0xF5, b"\x10") + tlv(0xF6, b"") + tlv(0xF7, b"") + tlv(0xFA, b"")
        + tlv(0xFB, b"") + tlv(0xFC, b"") + tlv(0xFD, b"") + tlv(0xFE, b"")
    )


def build_discovery(pin_policy: bytes = b"\x40\x00") -> bytes:
    """Discovery object (tag 7E, not wrapped in 53): the PIV AID and the PIN usage policy
    (40 00: application PIN only)."""
    return tlv(0x7E, tlv(0x4F, PIV_AID) + tlv(0x5F2F, pin_policy))


#: CertInfo byte (tag 71) of a certificate object. SP 800-73-4 Part 1 (Table 39, CertInfo):
#: bit 0 (value 0x01) set means the certificate in tag 70 is gzip-compressed. Older tools
#: (OpenSC's piv-tool before 800-73-3, following an ambiguity in 800-72-1) wrote 0x80 for
#: the same thing; OpenSC's PIV driver treats either bit as "compressed"
#: (``card-piv.c``, ``piv_cache_internal_data``) and then detects gzip or zlib from the
#: data (``compression.c``, ``detect_method``: gzip magic 1F 8B).
CERTINFO_UNCOMPRESSED = 0x00
CERTINFO_GZIP = 0x01
CERTINFO_GZIP_LEGACY = 0x80
GZIP_MAGIC = b"\x1f\x8b"


def build_cert_object(der: bytes, certinfo: int = CERTINFO_UNCOMPRESSED, compress: bool | None = None) -> bytes:
    """Certificate object content (inside 53): 70 certificate, 71 CertInfo, FE LRC.

    ``certinfo`` is written as given; the certificate is gzip-compressed when ``compress``
    is true, or (``compress`` None) when ``certinfo`` marks it compressed (0x01 or 0x80).
    """
    if compress is None:
        compress = bool(certinfo & (CERTINFO_GZIP | CERTINFO_GZIP_LEGACY))
    body = gzip.compress(der, mtime=0) if compress else der
    return tlv(0x70, body) + tlv(0x71, bytes([certinfo])) + tlv(0xFE, b"")


def build_application_property_template(label: str = "wscard virtual PIV") -> bytes:
    return tlv(
        0x61,
        tlv(0x4F, PIV_AID[5:])
        + tlv(0x79, tlv(0x4F, PIV_AID[:5]))
        + tlv(0x50, label.encode())
        + tlv(0xAC, tlv(0x80, b"\x07") + tlv(0x80, b"\x11") + tlv(0x80, b"\x14") + tlv(0x06, b"\x00")),
    )


@dataclass
class Chuid:
    fascn: bytes
    guid: bytes
    expiry: str
    fascn_fields: dict[str, str] = field(default_factory=dict)

    @property
    def guid_hex(self) -> str:
        return self.guid.hex().upper()

    def summary(self) -> dict[str, Any]:
        return {
            "fasc_n": self.fascn_fields.get("text") or self.fascn.hex().upper(),
            "guid": self.guid_hex,
            "expiry": self.expiry,
        }


def parse_chuid(content: bytes) -> Chuid:
    d = tlv_dict(content)
    fascn = d.get(0x30, b"")
    fields: dict[str, str] = {}
    if len(fascn) == 25:
        try:
            fields = decode_fascn(fascn)
        except ValueError:
            fields = {}
    return Chuid(fascn, d.get(0x34, b""), d.get(0x35, b"").decode("ascii", "replace"), fields)


@dataclass
class Ccc:
    card_identifier: bytes
    cac_pki_endpoint: bool
    raw: bytes

    def summary(self) -> dict[str, Any]:
        return {"card_identifier": self.card_identifier.hex().upper(), "cac_pki_endpoint": self.cac_pki_endpoint}


def parse_ccc(content: bytes) -> Ccc:
    d = tlv_dict(content)
    f3 = d.get(0xF3, b"")
    return Ccc(d.get(0xF0, b""), f3.startswith(bytes.fromhex("A00000007904")), content)


#: Largest certificate the decoder inflates (a PIV object holds a few kilobytes; the
#: limit keeps a corrupt or hostile object from inflating without bound).
MAX_CERTIFICATE_BYTES = 1 << 20


@dataclass
class CertificateObject:
    """A certificate data object decoded as OpenSC decodes it.

    ``state`` is one of:

    * ``present``: ``cert`` is the certificate;
    * ``absent``: the card has no such object (GET DATA answered 6A82 / 6A88);
    * ``empty``: the object exists but holds no certificate (an empty object, or an empty
      tag 70: OpenSC reports "file not found" for both);
    * ``protected``: the card wants the PIN before it shows the object (6982);
    * ``undecodable``: the object is there but cannot be decoded (``problem`` says why);
      OpenSC cannot read it either, so it is a finding for its slot;
    * ``unknown``: the card's answer is not one the harness knows (``problem`` names it);
      nothing is concluded about the object.
    """

    state: str
    cert: x509.Certificate | None = None
    certinfo: int | None = None
    #: "gzip" or "zlib" when the certificate was compressed on the card, else "".
    compression: str = ""
    problem: str = ""
    sw: int | None = None

    @property
    def present(self) -> bool:
        return self.cert is not None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state}
        if self.certinfo is not None:
            out["certinfo"] = f"{self.certinfo:02X}"
        if self.compression:
            out["compression"] = self.compression
        if self.problem:
            out["problem"] = self.problem
        if self.sw is not None and self.sw != SW.OK:
            out["sw"] = f"{self.sw:04X}"
        return out


def _inflate(data: bytes) -> tuple[bytes, str]:
    """gzip or zlib data inflated (the container detected from its header, as OpenSC's
    ``COMPRESSION_AUTO`` does). Raises ValueError with the reason."""
    kind = "gzip" if data[:2] == GZIP_MAGIC else "zlib"
    d = zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: accept a gzip or a zlib header
    try:
        out = d.decompress(data, MAX_CERTIFICATE_BYTES)
    except zlib.error as exc:
        raise ValueError(f"the data is not valid {kind} ({exc})") from None
    if d.unconsumed_tail:
        raise ValueError(f"the data inflates to more than {MAX_CERTIFICATE_BYTES} bytes")
    if not d.eof:
        raise ValueError(f"the {kind} data is truncated")
    return out, kind


def decode_certificate_value(data: bytes, certinfo: int | None, compressed: bool) -> CertificateObject:
    """The certificate in a tag-70 value. ``compressed``: what the card's CertInfo says
    (by the card edge's rule); data starting with the gzip magic 1F 8B is inflated too
    (a DER certificate starts with 30, never 1F). Never raises."""
    if not data:
        return CertificateObject("empty", certinfo=certinfo)
    compression = ""
    if compressed or data[:2] == GZIP_MAGIC:
        try:
            data, compression = _inflate(data)
        except ValueError as exc:
            info = f"CertInfo {certinfo:02X}" if certinfo is not None else "no CertInfo"
            return CertificateObject(
                "undecodable", certinfo=certinfo,
                problem=f"the certificate is marked compressed ({info}) but cannot be inflated: {exc}")
    try:
        cert = load_certificate(data, "the certificate object")  # the one loader (wscard.pki.certs)
        cert.subject  # noqa: B018 - force the lazy parse of the name now
    except ValueError as exc:
        what = f"{compression}-inflated data" if compression else "data in tag 70"
        return CertificateObject("undecodable", certinfo=certinfo, compression=compression,
                                 problem=f"the {what} is not a DER X.509 certificate ({exc})")
    return CertificateObject("present", cert, certinfo, compression)


def decode_certificate_object(content: bytes) -> CertificateObject:
    """A PIV certificate object's content (inside 53: 70 certificate, 71 CertInfo, FE LRC)
    decoded by OpenSC's rule (``card-piv.c``): the certificate is compressed when the
    CertInfo byte has bit 0x01 (SP 800-73-4) or 0x80 (older tools) set, or when it starts
    with the gzip magic. Never raises."""
    if not content:
        return CertificateObject("empty")
    try:
        d = tlv_dict(content)
    except ValueError as exc:
        return CertificateObject("undecodable", problem=f"the object's TLV structure is broken ({exc})")
    if 0x70 not in d:
        tags = ", ".join(f"{t:X}" for t in d) or "none"
        return CertificateObject("undecodable", problem=f"the object has no certificate tag 70 (tags: {tags})")
    info = d.get(0x71, b"")
    certinfo = info[0] if info else None
    compressed = certinfo is not None and bool(certinfo & (CERTINFO_GZIP | CERTINFO_GZIP_LEGACY))
    return decode_certificate_value(d[0x70], certinfo, compressed)


def decode_certificate(content: bytes) -> x509.Certificate:
    """A certificate object's content to a certificate. Raises ValueError naming the
    reason when it holds none or cannot be decoded (:func:`decode_certificate_object`
    says which without raising)."""
    obj = decode_certificate_object(content)
    if obj.cert is None:
        raise ValueError(obj.problem or f"certificate object is {obj.state}")
    return obj.cert


#: Status-word forms of the PIN retry counter in answer to VERIFY without data.
#: SP 800-73-4 Part 2 (VERIFY): 63 CX, X tries left. Some YubiKey NEO firmware answers
#: 63 0X instead; OpenSC reads that as X tries left (``card-piv.c``, ``CI_VERIFY_630X``).
COUNTER_FORM_SP800_73 = "63CX"
COUNTER_FORM_630X = "630X"


@dataclass
class PinStatus:
    """What VERIFY without data says about the PIN (no try is consumed).

    ``tries_left`` None with ``known`` true: the PIN is verified (9000, no counter given).
    ``known`` false: the card answered with a status word the harness does not know, so
    the counter is unknown (and the PIN guard refuses to send a PIN).
    """

    verified: bool
    tries_left: int | None
    sw: int
    #: how the card wrote the counter: "63CX", "630X", or "" (no counter in the answer)
    form: str = ""
    known: bool = True

    @property
    def blocked(self) -> bool:
        return self.tries_left == 0

    def describe(self) -> str:
        if not self.known:
            return (f"the card answered VERIFY without data with {self.sw:04X}, which is not a PIN status the "
                    "harness knows (SP 800-73-4: 63CX tries left, 9000 verified, 6983 blocked; some YubiKey NEO "
                    "firmware: 630X): tries unknown")
        if self.verified:
            return "PIN already verified"
        if self.blocked:
            return "PIN blocked (6983)"
        note = " (written 63 0X, as some YubiKey NEO firmware does; OpenSC reads it the same way)" \
            if self.form == COUNTER_FORM_630X else ""
        return f"{self.tries_left} tries left{note}"

    def summary(self) -> dict[str, Any]:
        return {"verified": self.verified, "tries_left": self.tries_left, "sw": f"{self.sw:04X}",
                "form": self.form, "known": self.known}

    def tries_for_guard(self) -> int | None:
        """The tries left for :meth:`hardware.pin.PinGuard.attempt`; raises
        :class:`wscard.errors.TriesUnknown` when the card's answer is not understood."""
        if not self.known:
            from wscard.errors import TriesUnknown

            raise TriesUnknown(self.describe() + "; the harness will not risk a PIN try on this card")
        return self.tries_left


def pin_status_from_sw(sw: int) -> PinStatus:
    """The PIN status from the status word of VERIFY without data. Never raises: an
    unknown status word gives ``known=False``. 63 00 is read as unknown (ISO 7816-4: "no
    information given"), not as zero tries."""
    if sw == SW.OK:
        return PinStatus(True, None, sw)
    if sw & 0xFFF0 == 0x63C0:
        return PinStatus(False, sw & 0x0F, sw, COUNTER_FORM_SP800_73)
    if sw & 0xFFF0 == 0x6300 and sw & 0x0F:
        return PinStatus(False, sw & 0x0F, sw, COUNTER_FORM_630X)
    if sw == SW.AUTH_METHOD_BLOCKED:
        return PinStatus(False, 0, sw)
    return PinStatus(False, None, sw, known=False)


def pad_pin(pin: bytes) -> bytes:
    """PIV and CAC PINs: up to 8 bytes, padded with FF."""
    if not 1 <= len(pin) <= 8:
        raise ValueError("a PIV/CAC PIN is 1 to 8 characters")
    return pin + b"\xff" * (8 - len(pin))


def pkcs1_v15_digest_info(message: bytes, key_bytes: int) -> bytes:
    """EMSA-PKCS1-v1_5 encoding of SHA-256(message) for a raw RSA private-key operation."""
    h = hashes.Hash(hashes.SHA256())
    h.update(message)
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + h.finalize()
    ps = b"\xff" * (key_bytes - len(digest_info) - 3)
    return b"\x00\x01" + ps + b"\x00" + digest_info


@dataclass
class DataObject:
    """A data object as GET DATA returned it. ``state``: ``present`` (``content`` is the
    value inside 53 / 7E), ``absent`` (6A82, 6A88), ``protected`` (6982: PIN first),
    ``empty`` (no data, or an empty 53), ``unknown`` (a status word or an encoding the
    harness does not know; ``problem`` names it)."""

    tag: int
    state: str
    content: bytes = b""
    sw: int = SW.OK
    problem: str = ""


class PivCard:
    """Host side of the PIV card edge over a :class:`CardConnection`."""

    def __init__(self, conn: CardConnection):
        self.conn = conn
        self.selected = False

    def select(self) -> bytes:
        """SELECT the PIV application; returns the application property template."""
        data = self.conn.send_ok(Command(0x00, 0xA4, 0x04, 0x00, PIV_AID_PREFIX, 0), "SELECT PIV")
        self.selected = True
        return data

    def try_select(self) -> bool:
        try:
            self.select()
        except ApduError:
            return False
        return True

    def read_object(self, tag: int) -> DataObject:
        """GET DATA of a data object, classified (never raises for the card's answer:
        only a transport failure escapes). The content is inside 53 (the discovery
        object: inside 7E)."""
        tb = object_tag_bytes(tag)
        r = self.conn.send(Command(0x00, 0xCB, 0x3F, 0xFF, tlv(0x5C, tb), 0))
        if r.sw in (SW.FILE_NOT_FOUND, SW.REFERENCE_NOT_FOUND):
            return DataObject(tag, "absent", sw=r.sw)
        if r.sw == SW.SECURITY_NOT_SATISFIED:
            return DataObject(tag, "protected", sw=r.sw)
        if not r.ok:
            return DataObject(tag, "unknown", sw=r.sw,
                              problem=f"GET DATA {tb.hex().upper()} answered {r.sw:04X} ({SW.name(r.sw)})")
        if not r.data:
            return DataObject(tag, "empty", sw=r.sw)
        try:
            items = list(iter_tlv(r.data))
        except ValueError as exc:
            return DataObject(tag, "unknown", sw=r.sw, problem=f"GET DATA {tb.hex().upper()}: not BER-TLV ({exc})")
        if not items or not items[0].value:
            return DataObject(tag, "empty", sw=r.sw)
        return DataObject(tag, "present", items[0].value, r.sw)

    def get_object(self, tag: int) -> bytes | None:
        """Content of a data object, or None when the card does not show it (absent,
        empty, PIN-protected, or an answer the harness does not know: see
        :meth:`read_object` for which)."""
        obj = self.read_object(tag)
        return obj.content if obj.state == "present" else None

    def discovery(self) -> dict[str, Any] | None:
        content = self.get_object(OBJ_DISCOVERY)
        if content is None:
            return None
        try:
            d = tlv_dict(content)
        except ValueError:
            return {"aid": "", "pin_usage_policy": "", "problem": "the discovery object is not BER-TLV"}
        return {"aid": d.get(0x4F, b"").hex().upper(), "pin_usage_policy": d.get(0x5F2F, b"").hex().upper()}

    def guard_tries(self) -> int | None:
        """The tries left of every PIN a login may use, for the PIN guard: the application
        PIN's, and the global PIN's when the discovery object says the card has one (PIN
        usage policy, SP 800-73-4 Part 1, 3.3.2: first byte bit 0x20; OpenSC verifies the
        global PIN, reference 00, when the second byte is 0x20, "global PIN primary").
        The lowest count is returned, so the guard never risks the last try of whichever
        PIN is sent. Raises :class:`hardware.pin.TriesUnknown` when a counter cannot be
        read as a known status word."""
        tries = [self.pin_status(PIN_APPLICATION).tries_for_guard()]
        policy = bytes.fromhex((self.discovery() or {}).get("pin_usage_policy") or "")
        if policy[:1] and policy[0] & 0x20:
            tries.append(self.pin_status(PIN_GLOBAL).tries_for_guard())
        known = [t for t in tries if t is not None]
        return min(known) if known else None

    def chuid(self) -> Chuid | None:
        content = self.get_object(OBJ_CHUID)
        if content is None:
            return None
        try:
            return parse_chuid(content)
        except ValueError:
            return None

    def ccc(self) -> Ccc | None:
        content = self.get_object(OBJ_CCC)
        if content is None:
            return None
        try:
            return parse_ccc(content)
        except ValueError:
            return None

    def certificate_object(self, slot: str) -> CertificateObject:
        """The certificate object of ``slot`` read and decoded (never raises for what the
        card holds or answers)."""
        obj = self.read_object(SLOTS[slot]["object"])
        if obj.state != "present":
            return CertificateObject(obj.state, problem=obj.problem, sw=obj.sw)
        return decode_certificate_object(obj.content)

    def certificate_objects(self) -> dict[str, CertificateObject]:
        return {slot: self.certificate_object(slot) for slot in SLOTS}

    def certificate(self, slot: str) -> x509.Certificate | None:
        """The certificate in ``slot``; None when there is none or it cannot be decoded
        (:meth:`certificate_object` says which)."""
        return self.certificate_object(slot).cert

    def certificates(self) -> dict[str, x509.Certificate]:
        """The decoded certificates by slot (see :meth:`certificate_objects` for the rest)."""
        return {slot: o.cert for slot, o in self.certificate_objects().items() if o.cert is not None}

    def pin_status(self, reference: int = PIN_APPLICATION) -> PinStatus:
        """VERIFY with no data: the retry counter, without consuming a try (an answer the
        harness does not know gives ``known=False``, never an exception)."""
        r = self.conn.send(Command(0x00, 0x20, 0x00, reference))
        return pin_status_from_sw(r.sw)

    def verify_command(self, pin: bytes, reference: int = PIN_APPLICATION) -> Command:
        return Command(0x00, 0x20, 0x00, reference, pad_pin(pin))

    def sign(self, slot: str, message: bytes, public_key: Any) -> bytes:
        """Sign SHA-256(message) with the key in ``slot`` (PIN already verified).
        Returns a PKCS#1 v1.5 signature (RSA) or a DER ECDSA signature (EC)."""
        alg = algorithm_for(public_key)
        if isinstance(public_key, rsa.RSAPublicKey):
            challenge = pkcs1_v15_digest_info(message, public_key.key_size // 8)
        else:
            h = hashes.Hash(hashes.SHA256())
            h.update(message)
            challenge = h.finalize()
        body = tlv(0x7C, tlv(0x82, b"") + tlv(0x81, challenge))
        data = self.conn.send_ok(Command(0x00, 0x87, alg, SLOTS[slot]["key"], body, 0), "GENERAL AUTHENTICATE")
        inner = tlv_dict(tlv_dict(data).get(0x7C, b""))
        if 0x82 not in inner:
            raise ValueError("GENERAL AUTHENTICATE response has no signature (tag 82)")
        return inner[0x82]
