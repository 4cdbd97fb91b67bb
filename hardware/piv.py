"""The PIV card edge (NIST SP 800-73-4, Part 2): the host side.

Select the PIV application, read the discovery object, CHUID, CCC and the X.509
certificates of 9A/9C/9D/9E (GET DATA, with response chaining), read the PIN retry
counter without consuming a try (VERIFY with no data: 63Cx or 9000), and sign with
GENERAL AUTHENTICATE. Sending the PIN itself is the PIN guard's job
(:class:`hardware.pin.PinGuard`); this module only builds the command.

The data-object encoders (CHUID, FASC-N, CCC, discovery) live here too, so the virtual
PIV card and the parser cannot drift apart.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

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


def build_cert_object(der: bytes) -> bytes:
    """Certificate object content (inside 53): 70 cert, 71 CertInfo (uncompressed), FE LRC."""
    return tlv(0x70, der) + tlv(0x71, b"\x00") + tlv(0xFE, b"")


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


def decode_certificate(content: bytes) -> x509.Certificate:
    """A certificate object's content (70/71) to a certificate (gzip if CertInfo says so)."""
    d = tlv_dict(content)
    der = d.get(0x70)
    if der is None:
        raise ValueError("certificate object has no tag 70")
    info = d.get(0x71, b"\x00")
    if info and info[0] & 0x01:
        try:
            der = gzip.decompress(der)
        except OSError:
            der = zlib.decompress(der)
    return x509.load_der_x509_certificate(der)


@dataclass
class PinStatus:
    """What VERIFY without data says about the PIN (no try is consumed)."""

    verified: bool
    tries_left: int | None
    sw: int

    @property
    def blocked(self) -> bool:
        return self.tries_left == 0


def pin_status_from_sw(sw: int) -> PinStatus:
    if sw == SW.OK:
        return PinStatus(True, None, sw)
    if sw & 0xFFF0 == 0x63C0:
        return PinStatus(False, sw & 0x0F, sw)
    if sw == SW.AUTH_METHOD_BLOCKED:
        return PinStatus(False, 0, sw)
    raise ApduError(sw, "VERIFY (PIN status)")


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


def verify_signature(cert: x509.Certificate, message: bytes, signature: bytes) -> bool:
    """Does ``signature`` (PKCS#1 v1.5 or DER ECDSA, SHA-256) verify with the certificate?"""
    from cryptography.exceptions import InvalidSignature

    pub = cert.public_key()
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            n = (pub.curve.key_size + 7) // 8  # raw r||s (PKCS#11 CKM_ECDSA): two halves of the curve's size
            if len(signature) == 2 * n:  # raw (a raw r may start with 0x30 too: DER is tried after)
                raw = utils.encode_dss_signature(int.from_bytes(signature[:n], "big"),
                                                 int.from_bytes(signature[n:], "big"))
                try:
                    pub.verify(raw, message, ec.ECDSA(hashes.SHA256()))
                    return True
                except InvalidSignature:
                    pass
            pub.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


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

    def get_object(self, tag: int) -> bytes | None:
        """Content of a data object (inside 53; the discovery object inside 7E), or None
        when the card does not have it (6A82) or wants the PIN first (6982)."""
        tb = object_tag_bytes(tag)
        r = self.conn.send(Command(0x00, 0xCB, 0x3F, 0xFF, tlv(0x5C, tb), 0))
        if r.sw in (SW.FILE_NOT_FOUND, SW.SECURITY_NOT_SATISFIED, SW.REFERENCE_NOT_FOUND):
            return None
        if not r.ok:
            raise ApduError(r.sw, f"GET DATA {tb.hex().upper()}")
        if not r.data:
            return None
        items = list(iter_tlv(r.data))
        if not items:
            return None
        return items[0].value

    def discovery(self) -> dict[str, Any] | None:
        content = self.get_object(OBJ_DISCOVERY)
        if content is None:
            return None
        d = tlv_dict(content)
        return {"aid": d.get(0x4F, b"").hex().upper(), "pin_usage_policy": d.get(0x5F2F, b"").hex().upper()}

    def chuid(self) -> Chuid | None:
        content = self.get_object(OBJ_CHUID)
        return parse_chuid(content) if content is not None else None

    def ccc(self) -> Ccc | None:
        content = self.get_object(OBJ_CCC)
        return parse_ccc(content) if content is not None else None

    def certificate(self, slot: str) -> x509.Certificate | None:
        content = self.get_object(SLOTS[slot]["object"])
        if content is None:
            return None
        return decode_certificate(content)

    def certificates(self) -> dict[str, x509.Certificate]:
        out = {}
        for slot in SLOTS:
            cert = self.certificate(slot)
            if cert is not None:
                out[slot] = cert
        return out

    def pin_status(self, reference: int = PIN_APPLICATION) -> PinStatus:
        """VERIFY with no data: the retry counter, without consuming a try."""
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
