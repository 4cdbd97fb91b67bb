"""GSA-layout card folders on the virtual PIV card (hardware/virtual/card_folder.py), the
``[card] card_folder`` setting, and reading GSA's OCSP responder databases
(wscard.pki.responder.index_from_openssl_database). No reader needed: the virtual card
is driven with APDUs directly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from hardware import piv
from hardware.apdu import tlv
from hardware.virtual.card import PinState
from hardware.virtual.card_folder import CardFolderError, load_card_folder
from wscard.errors import ProfileError
from wscard.pki.responder import index_from_openssl_database

CARDS = Path(__file__).resolve().parents[1] / "data" / "gsa-icam" / "cards"
GOLDEN = CARDS / "01_Golden_PIV"
GET_DISCOVERY = bytes.fromhex("00CB3FFF035C017E00")


def _sw(card, apdu: bytes) -> str:
    return card.process(apdu)[-2:].hex().upper()


def test_gsa_objects_are_served_as_gsa_wrote_them():
    folder = load_card_folder(GOLDEN)
    chuid = (GOLDEN / "8 - CHUID Object").read_bytes()
    assert folder.objects[piv.object_tag_bytes(piv.OBJ_CHUID)] == tlv(0x53, chuid)
    security = (GOLDEN / "2 - Security Object").read_bytes()
    assert folder.objects[piv.object_tag_bytes(piv.OBJ_SECURITY)] == tlv(0x53, security)
    assert folder.objects[b"\x7e"] == (GOLDEN / "1 - Discovery Object").read_bytes()
    assert sorted(folder.certificates) == ["9A", "9C", "9D", "9E"]
    assert sorted(folder.keys) == ["9A", "9E"]  # the 9C/9D keys are not kept
    assert folder.guid.hex().upper() == "7B13D0E61F6E478EA0AABE0F9AD64A6C"
    card = folder.virtual_card(PinState(b"123456"))
    card.power_on()
    assert card.process(bytes.fromhex("00CB3FFF055C035FC10200"))[:-2][:4] == tlv(0x53, chuid)[:4]


def test_a_zero_length_discovery_object_is_an_absent_one():
    folder = load_card_folder(CARDS / "25_Disco_Object_Not_Present")
    assert folder.absent == ["1 - Discovery Object"]
    card = folder.virtual_card(PinState(b"123456"))
    card.power_on()
    assert _sw(card, GET_DISCOVERY) == "6A82"


def test_the_global_pin_exists_where_the_discovery_object_names_it():
    golden = load_card_folder(GOLDEN).virtual_card(PinState(b"123456"))
    global_primary = load_card_folder(CARDS / "28_Disco_Object_Present_Global_PIN_Primary").virtual_card(
        PinState(b"123456"))
    for card in (golden, global_primary):
        card.power_on()
    assert golden.global_pin is None and _sw(golden, bytes.fromhex("00200000")) == "6A88"
    assert global_primary.global_pin is not None and _sw(global_primary, bytes.fromhex("00200000")) == "63C3"
    # a wrong global PIN costs a global try, not an application one
    assert _sw(global_primary, bytes.fromhex("0020000008") + b"999999\xff\xff") == "63C2"
    assert global_primary.pin.tries_left == 3


def test_the_key_mismatch_card_keeps_gsas_mismatched_key():
    folder = load_card_folder(CARDS / "23_Public_Private_Key_mismatch")
    assert folder.keys["9A"].public_key().public_numbers() != folder.certificates["9A"].public_key().public_numbers()


def test_bad_folders_are_refused_naming_the_file(tmp_path):
    with pytest.raises(CardFolderError, match="does not exist"):
        load_card_folder(tmp_path / "nope")
    with pytest.raises(CardFolderError, match="holds no certificate"):
        load_card_folder(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(GOLDEN, bad)
    (bad / "3 - ICAM_PIV_Auth_SP_800-73-4.crt").write_bytes(b"Bag Attributes\n    garbage\n")
    with pytest.raises(CardFolderError, match=r"3 - ICAM_PIV_Auth_SP_800-73-4\.crt: not a certificate"):
        load_card_folder(bad)
    locked = tmp_path / "locked"
    shutil.copytree(GOLDEN, locked)
    golden = load_card_folder(GOLDEN)
    (locked / "3 - ICAM_PIV_Auth_SP_800-73-4.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"x", golden.keys["9A"], golden.certificates["9A"], None, BestAvailableEncryption(b"secret")))
    with pytest.raises(CardFolderError, match=r"3 - ICAM_PIV_Auth_SP_800-73-4\.p12: cannot open"):
        load_card_folder(locked)
    (locked / "1 - Discovery Object").write_bytes(b"\x53\x00")
    with pytest.raises(CardFolderError, match="starts with tag 7E"):
        load_card_folder(locked)


def test_the_card_section_takes_a_card_folder_for_the_virtual_piv_card_only(tmp_path):
    from wscard.profile import PathValue
    from wscard.sections.card import CardSection

    CardSection(backend="virtual-piv", card_folder=PathValue(str(GOLDEN))).validate(None)
    with pytest.raises(ProfileError, match="virtual PIV card only"):
        CardSection(backend="softhsm", card_folder=PathValue(str(GOLDEN))).validate(None)
    with pytest.raises(ProfileError, match="is not a folder"):
        CardSection(backend="virtual-piv", card_folder=PathValue(str(tmp_path / "nope"))).validate(None)


def test_openssl_ca_databases_become_responder_indexes():
    text = ("V\t321201235959Z\t\t5853CCE2521801412001\tunknown\t/CN=a\n"
            "R\t240531000000Z\t190705124720Z,cessationOfOperation\tA0000000000000000010\tunknown\t/CN=b\n"
            "R\t240531000000Z\t190705124720Z\ta0000000000000000011\tunknown\t/CN=c\n"
            "E\t140325235959Z\t\t5853CCE2521801412002\tunknown\t/CN=d\n")
    index = index_from_openssl_database(text)
    assert index["5853CCE2521801412001"] == {"status": "good"}
    assert index["A0000000000000000010"] == {"status": "revoked", "revoked_at": "2019-07-05T12:47:20+00:00",
                                              "reason": "cessation_of_operation"}
    assert index["A0000000000000000011"]["reason"] == "unspecified"
    assert "5853CCE2521801412002" not in index  # expired: openssl ocsp gives it no status
    with pytest.raises(ValueError, match="line 2"):
        index_from_openssl_database("V\t321201235959Z\t\t01\tunknown\t/CN=a\nnot a line\n")
    gsa = (CARDS.parent / "responder" / "piv-gen1-2-index.txt").read_text()
    assert index_from_openssl_database(gsa)["D18FC8F76557A6D2"] == {"status": "good"}  # card 24, as GSA published it
