"""CAC (Common Access Card, GSC-IS 2.1 / CAC-2) identification: the host side.

The CAC applets are found the way OpenSC's CAC driver looks for them: the Card
Capabilities Container (CCC) applet, then the Access Control Applet (ACA), then the PKI
applets themselves (``A0 00 00 00 79 01 0x``). Buffers are read with READ FILE (INS 52:
P1P2 offset, data ``01`` tag buffer or ``02`` value buffer and a count; every buffer
starts with its length on two bytes, little-endian). Certificates sit in the PKI
applets' buffers (tag 70, with CertInfo 71 saying whether they are compressed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from wscard.pki.certs import load_certificate

from .apdu import SW, ApduError, Command, parse_stlv_inline, split_stlv
from .piv import CertificateObject, PinStatus, decode_certificate_value, pin_status_from_sw, pad_pin
from .transport import CardConnection

CAC_RID = bytes.fromhex("A000000079")
GSC_RID = bytes.fromhex("A000000116")
CCC_AID = GSC_RID + b"\xDB\x00"
ACA_AID = CAC_RID + b"\x10\x00"

#: PKI applets: ID certificate, e-mail signature, e-mail encryption (OpenSC's labels).
PKI_LABELS = ["CAC ID Certificate", "CAC Email Signature Certificate", "CAC Email Encryption Certificate"]
#: How the harness maps PIV slots onto CAC PKI applets (first applet = "first slot").
SLOT_TO_INDEX = {"9A": 0, "9C": 1, "9D": 2}
INDEX_TO_SLOT = {v: k for k, v in SLOT_TO_INDEX.items()}

READ_FILE, GET_PROPERTIES, SIGN_DECRYPT = 0x52, 0x56, 0x42
TAG_BUFFER, VALUE_BUFFER = 0x01, 0x02
CHUNK = 240


def pki_aid(index: int) -> bytes:
    return CAC_RID + bytes([0x01, index])


def card_url(app_type: int, aid: bytes, object_id: bytes) -> bytes:
    """A CCC card URL (tag F3): RID, application type, object ID, application ID, access
    profile, PIN ID, key file ID, key number, algorithm (30 bytes)."""
    return aid[:5] + bytes([app_type]) + object_id + aid[5:7] + bytes(15) + b"\x00" + bytes(3) + b"\x00"


@dataclass
class CacCcc:
    cuid: bytes
    card_id: bytes
    pki_aids: list[bytes] = field(default_factory=list)
    other_aids: list[bytes] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "cuid": self.cuid.hex().upper(),
            "card_id": self.card_id.hex().upper(),
            "pki_applets": [a.hex().upper() for a in self.pki_aids],
        }


def parse_cac_ccc(tl: bytes, values: bytes) -> CacCcc:
    cuid = b""
    pki: list[bytes] = []
    other: list[bytes] = []
    for tag, val in split_stlv(tl, values):
        if tag == 0xF0:
            cuid = val
        elif tag == 0xF3 and len(val) >= 10:
            aid = val[:5] + val[8:10]
            (pki if val[5] == 0x04 else other).append(aid)
    return CacCcc(cuid, cuid[7:] if len(cuid) > 7 else b"", pki, other)


class CacCard:
    """Host side of the CAC card edge over a :class:`CardConnection`."""

    def __init__(self, conn: CardConnection):
        self.conn = conn

    def select(self, aid: bytes) -> bool:
        r = self.conn.send(Command(0x00, 0xA4, 0x04, 0x0C, aid))
        if r.sw == 0x6A86:  # some cards insist on returning FCI
            r = self.conn.send(Command(0x00, 0xA4, 0x04, 0x00, aid, 0))
        return r.ok or r.sw1 == 0x61

    def select_object(self, object_id: bytes) -> bool:
        r = self.conn.send(Command(0x00, 0xA4, 0x02, 0x00, object_id, 0))
        return r.ok or r.sw1 == 0x61

    def read_buffer(self, which: int) -> bytes:
        """READ FILE of the selected object's tag buffer (01) or value buffer (02)."""
        head = self.conn.send_ok(Command(0x00, READ_FILE, 0, 0, bytes([which, 2]), 2), "CAC READ FILE")
        if len(head) < 2:
            raise ApduError(SW.WRONG_LENGTH, "CAC READ FILE (length)")
        size = int.from_bytes(head[:2], "little")
        out = b""
        offset = 2
        while len(out) < size:
            n = min(CHUNK, size - len(out))
            chunk = self.conn.send_ok(
                Command(0x00, READ_FILE, offset >> 8, offset & 0xFF, bytes([which, n]), n), "CAC READ FILE"
            )
            if not chunk:
                break
            out += chunk
            offset += len(chunk)
        return out

    def read_object(self) -> tuple[bytes, bytes]:
        return self.read_buffer(TAG_BUFFER), self.read_buffer(VALUE_BUFFER)

    def ccc(self) -> CacCcc | None:
        if not self.select(CCC_AID):
            return None
        tl, v = self.read_object()
        return parse_cac_ccc(tl, v)

    def has_aca(self) -> bool:
        return self.select(ACA_AID)

    def properties(self) -> list[tuple[int, bytes]]:
        r = self.conn.send(Command(0x00, GET_PROPERTIES, 0x01, 0x00, b"", 0))
        return parse_stlv_inline(r.data) if r.ok else []

    def find_pki_applets(self, max_applets: int = 3) -> list[int]:
        """Indexes of the PKI applets that can be selected and read."""
        found = []
        for i in range(max_applets):
            if not self.select(pki_aid(i)):
                continue
            r = self.conn.send(Command(0x00, READ_FILE, 0, 0, bytes([TAG_BUFFER, 2]), 2))
            if r.ok and len(r.data) == 2:
                found.append(i)
        return found

    def certificate_object(self, index: int) -> CertificateObject:
        """The certificate of PKI applet ``index``, decoded by OpenSC's CAC rule
        (``card-cac.c``: CertInfo ``& 0x03 == 1`` means compressed, inflated as gzip or
        zlib). Never raises for what the card holds; a READ FILE error is "unknown"."""
        if not self.select(pki_aid(index)):
            return CertificateObject("absent")
        self.select_object(pki_aid(index)[5:7])
        try:
            tl, v = self.read_object()
            items = split_stlv(tl, v)
        except ApduError as exc:
            return CertificateObject("unknown", problem=str(exc), sw=exc.sw)
        except ValueError as exc:
            return CertificateObject("undecodable", problem=f"the applet's tag buffer is broken ({exc})")
        der = b""
        info: int | None = None
        for tag, val in items:
            if tag == 0x70:
                der = val
            elif tag == 0x71 and val:
                info = val[0]
        return decode_certificate_value(der, info, info is not None and info & 0x03 == 1)

    def certificate(self, index: int) -> x509.Certificate | None:
        """The certificate of PKI applet ``index``; None when there is none or it cannot
        be decoded (:meth:`certificate_object` says which)."""
        return self.certificate_object(index).cert

    def pin_status(self) -> PinStatus:
        r = self.conn.send(Command(0x00, 0x20, 0x00, 0x00))
        return pin_status_from_sw(r.sw)

    def verify_command(self, pin: bytes) -> Command:
        return Command(0x00, 0x20, 0x00, 0x00, pad_pin(pin))

    def sign_raw(self, index: int, block: bytes) -> bytes:
        """Raw RSA private-key operation with the key of PKI applet ``index`` (the PIN must
        have been verified). ``block`` is the padded input, sent in chunks of 240 bytes."""
        if not self.select(pki_aid(index)):
            raise ApduError(SW.FILE_NOT_FOUND, f"SELECT CAC PKI applet {index}")
        self.select_object(pki_aid(index)[5:7])
        out = b""
        while len(block) > CHUNK:
            chunk, block = block[:CHUNK], block[CHUNK:]
            out += self.conn.send_ok(Command(0x00, SIGN_DECRYPT, 0x80, 0x00, chunk, 0), "CAC SIGN")
        out += self.conn.send_ok(Command(0x00, SIGN_DECRYPT, 0x00, 0x00, block, 0), "CAC SIGN")
        return out
