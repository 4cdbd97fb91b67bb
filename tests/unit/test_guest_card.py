"""The card smoke path: a virtual PIV card (the card layer's, in vpcd, through pcscd and
OpenSC) seen through an NSS database where OpenSC is registered as the user guide says,
which is what Chrome and Firefox see; and NSS never asks for, nor spends, the PIN."""

from __future__ import annotations

import datetime
import os
import shutil
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from wscard import host
from wscard.checks import Status
from wscard.guest import opensc, world
from wscard.guest.card import card_presence


def _why_not() -> str:
    not_here = host.linux_only("pcscd with vsmartcard's vpcd reader", "this test is skipped")
    if not_here:
        return not_here
    if not host.running_as_root():
        return "needs root (pcscd in a private network namespace)"
    if shutil.which("modutil") is None:
        return "libnss3-tools not installed"
    if opensc.host_library() is None or shutil.which("pkcs11-tool") is None:
        return "opensc / opensc-pkcs11 not installed"
    try:
        from hardware import pcscd
    except ImportError:
        return "the card layer (hardware/) is not importable"
    if shutil.which("pcscd") is None and not os.path.exists("/usr/sbin/pcscd"):
        return "pcscd not installed"
    if pcscd.vpcd_driver() is None:
        return "vsmartcard-vpcd not installed"
    return ""


pytestmark = pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "ok")


def _cert(key, cn: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))


@pytest.fixture
def pcsc():
    """pcscd with the vpcd readers, used by one process at a time (the card layer's lock)."""
    from hardware.backends import acquire_vpcd_lock, release_vpcd_lock
    from hardware.pcscd import PcscdHelper

    fd = acquire_vpcd_lock()
    helper = PcscdHelper()
    try:
        helper.ensure(need_vpcd=True)
        endpoint = helper.vpcd_endpoint()
        if not endpoint.loopback_only:
            pytest.skip("the running pcscd's vpcd accepts cards from the network; not inserting one")
        yield endpoint
    finally:
        helper.stop()
        release_vpcd_lock(fd)


def _wait(present: bool, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        p = card_presence()
        if p.present is present or time.monotonic() > deadline:
            return p
        time.sleep(0.2)


def test_no_card_is_a_clear_skip_reason(pcsc):
    p = _wait(False)
    assert not p.present and "no card reader with a card" in p.reason


def test_card_certificates_through_the_nss_database(pcsc, tmp_path):
    from hardware import netns
    from hardware.virtual.card import PinState
    from hardware.virtual.piv_card import SlotContent, VirtualPivCard
    from hardware.virtual.vpcd import VpcdLink

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    card = VirtualPivCard([SlotContent("9A", _cert(key, "Guest Smoke"), key)], PinState("12345678"),
                          guid=os.urandom(16))
    connect = (lambda fn: netns.run_in_namespace(pcsc.netns_pid, fn)) if pcsc.netns_pid else None
    link = VpcdLink(card, connect=connect)
    link.insert()
    try:
        presence = _wait(True)
        assert presence.present, presence.reason
        proc = world.fresh_home(tmp_path / "home", opensc.host_library())
        proc.run_documented_command()
        added = proc.check_added_message()
        assert added.status is Status.PASSED, added.message()
        listing = proc.list_all_token_certs()
        shown = proc.card_certificates_result()
        assert shown.status is Status.PASSED, listing
        assert "Guest Smoke:Certificate for PIV Authentication" in shown.evidence["certificates on the card"], listing
    finally:
        link.remove()
    assert card.pin.attempts_with_pin == 0 and card.pin.tries_left == card.pin.max_tries
