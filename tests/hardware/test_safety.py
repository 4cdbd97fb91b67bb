"""Card safety: what a read-only (pcsc) connection refuses, PIN masking, the PIN guard."""

import os

import pytest

from hardware import piv
from hardware.apdu import Command
from hardware.pin import AttemptOutcome, Pin, PinGuard, PinLogFilter, pin_from_environment, scrub
from wscard.errors import PinAttemptRefused
from hardware.transport import ApduTrace, CardSafetyError, mask_command
from hardware.virtual.card import PinState
from hardware.virtual.piv_card import SlotContent, VirtualPivCard

from hwtest_helpers import connect

PIN = b"97531864"

WRITES = [
    Command(0, 0xDB, 0x3F, 0xFF, b"\x5c\x03\x5f\xc1\x05\x53\x00"),  # PUT DATA
    Command(0, 0x47, 0, 0x9A, b"\xac\x03\x80\x01\x07"),  # GENERATE ASYMMETRIC KEY PAIR
    Command(0, 0x24, 0, 0x80, b"1" * 16),  # CHANGE REFERENCE DATA
    Command(0, 0x2C, 0, 0x80, b"1" * 16),  # RESET RETRY COUNTER
    Command(0, 0xFB, 0, 0),  # vendor reset
    Command(0, 0xFE, 0x07, 0x9A, b"x"),  # vendor key import
    Command(0, 0xD6, 0, 0, b"x"),  # UPDATE BINARY
    Command(0, 0x87, 0x03, 0x9B, b"\x7c\x02\x80\x00"),  # management key authentication
]


@pytest.fixture
def card(rsa_cert, rsa_key):
    return VirtualPivCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN, 3, 3), guid=os.urandom(16))


@pytest.mark.parametrize("cmd", WRITES, ids=lambda c: f"INS{c.ins:02X}")
def test_read_only_connection_refuses_writes(card, cmd):
    conn = connect(card, read_only=True)
    before = card.apdu_count
    with pytest.raises(CardSafetyError):
        conn.send(cmd)
    assert card.apdu_count == before  # nothing reached the card


def test_read_only_connection_allows_reading(card):
    conn = connect(card, read_only=True)
    p = piv.PivCard(conn)
    p.select()
    assert p.chuid() is not None and p.pin_status().tries_left == 3


def test_trace_masks_pin_bytes(card):
    conn = connect(card)
    p = piv.PivCard(conn)
    p.select()
    with conn.pin_window():
        conn.send(p.verify_command(PIN))
    for text in (conn.trace.text(), str(conn.trace.as_json()), card.log.text()):
        assert PIN.hex() not in text.replace(" ", "").lower()
        assert "PIN masked" in text
    assert "<PIN masked, 8 bytes>" in mask_command(Command(0, 0x20, 0, 0x80, b"12345678").encode())
    assert mask_command(bytes.fromhex("0020008000")) == "00 20 00 80 00"


def test_pin_object_does_not_show_itself():
    pin = Pin("86427531", "test")
    assert "86427531" not in repr(pin) + str(pin) + f"{pin}"
    assert scrub("x 86427531 y") == "x ***PIN*** y"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(pin)


def test_log_filter_masks_known_pins(caplog):
    import logging

    Pin("13572468", "test")
    log = logging.getLogger("wscard.test.pin")
    log.addFilter(PinLogFilter())
    with caplog.at_level(logging.INFO):
        log.info("the pin is %s", "13572468")
    assert "13572468" not in caplog.text


def test_pin_from_environment(monkeypatch):
    monkeypatch.setenv("SMARTCARD_PIN", "55554444")
    assert pin_from_environment().reveal() == b"55554444"
    monkeypatch.delenv("SMARTCARD_PIN")
    from wscard.errors import EnvironmentProblem

    with pytest.raises(EnvironmentProblem, match="SMARTCARD_PIN"):
        pin_from_environment(prompt=False)


