"""A PIV card's objects read from a folder laid out as GSA's ICAM test cards, for the
virtual PIV card.

GSA publishes the objects of its PIV and PIV-I test cards in the public repository
``GSA/gsa-icam-card-builder``, one folder per card under ``cards/ICAM_Card_Objects/``
(``01_Golden_PIV``, ``23_Public_Private_Key_mismatch`` ...). Each file is named after the
container it fills, with the number GSA's card encoding tool uses:

==========================================  ======================================
file                                        container (SP 800-73-4 tag)
==========================================  ======================================
``1 - Discovery Object``                    discovery object (7E, the whole TLV)
``2 - Security Object``                     security object (5FC106, content of 53)
``3 - ICAM_PIV_Auth_SP_800-73-4.crt/.p12``  9A PIV Authentication (5FC105)
``4 - ICAM_PIV_Dig_Sig_SP_800-73-4``        9C Digital Signature (5FC10A)
``5 - ICAM_PIV_Key_Mgmt_SP_800-73-4``       9D Key Management (5FC10B)
``6 - ICAM_PIV_Card_Auth_SP_800-73-4``      9E Card Authentication (5FC101)
``7 - CCC``                                 Card Capability Container (5FC107)
``8 - CHUID Object``                        CHUID (5FC102, signed)
==========================================  ======================================

The data objects are served exactly as GSA wrote them (the signed CHUID and security
object are not regenerated: their signatures and hashes stay GSA's). A certificate file
(PEM, possibly with the ``Bag Attributes`` lines of an ``openssl pkcs12`` export) goes
into its container as ``70`` certificate, ``71`` CertInfo 00 (uncompressed), ``FE`` — the
form GSA's encoding tool writes. The private key of a slot comes from the ``.p12`` of the
same name (GSA's test keys; the PKCS#12 password is empty, as GSA's scripts use
``-passin pass:``). A slot without a ``.p12`` holds its certificate and no key.

An object file whose value is empty (``7E 00``) is an object the card does not have:
GSA's content signer writes "the Discovery Object ... with a zero length" when the card
is to have none (``c25-discovery-object.properties``, card 25 "Discovery object is not
present"). Such a card answers GET DATA with 6A82.

Only the containers above are read (the biometric and printed-information containers
need the PIN and play no part in sign-in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from wscard.errors import EnvironmentProblem

from .. import piv
from ..apdu import tlv, tlv_dict

#: Slot -> the base name of its certificate and key files in a GSA card folder (the
#: names GSA's ``test.bat`` verifies).
SLOT_FILES = {
    "9A": "3 - ICAM_PIV_Auth_SP_800-73-4",
    "9C": "4 - ICAM_PIV_Dig_Sig_SP_800-73-4",
    "9D": "5 - ICAM_PIV_Key_Mgmt_SP_800-73-4",
    "9E": "6 - ICAM_PIV_Card_Auth_SP_800-73-4",
}

#: Data object files -> container tag.
OBJECT_FILES = {
    "1 - Discovery Object": piv.OBJ_DISCOVERY,
    "2 - Security Object": piv.OBJ_SECURITY,
    "7 - CCC": piv.OBJ_CCC,
    "8 - CHUID Object": piv.OBJ_CHUID,
}


class CardFolderError(EnvironmentProblem):
    """A card folder cannot be loaded (the message names the file and the fix)."""


@dataclass
class CardFolder:
    """What a card folder puts on the virtual PIV card."""

    path: Path
    #: container tag bytes -> what GET DATA returns (the discovery object's 7E TLV, every
    #: other container wrapped in 53)
    objects: dict[bytes, bytes] = field(default_factory=dict)
    #: slot -> certificate
    certificates: dict[str, x509.Certificate] = field(default_factory=dict)
    #: slot -> private key (GSA's test key; it may deliberately not match the certificate)
    keys: dict[str, Any] = field(default_factory=dict)
    #: files present with an empty value: containers the card does not have
    absent: list[str] = field(default_factory=list)

    @property
    def guid(self) -> bytes:
        """The card's GUID from its CHUID (16 zero bytes when it has none)."""
        chuid = self.objects.get(piv.object_tag_bytes(piv.OBJ_CHUID))
        if chuid is None:
            return bytes(16)
        try:
            guid = piv.parse_chuid(tlv_dict(chuid)[0x53]).guid
        except (ValueError, KeyError):
            return bytes(16)
        return guid if len(guid) == 16 else bytes(16)

    def slots(self) -> list[Any]:
        """The :class:`~hardware.virtual.piv_card.SlotContent` of each slot."""
        from .piv_card import SlotContent

        return [SlotContent(slot, cert, self.keys.get(slot)) for slot, cert in self.certificates.items()]

    def virtual_card(self, pin: Any) -> Any:
        """A :class:`~hardware.virtual.piv_card.VirtualPivCard` holding these objects."""
        from .piv_card import VirtualPivCard

        return VirtualPivCard(self.slots(), pin, guid=self.guid, objects=self.objects)

    def describe(self) -> dict[str, Any]:
        return {"folder": str(self.path), "objects": sorted(o.hex().upper() for o in self.objects),
                "certificates": sorted(self.certificates), "keys": sorted(self.keys), "absent": self.absent}


