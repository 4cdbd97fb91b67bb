"""The virtual cards through the real stack: pcscd (started by the harness in a private
network namespace), vsmartcard's vpcd reader, OpenSC and PKCS#11.

Each test starts and stops its own backend (the vpcd readers are locked per process, so
these tests never share them with a parallel run). Skipped where the stack is missing.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess

import pytest

from hwtest_helpers import stack_available

from hardware import scenarios
from hardware.backends import make_backend
from hardware.session import CardSession

WHY = stack_available()
pytestmark = pytest.mark.skipif(bool(WHY), reason=WHY or "ok")


@pytest.fixture(scope="module")
def profile():
    from wscard.profile import load_profile

    return load_profile()


@pytest.fixture
def start(profile):
    from wscard.pki import get_pki

    pki = get_pki(profile.pki)
    sessions = []

    def _start(backend: str, **card) -> CardSession:
        section = dataclasses.replace(profile.card, backend=backend, **card)
        s = CardSession(make_backend(section, pki.get))
        sessions.append(s)
        s.start()
        return s

    yield _start
    for s in sessions:
        s.stop()


def _tool(*args: str) -> str:
    exe = shutil.which(args[0])
    if exe is None:
        pytest.skip(f"{args[0]} not installed (package opensc)")
    return subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=30).stdout


@pytest.mark.parametrize("backend, name, manufacturer", [
    ("virtual-piv", "Personal Identity Verification Card", "piv_II"),
    ("virtual-cac", "Common Access Card (CAC)", "Common Access Card"),
])
def test_opensc_tools_recognise_the_virtual_cards(start, backend, name, manufacturer):
    s = start(backend)
    assert name in _tool("opensc-tool", "-n")
    listing = _tool("pkcs11-tool", "-L")
    assert "Virtual PCD 00 00" in listing and f"token manufacturer : {manufacturer}" in listing
    assert "token initialized" in listing
    assert s.card().info.serial.lower() in listing.lower()


def test_pcscd_runs_in_a_namespace_that_only_loopback_reaches(start):
    from hardware import netns

    s = start("virtual-piv")
    ep = s.backend.endpoint
    assert ep.loopback_only
    if s.backend.helper.started:  # the harness started pcscd: a private namespace with lo only
        pid = s.backend.helper.pid()
        assert netns.namespace_of(pid) != netns.namespace_of("self")
        assert netns.interfaces(pid) == ["lo"]
        assert ep.netns_pid == pid


def test_pcscd_helper_stops_only_what_it_started(start):
    from hardware import pcscd

    s = start("virtual-piv")
    helper = s.backend.helper
    started = helper.started
    other = pcscd.PcscdHelper()
    other.ensure()  # one already runs: nothing started
    assert not other.started
    other.stop()
    assert pcscd.running()
    s.stop()
    assert pcscd.running() is (not started)


@pytest.mark.parametrize("backend", ["virtual-piv", "virtual-cac"])
def test_one_try_left_never_sends_a_pin(start, backend):
    s = start(backend, pin_tries_left=1)
    card = s.backend.cards[0]
    results = [scenarios.pin_login(s), scenarios.retry_counter(s), scenarios.possession_pkcs11(s),
               scenarios.possession_card_edge(s), scenarios.shared_access_pkcs11(s), scenarios.shared_access_pcsc(s)]
    assert results[0].status.value == "failed" and "refuses to send a PIN" in results[0].message()
    assert results[1].status.value == "failed"
    assert all(r.status.value in ("skipped", "passed") for r in results[2:]), [r.message() for r in results]
    assert card.pin.attempts_with_pin == 0 and card.pin.tries_left == 1
    assert not any(e.instruction == "VERIFY" and "PIN masked" in e.command for e in card.log.entries)


def test_wrong_pin_fails_cleanly_costs_one_try_and_is_not_retried(start):
    s = start("virtual-piv", wrong_pin=True)
    card = s.backend.cards[0]
    r = scenarios.pin_login(s)
    assert r.status.value == "failed" and "refused the PIN (2 tries left)" in r.message()
    # nothing after it sends the PIN again, not even over the card edge
    for later in (scenarios.pin_login(s), scenarios.possession_pkcs11(s), scenarios.possession_card_edge(s)):
        assert later.status.value in ("failed", "skipped")
    assert card.pin.attempts_with_pin == 1 and card.pin.tries_left == 2


@pytest.mark.parametrize("backend", ["virtual-piv", "virtual-cac"])
def test_the_scratch_card_demonstration(start, backend):
    s = start(backend)
    r = scenarios.wrong_pin_demonstration(s)
    assert r.status.value == "passed", r.message()
    assert r.evidence["tries_before"] - r.evidence["tries_after"] == 1
    assert r.evidence["card_side_pin_attempts"] == 1
    assert len(s.presence()) == 1  # the scratch card is gone again


def test_two_cards_and_the_second_reader(start):
    s = start("virtual-piv", cards=2)
    assert scenarios.cards_in_readers(s).status.value == "failed"
    assert {p.where for p in s.presence()} == {"Virtual PCD 00 00", "Virtual PCD 00 01"}
    serials = {t.serial for t in s.backend.module().tokens()}
    assert len(serials) == 2  # told apart by serial, never by label
    assert scenarios.possession_pkcs11(s).status.value == "passed"  # on the card in reader 00


def test_real_card_backend_is_read_only_on_the_stack(start):
    """The pcsc backend's connection policy on a (virtual) card in a real reader."""
    from hardware.apdu import Command
    from hardware.backends import PcscBackend
    from hardware.transport import CardSafetyError

    s = start("virtual-piv")
    real = PcscBackend(dataclasses.replace(s.backend.section, backend="pcsc", reader="Virtual PCD 00 00"))
    conn = real.connect()
    try:
        with pytest.raises(CardSafetyError):
            conn.send(Command(0, 0xDB, 0x3F, 0xFF, b"\x5c\x03\x5f\xc1\x05\x53\x00"))
        with pytest.raises(CardSafetyError):
            conn.send(Command(0, 0x20, 0, 0x80, b"12345678"))
    finally:
        conn.close()
    assert s.backend.cards[0].pin.attempts_with_pin == 0