@pytest.mark.parametrize("platform, how", [("linux", "read -s SMARTCARD_PIN"), ("win32", "Read-Host -AsSecureString")])
def test_missing_pin_says_how_to_set_it_in_this_systems_shell(monkeypatch, platform, how):
    from wscard.errors import EnvironmentProblem

    monkeypatch.delenv("SMARTCARD_PIN", raising=False)
    monkeypatch.setattr("sys.platform", platform)
    with pytest.raises(EnvironmentProblem, match=how):
        pin_from_environment(prompt=False)


def _guarded(card, guard, pin, serial="card-1"):
    conn = connect(card)
    p = piv.PivCard(conn)
    p.select()

    def send():
        with conn.pin_window():
            r = conn.send(p.verify_command(pin))
        if not r.ok:
            raise ValueError(f"wrong pin {r.sw:04X}")
        return r

    return guard.attempt(serial, lambda: p.pin_status().tries_left, send, lambda e: isinstance(e, ValueError))


@pytest.mark.parametrize("tries", [1, 0])
def test_guard_refuses_at_one_try_or_fewer_and_sends_nothing(rsa_cert, rsa_key, tries):
    card = VirtualPivCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN, tries, 3), guid=os.urandom(16))
    guard = PinGuard()
    with pytest.raises(PinAttemptRefused, match="refuses to send a PIN"):
        _guarded(card, guard, PIN)
    assert card.pin.attempts_with_pin == 0 and card.pin.tries_left == tries
    assert guard.pins_sent() == 0


def test_guard_allows_two_tries_left(rsa_cert, rsa_key):
    card = VirtualPivCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN, 2, 3), guid=os.urandom(16))
    assert _guarded(card, PinGuard(), PIN).ok


def test_guard_makes_no_second_attempt_after_a_wrong_pin(card):
    guard = PinGuard()
    with pytest.raises(ValueError):
        _guarded(card, guard, b"00000000")
    assert card.pin.tries_left == 2
    with pytest.raises(PinAttemptRefused, match="earlier in this run"):
        _guarded(card, guard, PIN)  # even the right PIN is not sent
    assert card.pin.attempts_with_pin == 1 and card.pin.tries_left == 2
    assert [a.outcome for a in guard.attempts] == [AttemptOutcome.WRONG_PIN]


def test_apdu_trace_lines():
    t = ApduTrace()
    t.record(bytes.fromhex("00A4040009A00000030800001000"), 0x9000, 10, 0.0002)
    assert "SELECT" in t.text() and len(t) == 1 and t.as_json()[0]["sw"] == "9000"


def test_real_card_with_unknown_counter_and_low_flag_gets_no_pin(monkeypatch):
    """pcsc backend: when the card edge does not give the counter and the token says a
    wrong PIN was entered (CKF_USER_PIN_COUNT_LOW), the PIN is not sent."""
    import dataclasses

    from hardware import backends, pkcs11
    from wscard.profile import load_profile

    b = backends.PcscBackend(dataclasses.replace(load_profile().card, backend="pcsc"))
    monkeypatch.setattr(backends, "read_tries_over_pcsc", lambda backend: None)
    low = pkcs11.TokenInfo(0, "Reader", "x", "01", "m", "m", pkcs11.CKF_USER_PIN_COUNT_LOW | pkcs11.CKF_TOKEN_INITIALIZED)
    guard = PinGuard()
    sent = []
    with pytest.raises(PinAttemptRefused, match="COUNT_LOW"):
        guard.attempt("01", lambda: b.tries_left(low), lambda: sent.append(1), lambda e: False)
    assert not sent
    final = dataclasses.replace(low, flags=pkcs11.CKF_USER_PIN_FINAL_TRY)
    with pytest.raises(PinAttemptRefused, match="only 1 PIN try"):
        guard.attempt("01", lambda: b.tries_left(final), lambda: sent.append(1), lambda e: False)
    fine = dataclasses.replace(low, flags=pkcs11.CKF_TOKEN_INITIALIZED)
    assert b.tries_left(fine) is None and not sent