def _read_certificate(path: Path) -> x509.Certificate:
    from wscard.pki import certs as C

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CardFolderError(f"{path}: cannot read: {exc.strerror}") from None
    # The one loader: `openssl pkcs12` exports (GSA's files) put "Bag Attributes" lines
    # before the armour (RFC 7468 allows text around it).
    try:
        return C.load_certificate(data, str(path))
    except C.CertificateFormatError as exc:
        raise CardFolderError(f"{path}: not a certificate ({exc}); a card folder's .crt files are PEM or DER "
                              "X.509 certificates") from None


def _read_key(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CardFolderError(f"{path}: cannot read: {exc.strerror}") from None
    last: Exception | None = None
    for password in (b"", None):
        try:
            key, _cert, _extra = pkcs12.load_key_and_certificates(data, password)
        except (ValueError, TypeError) as exc:
            last = exc
            continue
        if key is None:
            raise CardFolderError(f"{path}: the PKCS#12 file holds no private key")
        return key
    raise CardFolderError(f"{path}: cannot open the PKCS#12 file with an empty password ({last}); GSA's test "
                          "keys have none")


def load_card_folder(folder: Path | str) -> CardFolder:
    """Read a GSA-layout card folder (see the module docstring).

    :param folder: the card's folder, e.g. ``.../cards/ICAM_Card_Objects/01_Golden_PIV``.
    :returns: the card's containers, certificates and keys.
    :raises CardFolderError: the folder does not exist, holds no certificate, or a file
        cannot be read (the message names it).
    """
    path = Path(folder)
    if not path.is_dir():
        raise CardFolderError(f"card folder {path} does not exist (expected a folder laid out as GSA's "
                              "cards/ICAM_Card_Objects/NN_Name, see docs/card.md)")
    out = CardFolder(path)
    for name, tag in OBJECT_FILES.items():
        f = path / name
        if not f.is_file():
            continue
        data = f.read_bytes()
        if tag == piv.OBJ_DISCOVERY:
            if data[:1] != b"\x7e":
                raise CardFolderError(f"{f}: a discovery object starts with tag 7E, this one with "
                                      f"{data[:1].hex().upper() or 'nothing'}")
            try:
                value = tlv_dict(data)[0x7E]
            except (ValueError, KeyError):
                raise CardFolderError(f"{f}: the discovery object is not a valid TLV") from None
            if not value:
                out.absent.append(name)
                continue
            out.objects[piv.object_tag_bytes(tag)] = data
            continue
        if not data:
            out.absent.append(name)
            continue
        out.objects[piv.object_tag_bytes(tag)] = tlv(0x53, data)
    for slot, base in SLOT_FILES.items():
        crt = path / f"{base}.crt"
        if not crt.is_file():
            continue
        out.certificates[slot] = _read_certificate(crt)
        p12 = path / f"{base}.p12"
        if p12.is_file():
            out.keys[slot] = _read_key(p12)
    if not out.certificates:
        raise CardFolderError(f"card folder {path} holds no certificate file "
                              f"('{SLOT_FILES['9A']}.crt' ...): is it a GSA ICAM card folder?")
    for slot, cert in out.certificates.items():
        tag = piv.object_tag_bytes(piv.SLOTS[slot]["object"])
        out.objects[tag] = tlv(0x53, piv.build_cert_object(cert.public_bytes(Encoding.DER)))
    return out

