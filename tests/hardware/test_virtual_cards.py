"""The virtual PIV and CAC cards, driven in-process through the host-side card edges."""

import os

import pytest

from hardware import cac, identify, piv
from hardware.apdu import ApduError, Command
from hardware.transport import CardSafetyError
from hardware.virtual.cac_card import VirtualCacCard
from hardware.virtual.card import OtherCard, PinState
from hardware.virtual.piv_card import SlotContent, VirtualPivCard

from hwtest_helpers import connect, make_cert

PIN = b"24681357"


def piv_card(rsa_cert, rsa_key, **kw):
    return VirtualPivCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN, 3, 3), guid=os.urandom(16), **kw)


def test_piv_objects_and_certificate_with_response_chaining(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key)
    conn = connect(card)
    p = piv.PivCard(conn)
    apt = p.select()
    assert apt[0] == 0x61
    assert p.discovery()["aid"] == piv.PIV_AID.hex().upper()
    chuid = p.chuid()
    assert chuid.guid == card.guid and chuid.fascn_fields
    assert p.certificate("9A") == rsa_cert
    assert p.certificate("9C") is None
    # the certificate is longer than 256 bytes: it came in several GET RESPONSEs
    assert any(raw[1] == 0xC0 for raw in conn.transport.sent)


def test_pin_status_does_not_consume_a_try(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key)
    p = piv.PivCard(connect(card))
    p.select()
    for _ in range(5):
        st = p.pin_status()
        assert st.tries_left == 3 and not st.verified
    assert card.pin.attempts_with_pin == 0


def test_verify_outside_the_pin_window_is_refused(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key)
    conn = connect(card)
    p = piv.PivCard(conn)
    p.select()
    with pytest.raises(CardSafetyError):
        conn.send(p.verify_command(PIN))
    assert card.pin.attempts_with_pin == 0
    with conn.pin_window():
        assert conn.send(p.verify_command(PIN)).ok
    # the window allowed exactly one attempt
    with pytest.raises(CardSafetyError):
        conn.send(p.verify_command(PIN))


def test_wrong_pin_costs_one_try_and_the_counter_resets(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key)
    conn = connect(card)
    p = piv.PivCard(conn)
    p.select()
    with conn.pin_window():
        r = conn.send(p.verify_command(b"11111111"))
    assert r.sw == 0x63C2 and p.pin_status().tries_left == 2
    with conn.pin_window():
        assert conn.send(p.verify_command(PIN)).ok
    assert p.pin_status().verified and card.pin.tries_left == 3


def test_blocked_pin(rsa_cert, rsa_key):
    card = VirtualPivCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN, 0, 3), guid=os.urandom(16))
    p = piv.PivCard(connect(card))
    p.select()
    assert p.pin_status().blocked


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_general_authenticate_signs_and_needs_the_pin(which, rsa_cert, rsa_key, ec_cert, ec_key):
    cert, key = (rsa_cert, rsa_key) if which == "rsa" else (ec_cert, ec_key)
    card = VirtualPivCard([SlotContent("9A", cert, key)], PinState(PIN), guid=os.urandom(16))
    conn = connect(card)
    p = piv.PivCard(conn)
    p.select()
    with pytest.raises(ApduError) as e:
        p.sign("9A", b"hello", cert.public_key())
    assert e.value.sw == 0x6982
    with conn.pin_window():
        conn.send(p.verify_command(PIN))
    sig = p.sign("9A", b"hello", cert.public_key())
    assert piv.verify_signature(cert, b"hello", sig)
    assert not piv.verify_signature(cert, b"other", sig)
    if which == "rsa":  # 256-byte challenge + headers: sent with command chaining
        assert any(raw[0] & 0x10 for raw in conn.transport.sent)


def test_mismatched_key_signature_does_not_verify(rsa_cert, other_rsa_key):
    card = VirtualPivCard([SlotContent("9A", rsa_cert, other_rsa_key)], PinState(PIN), guid=os.urandom(16))
    conn = connect(card)
    p = piv.PivCard(conn)
    p.select()
    with conn.pin_window():
        conn.send(p.verify_command(PIN))
    sig = p.sign("9A", b"challenge", rsa_cert.public_key())
    assert not piv.verify_signature(rsa_cert, b"challenge", sig)


