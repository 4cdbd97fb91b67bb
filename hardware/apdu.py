"""Command and response APDUs (ISO/IEC 7816-4), status words, BER-TLV and simple-TLV.

Pure data handling: no I/O, no platform dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator


class SW:
    """Status words used by the PIV and CAC card edges."""

    OK = 0x9000
    WRONG_LENGTH = 0x6700
    SECURITY_NOT_SATISFIED = 0x6982
    AUTH_METHOD_BLOCKED = 0x6983
    CONDITIONS_NOT_SATISFIED = 0x6985
    WRONG_DATA = 0x6A80
    FUNCTION_NOT_SUPPORTED = 0x6A81
    FILE_NOT_FOUND = 0x6A82
    INCORRECT_P1P2 = 0x6A86
    REFERENCE_NOT_FOUND = 0x6A88
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00

    @staticmethod
    def name(sw: int) -> str:
        names = {v: k for k, v in vars(SW).items() if isinstance(v, int)}
        if sw in names:
            return names[sw]
        if sw & 0xFF00 == 0x6100:
            return "MORE_DATA"
        if sw & 0xFFF0 == 0x63C0:
            return f"VERIFY_FAILED_{sw & 0x0F}_LEFT"
        if sw & 0xFF00 == 0x6C00:
            return "WRONG_LE"
        return f"{sw:04X}"


class ApduError(Exception):
    """The card answered with an error status word."""

    def __init__(self, sw: int, what: str = ""):
        self.sw = sw
        self.what = what
        super().__init__(f"{what + ': ' if what else ''}card answered {sw:04X} ({SW.name(sw)})")


@dataclass(frozen=True)
class Command:
    """A command APDU. ``le`` None means no Le field; 0 means "up to 256" (short)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def encode(self, extended: bool = False) -> bytes:
        head = bytes([self.cla, self.ins, self.p1, self.p2])
        body = b""
        if extended or len(self.data) > 255 or (self.le is not None and self.le > 256):
            if self.data:
                body += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.le is not None:
                le = b"\x00\x00" if self.le in (0, 65536) else self.le.to_bytes(2, "big")
                body += le if self.data else b"\x00" + le
            return head + body
        if self.data:
            body += bytes([len(self.data)]) + self.data
        if self.le is not None:
            body += bytes([0 if self.le in (0, 256) else self.le])
        return head + body

    @classmethod
    def parse(cls, raw: bytes) -> "Command":
        """Decode a short or extended command APDU (cases 1-4)."""
        if len(raw) < 4:
            raise ValueError(f"APDU too short ({len(raw)} bytes)")
        cla, ins, p1, p2 = raw[:4]
        rest = raw[4:]
        if not rest:
            return cls(cla, ins, p1, p2)
        if len(rest) == 1:
            return cls(cla, ins, p1, p2, b"", rest[0] or 256)
        if rest[0] == 0 and len(rest) >= 3:  # extended
            if len(rest) == 3:
                n = int.from_bytes(rest[1:3], "big")
                return cls(cla, ins, p1, p2, b"", n or 65536)
            lc = int.from_bytes(rest[1:3], "big")
            data = rest[3 : 3 + lc]
            if len(data) != lc:
                raise ValueError("extended APDU: Lc does not match the data")
            tail = rest[3 + lc :]
            le = None
            if len(tail) == 2:
                le = int.from_bytes(tail, "big") or 65536
            elif tail:
                raise ValueError("extended APDU: bad Le")
            return cls(cla, ins, p1, p2, data, le)
        lc = rest[0]
        data = rest[1 : 1 + lc]
        if len(data) != lc:
            raise ValueError(f"short APDU: Lc={lc} but {len(data)} data bytes")
        tail = rest[1 + lc :]
        if len(tail) > 1:
            raise ValueError("short APDU: trailing bytes after Le")
        le = (tail[0] or 256) if tail else None
        return cls(cla, ins, p1, p2, data, le)

    @property
    def chained(self) -> bool:
        """Command chaining bit (ISO 7816-4, CLA b5) is set."""
        return bool(self.cla & 0x10)


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW.OK

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def parse(cls, raw: bytes) -> "Response":
        if len(raw) < 2:
            raise ValueError("response shorter than a status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))


# --- BER-TLV (the PIV data model) -------------------------------------------------------

def _encode_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return b"\x81" + bytes([n])
    if n < 0x10000:
        return b"\x82" + n.to_bytes(2, "big")
    return b"\x83" + n.to_bytes(3, "big")


def _tag_bytes(tag: int) -> bytes:
    n = max(1, (tag.bit_length() + 7) // 8)
    return tag.to_bytes(n, "big")


def tlv(tag: int, value: bytes = b"") -> bytes:
    """Encode one BER-TLV (tag given as an int: 0x53, 0x5FC102, 0x7F49...)."""
    return _tag_bytes(tag) + _encode_len(len(value)) + value


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    length_of_encoding: int = field(default=0, compare=False)


def read_tlv(data: bytes, offset: int = 0) -> Tlv:
    """Decode the BER-TLV starting at ``offset``."""
    start = offset
    if offset >= len(data):
        raise ValueError("no TLV here: end of data")
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:
        while True:
            if offset >= len(data):
                raise ValueError("truncated TLV tag")
            b = data[offset]
            tag = (tag << 8) | b
            offset += 1
            if not b & 0x80:
                break
    if offset >= len(data):
        raise ValueError(f"TLV {tag:X}: no length")
    ln = data[offset]
    offset += 1
    if ln & 0x80:
        nbytes = ln & 0x7F
        if nbytes == 0 or nbytes > 3 or offset + nbytes > len(data):
            raise ValueError(f"TLV {tag:X}: bad length encoding")
        ln = int.from_bytes(data[offset : offset + nbytes], "big")
        offset += nbytes
    if offset + ln > len(data):
        raise ValueError(f"TLV {tag:X}: length {ln} runs past the end of the data")
    return Tlv(tag, bytes(data[offset : offset + ln]), offset + ln - start)


def iter_tlv(data: bytes) -> Iterator[Tlv]:
    """The TLVs one after another at the top level of ``data`` (0x00/0xFF padding skipped)."""
    offset = 0
    while offset < len(data):
        if data[offset] in (0x00, 0xFF):
            offset += 1
            continue
        item = read_tlv(data, offset)
        offset += item.length_of_encoding
        yield item


def tlv_dict(data: bytes) -> dict[int, bytes]:
    """Top-level TLVs as {tag: value} (the first occurrence of each tag wins)."""
    out: dict[int, bytes] = {}
    for item in iter_tlv(data):
        out.setdefault(item.tag, item.value)
    return out


def unwrap(tag: int, data: bytes) -> bytes:
    """The value of the single TLV ``tag`` that makes up ``data``."""
    item = read_tlv(data)
    if item.tag != tag:
        raise ValueError(f"expected tag {tag:X}, found {item.tag:X}")
    return item.value


# --- simple-TLV (GSC-IS / CAC buffers) --------------------------------------------------

def stlv_header(tag: int, length: int) -> bytes:
    """A simple-TLV tag+length: 1-byte length, or FF and 2 bytes little-endian."""
    if length < 0xFF:
        return bytes([tag, length])
    return bytes([tag, 0xFF]) + length.to_bytes(2, "little")


def parse_stlv_headers(tl: bytes) -> list[tuple[int, int]]:
    """[(tag, length)] of a CAC tag-list buffer."""
    out = []
    i = 0
    while i + 2 <= len(tl):
        tag, ln = tl[i], tl[i + 1]
        i += 2
        if ln == 0xFF:
            if i + 2 > len(tl):
                raise ValueError("truncated simple-TLV length")
            ln = int.from_bytes(tl[i : i + 2], "little")
            i += 2
        out.append((tag, ln))
    return out


def split_stlv(tl: bytes, values: bytes) -> list[tuple[int, bytes]]:
    """Join a CAC tag-list buffer with its value buffer: [(tag, value)]."""
    out = []
    pos = 0
    for tag, ln in parse_stlv_headers(tl):
        out.append((tag, values[pos : pos + ln]))
        pos += ln
    return out


def stlv_inline(items: Iterable[tuple[int, bytes]]) -> bytes:
    """Simple-TLV with tag, length and value together (CAC properties, CCC card URLs)."""
    return b"".join(stlv_header(t, len(v)) + v for t, v in items)


def parse_stlv_inline(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    i = 0
    while i + 2 <= len(data):
        tag, ln = data[i], data[i + 1]
        i += 2
        if ln == 0xFF:
            ln = int.from_bytes(data[i : i + 2], "little")
            i += 2
        out.append((tag, data[i : i + ln]))
        i += ln
    return out


def hexs(data: bytes) -> str:
    return data.hex(" ").upper()
