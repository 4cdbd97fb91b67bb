"""``[card]``: the smart card under test (a real card in a PC/SC reader) or the simulated
one (a SoftHSM token, or a virtual PIV/CAC card in vsmartcard's virtual reader).

The PIN is never in a profile: it comes from ``$SMARTCARD_PIN`` or a prompt for a real
card, and is generated for a simulated one. See docs/card.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import ProfileError
from ..profile import PathValue, section

Backend = Literal["auto", "softhsm", "virtual-piv", "virtual-cac", "virtual-other", "pcsc"]
Slot = Literal["9A", "9C", "9D", "9E"]
CardType = Literal["", "PIV", "CAC", "CAC with PIV endpoint"]
CertEncoding = Literal["der", "gzip", "gzip-certinfo-80", "gzip-truncated"]
#: CertInfo byte of each encoding (SP 800-73-4 CertInfo; 0x80: older piv-tool).
CERTINFO = {"der": 0x00, "gzip": 0x01, "gzip-certinfo-80": 0x80, "gzip-truncated": 0x01}


@dataclass
class CardObject:
    """A certificate (and its private key) on a simulated card."""

    #: PIV slot (key reference): ``9A`` PIV Authentication, ``9C`` Digital Signature,
    #: ``9D`` Key Management, ``9E`` Card Authentication. A virtual CAC maps 9A, 9C and
    #: 9D to its ID, e-mail signature and e-mail encryption PKI applets.
    slot: Slot
    #: Name of the certificate in the test PKI (``user``, ``user-good``...).
    cert: str = "user"
    #: Name of the PKI entry whose private key the card holds for this slot; empty: the
    #: certificate's own key. Another entry's key (``ocsp``) makes a key that does not
    #: match its certificate (UC-6).
    key: str = ""
    #: Virtual cards: how the certificate is stored in its data object, as real cards
    #: store it. ``der``: uncompressed, CertInfo 00. ``gzip``: gzip-compressed, CertInfo 01
    #: (SP 800-73-4; a CAC's compressed form too). ``gzip-certinfo-80``: gzip-compressed
    #: with CertInfo 80, as older OpenSC ``piv-tool`` wrote it (virtual-piv only; OpenSC's
    #: PIV driver reads both flags). ``gzip-truncated``: a damaged object, CertInfo 01 and
    #: only the first half of the gzip data (it cannot be decoded: a UC-5 finding for the
    #: slot).
    encoding: CertEncoding = "der"

    @property
    def certinfo(self) -> int:
        """The CertInfo byte (tag 71) this encoding writes."""
        return CERTINFO[self.encoding]


def _default_objects() -> list[CardObject]:
    return [CardObject("9A", "user")]


@section("card")
@dataclass
class CardSection:
    #: Where the card is. ``auto`` (the embedded default): ``virtual-piv`` where the emulated
    #: card stack is installed (Linux, pcscd, vsmartcard-vpcd, OpenSC, root), else ``softhsm``,
    #: and the run states which card requirements that leaves not evaluated.
    #: ``softhsm``: a throwaway SoftHSM2 token (no reader; the card-edge ``@hw`` scenarios
    #: cannot run on it). ``virtual-piv`` / ``virtual-cac``: a virtual PIV or CAC card in the
    #: vsmartcard virtual reader, read through pcscd, OpenSC and PKCS#11 like a real card
    #: (Linux, CI). ``virtual-other``: a virtual card that is neither PIV nor CAC.
    #: ``pcsc``: the real reader and card of a lab machine (read-only). ``--card``
    #: overrides it.
    backend: Backend = "softhsm"
    #: pcsc: part of the name of the reader holding the card under test; empty: the only
    #: reader with a card in it.
    reader: str = ""
    #: The PKCS#11 module. Empty: OpenSC's ``opensc-pkcs11`` (``softhsm``: SoftHSM's
    #: ``libsofthsm2.so``). A card vendor's module (ActivClient...) goes here: a full path,
    #: or a file name (``acpkcs211.dll``) looked for in the usual install folders
    #: (Windows: OpenSC's and ActivClient's under Program Files, System32).
    pkcs11_module: PathValue = PathValue("")
    #: Serial number of the PKCS#11 token of the card under test. Empty: the token in
    #: the card's reader (two cards can share a label, so tokens are never chosen by label).
    token_serial: str = ""
    #: PKCS#11 slot ID of the card under test; -1: chosen by serial or reader.
    token_slot: int = -1
    #: The card type this environment is meant to use (``PIV``, ``CAC``, ``CAC with PIV
    #: endpoint``); a card of another supported type is a warning (CARD-1). Empty: any
    #: supported type.
    expected_type: CardType = ""

    # --- simulated cards only (softhsm, virtual-*) ----------------------------------------
    #: How many cards are inserted: 0, 1 or 2 (two cards break CARD-2, none too).
    cards: int = 1
    #: The certificates on the card (from the test PKI), by slot.
    objects: list[CardObject] = field(default_factory=_default_objects)
    #: ``virtual-piv`` only: a folder of card objects laid out as GSA's ICAM test cards
    #: (``cards/ICAM_Card_Objects/NN_Name`` of GSA/gsa-icam-card-builder, e.g.
    #: ``tests/data/gsa-icam/cards/01_Golden_PIV``): its CHUID, security object, discovery
    #: object, CCC and certificates go onto the virtual card as GSA wrote them, with the
    #: private keys of its PKCS#12 files. It replaces ``objects``. Empty: the test PKI's
    #: certificates (see docs/card.md).
    card_folder: PathValue = PathValue("")
    #: PIN tries left on the card at the start of the run. 1 makes the harness refuse to
    #: send a PIN (CARD-3).
    pin_tries_left: int = 3
    #: The card's maximum number of PIN tries (the retry counter's reset value).
    pin_tries_max: int = 3
    #: The harness is given a PIN other than the card's (CARD-3: a wrong PIN must fail
    #: cleanly and cost exactly one try).
    wrong_pin: bool = False
    #: Virtual PIV card: slots whose certificate object exists but is empty (``53 00``),
    #: as some cards are personalised without those certificates (absent objects, 6A82,
    #: are the slots not in ``objects``).
    empty_objects: list[Slot] = field(default_factory=list)
    #: Virtual PIV card: how it writes the PIN retry counter in answer to VERIFY. ``63CX``
    #: (SP 800-73-4). ``630X``: as some YubiKey NEO firmware does (63 03 for three tries);
    #: the card then also presents a NEO's ATR historical bytes ("YubikeyNEOr3"), from
    #: which OpenSC knows to read 63 0X as X tries left, as it does for the real card.
    retry_counter_form: Literal["63CX", "630X"] = "63CX"
    #: Virtual cards: show, on a scratch card of the same type in the second reader, that a
    #: wrong PIN fails cleanly and costs exactly one try (CARD-3).
    demonstrate_wrong_pin: bool = True
    #: Virtual cards: how the application already using the card on the local device opened
    #: it, in the CARD-4 check. ``shared`` is what WorkSpaces needs; ``exclusive`` models
    #: middleware that locks the card (SCARD_SHARE_EXCLUSIVE), so that nothing else (the
    #: WorkSpace's redirected session, a browser) can use it.
    local_access: Literal["shared", "exclusive"] = "shared"

    @property
    def simulated(self) -> bool:
        return self.backend != "pcsc"

    @property
    def uses_pcsc(self) -> bool:
        return self.backend != "softhsm"

    @property
    def virtual(self) -> bool:
        """A virtual card in the machine's vpcd readers (``virtual-*``): one run at a time
        holds them (hardware.backends)."""
        return self.backend.startswith("virtual-")

    def validate(self, profile) -> None:
        if not 0 <= self.cards <= 2:
            raise ProfileError("must be 0, 1 or 2 (the virtual reader has two slots)", key="[card].cards")
        if not 1 <= self.pin_tries_max <= 15:
            raise ProfileError("must be between 1 and 15", key="[card].pin_tries_max")
        if not 0 <= self.pin_tries_left <= self.pin_tries_max:
            raise ProfileError(
                f"must be between 0 and pin_tries_max ({self.pin_tries_max})", key="[card].pin_tries_left"
            )
        slots = [o.slot for o in self.objects]
        if len(slots) != len(set(slots)):
            raise ProfileError("each slot may hold one certificate", key="[card].objects")
        if self.backend == "virtual-cac" and any(s == "9E" for s in slots):
            raise ProfileError("a CAC has no slot 9E (its PKI applets map to 9A, 9C, 9D)", key="[card].objects")
        for i, obj in enumerate(self.objects):
            if obj.encoding == "der":
                continue
            if self.backend not in ("virtual-piv", "virtual-cac"):
                raise ProfileError(
                    f"encoding {obj.encoding!r} describes a card's data object: it needs backend virtual-piv or "
                    "virtual-cac (SoftHSM stores certificates through PKCS#11, a real card is read as it is)",
                    key=f"[card].objects[{i}].encoding")
            if self.backend == "virtual-cac" and obj.encoding == "gzip-certinfo-80":
                raise ProfileError(
                    "a CAC marks a compressed certificate with CertInfo 01 only (OpenSC's CAC driver ignores 80): "
                    "use encoding = \"gzip\"", key=f"[card].objects[{i}].encoding")
            if self.backend == "virtual-cac" and obj.encoding == "gzip-truncated":
                raise ProfileError("a damaged certificate object is modelled on the virtual PIV card only "
                                   "(backend virtual-piv)", key=f"[card].objects[{i}].encoding")
        if self.empty_objects:
            if self.backend != "virtual-piv":
                raise ProfileError("empty certificate objects are modelled on the virtual PIV card only "
                                   "(backend virtual-piv)", key="[card].empty_objects")
            both = sorted(set(self.empty_objects) & set(slots))
            if both:
                raise ProfileError(f"slot {', '.join(both)} is also in objects: a slot is empty or holds a "
                                   "certificate", key="[card].empty_objects")
        if self.retry_counter_form != "63CX" and self.backend != "virtual-piv":
            raise ProfileError("the 630X retry-counter form is modelled on the virtual PIV card only "
                               "(backend virtual-piv)", key="[card].retry_counter_form")
        if self.local_access == "exclusive" and not (self.simulated and self.uses_pcsc):
            raise ProfileError("exclusive local access is modelled on virtual cards only (backend virtual-*)",
                               key="[card].local_access")
        if self.card_folder and self.backend != "virtual-piv":
            raise ProfileError("a card folder is loaded onto the virtual PIV card only (backend 'virtual-piv')",
                               key="[card].card_folder")
        if self.card_folder and not Path(self.card_folder).is_dir():
            raise ProfileError(f"{self.card_folder} is not a folder: give a card folder laid out as GSA's ICAM "
                               "test cards (e.g. tests/data/gsa-icam/cards/01_Golden_PIV)", key="[card].card_folder")
        if self.token_slot < -1:
            raise ProfileError("must be a slot ID (0 or more), or -1", key="[card].token_slot")