def test_raw_rsa_fallback_matches_openssl(rsa_key):
    from hardware.virtual.card import CardKey

    block = piv.pkcs1_v15_digest_info(b"m", 256)
    fast = CardKey(rsa_key).raw_rsa(block)
    odd = b"\x00\x02" + b"\x11" * 200 + b"\x00" + b"x" * 53  # not a signature block: CRT path
    slow = CardKey(rsa_key).raw_rsa(odd)
    n = rsa_key.public_key().public_numbers().n
    assert pow(int.from_bytes(slow, "big"), 65537, n) == int.from_bytes(odd, "big")
    assert pow(int.from_bytes(fast, "big"), 65537, n) == int.from_bytes(block, "big")


def test_cac_card_edge(rsa_cert, rsa_key, other_rsa_key):
    second = make_cert(other_rsa_key, "Email Signature", logon=False)
    card = VirtualCacCard([SlotContent("9A", rsa_cert, rsa_key), SlotContent("9C", second, other_rsa_key)],
                          PinState(PIN), card_id=bytes.fromhex("0102030405060708"))
    conn = connect(card)
    c = cac.CacCard(conn)
    ccc = c.ccc()
    assert ccc.card_id.hex() == "0102030405060708"
    assert ccc.pki_aids == [cac.pki_aid(0), cac.pki_aid(1)]
    assert c.certificate(0) == rsa_cert and c.certificate(1) == second
    assert c.pin_status().tries_left == 3
    with conn.pin_window():
        assert conn.send(c.verify_command(PIN)).ok
    block = piv.pkcs1_v15_digest_info(b"msg", 256)
    sig = c.sign_raw(0, block)  # 256 bytes: two chunks (240 + 16)
    assert piv.verify_signature(rsa_cert, b"msg", sig)
    assert sum(1 for raw in conn.transport.sent if raw[1] == 0x42) == 2


def test_cac_refuses_ec_keys(ec_cert, ec_key):
    with pytest.raises(ValueError, match="RSA"):
        VirtualCacCard([SlotContent("9A", ec_cert, ec_key)], PinState(PIN), card_id=b"12345678")


def test_identify_piv_cac_dual_other(rsa_cert, rsa_key):
    ident = identify.identify(connect(piv_card(rsa_cert, rsa_key)))
    assert ident.type == "PIV" and [c.slot for c in ident.certificates] == ["9A"] and ident.serial
    assert ident.certificates[0].logon
    dual = identify.identify(connect(piv_card(rsa_cert, rsa_key, cac_pki_endpoint=True)))
    assert dual.type == "CAC with PIV endpoint"
    c = VirtualCacCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN), card_id=bytes.fromhex("0A0B0C0D0E0F1011"))
    ci = identify.identify(connect(c))
    assert ci.type == "CAC" and ci.serial == "0A0B0C0D0E0F1011" and ci.certificates[0].slot == "9A"
    other = identify.identify(connect(OtherCard()))
    assert other.type == "other" and not other.supported


def test_identify_is_read_only(rsa_cert, rsa_key):
    """Identification works through a read-only (pcsc) connection: it never writes."""
    for card in (piv_card(rsa_cert, rsa_key),
                 VirtualCacCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN), card_id=b"\x01" * 8)):
        assert identify.identify(connect(card, read_only=True)).supported
        assert card.pin.attempts_with_pin == 0


def test_unknown_instruction_and_power_cycle(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key)
    conn = connect(card)
    assert conn.send(Command(0, 0x99, 0, 0)).sw == 0x6D00
    p = piv.PivCard(conn)
    p.select()
    with conn.pin_window():
        conn.send(p.verify_command(PIN))
    assert p.pin_status().verified
    card.reset()
    assert not p.pin_status().verified