def test_no_pcscd_is_one_clear_environment_problem(monkeypatch):
    from hardware import pcsc
    from wscard.errors import EnvironmentProblem

    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")
    if os.environ.get("PCSCLITE_CSOCK_NAME") != "/nonexistent/pcscd.comm":  # pragma: no cover
        pytest.skip("cannot redirect pcsc-lite")
    # pcsc-lite reads the variable when the library initialises: check in a fresh process
    code = ("from hardware import pcsc\n"
            "try:\n    pcsc.list_readers()\nexcept Exception as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([os.sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": os.getcwd()}).stdout
    assert "EnvironmentProblem" in out and "PC/SC service is not available" in out
    assert EnvironmentProblem and pcsc


def test_opensc_reads_the_real_world_forms_of_the_virtual_piv_card(start):
    """The forms of tests/data/realworld/ on a virtual card, through pcscd and OpenSC: a
    gzip certificate with CertInfo 80 and a 63 0X retry counter (YubiKey NEO's ATR)."""
    from wscard.sections.card import CardObject

    s = start("virtual-piv", retry_counter_form="630X", objects=[CardObject("9A", "user", encoding="gzip-certinfo-80")])
    card = s.backend.cards[0]
    assert card.objects[bytes.fromhex("5FC105")][-5:] == bytes.fromhex("710180FE00")  # CertInfo 80 on the card
    assert scenarios.retry_counter(s).status.value == "passed"
    assert s.retry_counter()["form"] == "630X"
    assert [c.slot for c in s.identity().certificates] == ["9A"] and not s.identity().problems
    # OpenSC (PKCS#11) reads the compressed certificate and logs in with the 630X counter
    assert scenarios.logon_certificates_pkcs11(s).status.value == "passed"
    assert scenarios.possession_pkcs11(s).status.value == "passed"
    assert card.pin.attempts_with_pin == 1


def test_opensc_and_the_card_edge_on_empty_certificate_objects(start):
    """Certificate objects that exist but are empty (53 00) in 9C, 9D and 9E: OpenSC and the
    card edge see only 9A, and nothing fails or raises."""
    s = start("virtual-piv", empty_objects=["9C", "9D", "9E"])
    assert [c.slot for c in s.identity().certificates] == ["9A"] and not s.identity().problems
    assert [c.slot for c in s.certificates()] == ["9A"]
    for check in (scenarios.card_type, scenarios.logon_certificates_card_edge, scenarios.logon_certificates_pkcs11,
                  scenarios.possession_pkcs11):
        assert check(s).status.value == "passed", check


def test_opensc_reads_a_compressed_cac_certificate(start):
    """A virtual CAC whose ID certificate is gzip-compressed (CertInfo 01, OpenSC's
    card-cac.c rule): OpenSC and the card edge both read it."""
    from wscard.sections.card import CardObject

    s = start("virtual-cac", objects=[CardObject("9A", "user", encoding="gzip")])
    assert s.identity().type == "CAC" and [c.slot for c in s.identity().certificates] == ["9A"]
    assert [c.slot for c in s.certificates()] == ["9A"]
    assert scenarios.possession_pkcs11(s).status.value == "passed"
