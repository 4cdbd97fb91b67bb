"""A virtual CAC-2 card that OpenSC recognises as "Common Access Card (CAC)".

It has a Card Capabilities Container applet (``A0 00 00 01 16 DB 00``) whose card URLs
point at the PKI applets (``A0 00 00 00 79 01 0x``), no ACA, and no PIV application (the
PIV SELECT must fail for OpenSC's CAC driver to be tried). Buffers are read with READ FILE
(INS 52), properties with GET PROPERTIES (INS 56), the PIN is key reference 00, and
SIGN/DECRYPT (INS 42) takes the padded block in chunks of up to 240 bytes (P1 80 = more,
00 = last) and returns the raw RSA result. RSA keys only, like the real cards.
"""

from __future__ import annotations

import os
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..apdu import SW, Command, Response, stlv_header, stlv_inline
from .. import cac
from .card import CardKey, PinState, VirtualCard, make_atr
from .piv_card import SlotContent


class VirtualCacCard(VirtualCard):
    kind = "CAC"

    def __init__(self, slots: list[SlotContent], pin: PinState, card_id: bytes, serial: str = ""):
        super().__init__(make_atr(b"wscCAC01"), pin, serial or card_id.hex().upper())
        self.card_id = card_id
        self.applets: dict[int, SlotContent] = {}
        for s in slots:
            if s.slot not in cac.SLOT_TO_INDEX:
                raise ValueError(f"a CAC has no slot {s.slot} (PKI applets map to 9A, 9C, 9D)")
            if not isinstance(s.key, rsa.RSAPrivateKey):
                raise ValueError("CAC cards hold RSA keys only; the test PKI gave a non-RSA key")
            self.applets[cac.SLOT_TO_INDEX[s.slot]] = s
        self.keys = {i: CardKey(s.key) for i, s in self.applets.items()}
        self.cuid = cac.GSC_RID + b"\x47\x02" + card_id
        self.selected: tuple[str, int] | None = None
        self._sign_buf = b""

    def reset_state(self) -> None:
        super().reset_state()
        self.selected = None
        self._sign_buf = b""

    # --- buffers --------------------------------------------------------------------------
    def _buffers(self) -> tuple[bytes, bytes]:
        if self.selected is None:
            return b"", b""
        kind, index = self.selected
        if kind == "ccc":
            items = [(0xF0, self.cuid), (0xF1, b"\x21"), (0xF2, b"\x21")]
            for i in sorted(self.applets):
                aid = cac.pki_aid(i)
                items.append((0xF3, cac.card_url(0x04, aid, aid[5:7])))
            items += [(0xF4, b"\x00"), (0xF5, b"\x10")]
        else:
            content = self.applets[index]
            der = content.der
            if content.certinfo & 0x03 == 1:  # CAC: CertInfo 01 = compressed (OpenSC's card-cac.c)
                import gzip

                der = gzip.compress(der, mtime=0)
            items = [(0x70, der), (0x71, bytes([content.certinfo]))]
        tl = b"".join(stlv_header(t, len(v)) for t, v in items)
        v = b"".join(v for _, v in items)
        return tl, v

    def handle(self, cmd: Command) -> Response:
        ins = cmd.ins
        if ins == 0xA4:
            return self._select(cmd)
        if ins == cac.READ_FILE:
            return self._read_file(cmd)
        if ins == cac.GET_PROPERTIES:
            return self._properties()
        if ins == 0x20:
            return self._verify(cmd)
        if ins == cac.SIGN_DECRYPT:
            return self._sign(cmd)
        if ins == 0x84:
            return Response(os.urandom(8), SW.OK)
        return Response(b"", SW.INS_NOT_SUPPORTED)

    def _select(self, cmd: Command) -> Response:
        if cmd.p1 == 0x02:  # object within the selected applet
            if self.selected and self.selected[0] == "pki" and cmd.data == cac.pki_aid(self.selected[1])[5:7]:
                return Response(b"", SW.OK)
            return Response(b"", SW.FILE_NOT_FOUND)
        if cmd.p1 != 0x04:
            return Response(b"", SW.FILE_NOT_FOUND)
        if cmd.data == cac.CCC_AID:
            self.selected = ("ccc", 0)
            self._sign_buf = b""
            return Response(b"", SW.OK)
        for i in self.applets:
            if cmd.data == cac.pki_aid(i):
                self.selected = ("pki", i)
                self._sign_buf = b""
                return Response(b"", SW.OK)
        return Response(b"", SW.FILE_NOT_FOUND)

    def _read_file(self, cmd: Command) -> Response:
        if self.selected is None or len(cmd.data) != 2 or cmd.data[0] not in (cac.TAG_BUFFER, cac.VALUE_BUFFER):
            return Response(b"", SW.CONDITIONS_NOT_SATISFIED if self.selected is None else SW.WRONG_DATA)
        tl, v = self._buffers()
        content = tl if cmd.data[0] == cac.TAG_BUFFER else v
        buf = len(content).to_bytes(2, "little") + content
        offset = (cmd.p1 << 8) | cmd.p2
        if offset >= len(buf):
            return Response(b"", 0x6B00)
        return Response(buf[offset : offset + cmd.data[1]], SW.OK)

    def _properties(self) -> Response:
        if self.selected is None:
            return Response(b"", SW.CONDITIONS_NOT_SATISFIED)
        kind, index = self.selected
        info = (0x01, b"\x10\x02\x01\x00\x00")
        if kind == "ccc":
            return Response(stlv_inline([info, (0x40, b"\x01"),
                                         (0x50, stlv_inline([(0x41, b"\xDB\x00"), (0x42, b"\x00\x00\x00\x00\x00")])
                                          + bytes(6))]), SW.OK)
        oid = cac.pki_aid(index)[5:7]
        obj = stlv_inline([(0x41, oid), (0x42, b"\x01\x00\x00\x00\x00"), (0x43, b"\x00\x00\x01\x00")])
        return Response(stlv_inline([info, (0x40, b"\x01"), (0x51, obj)]), SW.OK)

    def _verify(self, cmd: Command) -> Response:
        if cmd.p1 == 0xFF:
            self.pin.verified = False
            return Response(b"", SW.OK)
        if cmd.p2 != 0x00:
            return Response(b"", SW.REFERENCE_NOT_FOUND)
        if not cmd.data:
            return Response(b"", self.pin.status_sw())
        return Response(b"", self.pin.verify(cmd.data))

    def _sign(self, cmd: Command) -> Response:
        if self.selected is None or self.selected[0] != "pki":
            return Response(b"", SW.CONDITIONS_NOT_SATISFIED)
        if not self.pin.verified:
            return Response(b"", SW.SECURITY_NOT_SATISFIED)
        if cmd.p1 == 0x80:
            self._sign_buf += cmd.data
            return Response(b"", SW.OK)
        if cmd.p1 != 0x00:
            return Response(b"", SW.INCORRECT_P1P2)
        block, self._sign_buf = self._sign_buf + cmd.data, b""
        try:
            return Response(self.keys[self.selected[1]].raw_rsa(block), SW.OK)
        except ValueError:
            return Response(b"", SW.WRONG_DATA)

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update({"card_id": self.card_id.hex().upper(), "pki_applets": sorted(self.applets)})
        return d
