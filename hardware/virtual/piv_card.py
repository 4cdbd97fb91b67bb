"""A virtual PIV card (NIST SP 800-73-4 card edge) that OpenSC recognises as
"Personal Identity Verification Card".

What OpenSC 0.23 sends and this card answers: GET DATA of the discovery object before any
SELECT (answered with the discovery object when the PIV application is the default one),
SELECT by the 9-byte AID prefix (application property template), GET DATA of CHUID, CCC,
history (absent) and the certificates of 9A/9C/9D/9E, VERIFY with no data (63CX / 9000),
VERIFY with the PIN (key reference 80), VERIFY P1=FF (reset security status), and
GENERAL AUTHENTICATE (raw RSA on the padded block, or ECDSA on the digest) with command
chaining. Write commands (PUT DATA, GENERATE...) are answered 6982: the harness never
needs them.

Forms real cards use and OpenSC reads can be presented (``[card]`` settings): a
certificate gzip-compressed with CertInfo 01 or 80 (``SlotContent.certinfo``), and the
retry counter written 63 0X with a YubiKey NEO's historical bytes
(``PinState.counter_form``), and certificate objects that exist but are empty
(``empty_slots``: ``53 00``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..apdu import SW, Command, Response, tlv, tlv_dict
from .. import piv
from .card import CardKey, PinState, VirtualCard, make_atr


@dataclass
class SlotContent:
    """What a slot holds: a certificate and the private key the card uses for it."""

    slot: str
    cert: x509.Certificate
    #: private key object (may deliberately not match the certificate); None: the slot
    #: holds a certificate but the card has no key for it (GENERAL AUTHENTICATE: 6A88)
    key: Any
    #: CertInfo byte written with the certificate (tag 71): 0x00 DER, 0x01 gzip
    #: (SP 800-73-4), 0x80 gzip as older OpenSC piv-tool wrote it.
    certinfo: int = piv.CERTINFO_UNCOMPRESSED
    #: a damaged object: only the first half of the (compressed) certificate is stored
    truncated: bool = False

    def object_content(self) -> bytes:
        """The certificate object's content (inside 53), as this slot stores it."""
        content = piv.build_cert_object(self.der, self.certinfo)
        if not self.truncated:
            return content
        from ..apdu import tlv_dict

        d = tlv_dict(content)
        return tlv(0x70, d[0x70][: len(d[0x70]) // 2]) + tlv(0x71, d[0x71]) + tlv(0xFE, b"")

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


#: The ATR of a YubiKey NEO (historical bytes "YubikeyNEOr3"). A virtual card that writes
#: its retry counter 63 0X, as NEO firmware does, presents these historical bytes, so that
#: OpenSC recognises it as it recognises the real card (``card-piv.c``: historical bytes
#: starting "Yubikey" -> SC_CARD_TYPE_PIV_II_NEO -> CI_VERIFY_630X).
NEO_HISTORICAL_BYTES = b"YubikeyNEOr3"


class VirtualPivCard(VirtualCard):
    kind = "PIV"

    def __init__(
        self,
        slots: list[SlotContent],
        pin: PinState,
        guid: bytes,
        fascn: bytes | None = None,
        cac_pki_endpoint: bool = False,
        serial: str = "",
        objects: dict[bytes, bytes] | None = None,
        empty_slots: tuple[str, ...] = (),
    ):
        """``objects``: the card's containers as a real card stores them (tag bytes -> what
        GET DATA returns), e.g. GSA's ICAM test card objects
        (:mod:`hardware.virtual.card_folder`); they replace the generated CHUID, CCC,
        discovery object and certificate containers, and a container not in it is absent."""
        historical = NEO_HISTORICAL_BYTES if pin.counter_form == "630X" else b"wscPIV01"
        super().__init__(make_atr(historical), pin, serial or guid.hex().upper())
        self.guid = guid
        self.fascn = fascn or piv.encode_fascn("9999", "9999", guid.hex()[:6].translate(_HEX_TO_DIGIT))
        self.slots = {s.slot: s for s in slots}
        self.keys = {s.slot: CardKey(s.key) for s in slots if s.key is not None}
        self.selected = True  # PIV is the default application
        self.objects: dict[bytes, bytes] = {
            piv.object_tag_bytes(piv.OBJ_CHUID): tlv(0x53, piv.build_chuid(self.fascn, guid)),
            piv.object_tag_bytes(piv.OBJ_CCC): tlv(
                0x53, piv.build_ccc(bytes.fromhex("A000000116") + guid[:16], cac_pki_endpoint)
            ),
            piv.object_tag_bytes(piv.OBJ_DISCOVERY): piv.build_discovery(),
        }
        for s in slots:
            tag = piv.object_tag_bytes(piv.SLOTS[s.slot]["object"])
            self.objects[tag] = tlv(0x53, s.object_content())
        for slot in empty_slots:  # personalised without that certificate: the object is there, empty
            self.objects[piv.object_tag_bytes(piv.SLOTS[slot]["object"])] = tlv(0x53, b"")
        if objects is not None:
            self.objects = dict(objects)
        #: The global PIN (key reference 00), on a card whose discovery object says it has
        #: one (PIN usage policy, first byte bit 0x20: GSA's cards 27, 28, 39). Modelled with
        #: the card's PIN value and a retry counter of its own.
        self.global_pin: PinState | None = None
        policy = tlv_dict(tlv_dict(self.objects.get(b"\x7e", b"")).get(0x7E, b"")).get(0x5F2F, b"")
        if policy[:1] and policy[0] & 0x20:
            self.global_pin = PinState(pin.pin, pin.tries_left, pin.max_tries)

    def reset_state(self) -> None:
        super().reset_state()
        if getattr(self, "global_pin", None) is not None:
            self.global_pin.verified = False
        self.selected = True

    def handle(self, cmd: Command) -> Response:
        ins = cmd.ins
        if ins == 0xA4:
            return self._select(cmd)
        if not self.selected:
            return Response(b"", SW.INS_NOT_SUPPORTED if ins != 0xCB else SW.FILE_NOT_FOUND)
        if ins == 0xCB:
            return self._get_data(cmd)
        if ins == 0x20:
            return self._verify(cmd)
        if ins == 0x87:
            return self._general_authenticate(cmd)
        if ins in (0xDB, 0x47, 0x24, 0x2C, 0xFB, 0xFE, 0xFF):
            return Response(b"", SW.SECURITY_NOT_SATISFIED)
        return Response(b"", SW.INS_NOT_SUPPORTED)

    def _select(self, cmd: Command) -> Response:
        if cmd.p1 != 0x04:
            return Response(b"", SW.FILE_NOT_FOUND)
        aid = cmd.data
        if len(aid) >= 5 and piv.PIV_AID.startswith(aid[: len(piv.PIV_AID)]):
            self.selected = True
            return Response(piv.build_application_property_template(), SW.OK)
        # a failed SELECT leaves the current selection as it is (ISO 7816-4)
        return Response(b"", SW.FILE_NOT_FOUND)

    def _get_data(self, cmd: Command) -> Response:
        if (cmd.p1, cmd.p2) != (0x3F, 0xFF):
            return Response(b"", SW.INCORRECT_P1P2)
        try:
            tag = tlv_dict(cmd.data).get(0x5C)
        except ValueError:
            return Response(b"", SW.WRONG_DATA)
        if tag is None:
            return Response(b"", SW.WRONG_DATA)
        obj = self.objects.get(tag)
        if obj is None:
            return Response(b"", SW.FILE_NOT_FOUND)
        return Response(obj, SW.OK)

    def _verify(self, cmd: Command) -> Response:
        if cmd.p1 == 0xFF:
            if cmd.p2 == piv.PIN_GLOBAL and self.global_pin is not None:
                self.global_pin.verified = False
            else:
                self.pin.verified = False
            return Response(b"", SW.OK)
        pin = self.pin if cmd.p2 == piv.PIN_APPLICATION else (
            self.global_pin if cmd.p2 == piv.PIN_GLOBAL else None)
        if pin is None:
            return Response(b"", SW.REFERENCE_NOT_FOUND)
        if not cmd.data:
            return Response(b"", pin.status_sw())
        return Response(b"", pin.verify(cmd.data))

    def _general_authenticate(self, cmd: Command) -> Response:
        slot = f"{cmd.p2:02X}"
        if slot not in self.keys:  # no such key on the card (or a certificate without its key)
            return Response(b"", SW.REFERENCE_NOT_FOUND if slot != "9B" else SW.SECURITY_NOT_SATISFIED)
        if slot != "9E" and not (self.pin.verified or (self.global_pin is not None and self.global_pin.verified)):
            return Response(b"", SW.SECURITY_NOT_SATISFIED)
        key = self.keys[slot]
        try:
            expected = piv.algorithm_for(key.private_key.public_key())
        except (ValueError, KeyError):
            return Response(b"", SW.FUNCTION_NOT_SUPPORTED)
        if cmd.p1 != expected:
            return Response(b"", SW.INCORRECT_P1P2)
        try:
            inner = tlv_dict(tlv_dict(cmd.data)[0x7C])
        except (ValueError, KeyError):
            return Response(b"", SW.WRONG_DATA)
        challenge = inner.get(0x81)
        if challenge is None or 0x82 not in inner:
            return Response(b"", SW.WRONG_DATA)
        try:
            sig = key.raw_rsa(challenge) if key.is_rsa else key.ecdsa_digest(challenge)
        except ValueError:
            return Response(b"", SW.WRONG_DATA)
        return Response(tlv(0x7C, tlv(0x82, sig)), SW.OK)

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update({"guid": self.guid.hex().upper(), "slots": sorted(self.slots)})
        return d


_HEX_TO_DIGIT = str.maketrans("abcdef", "012345")
