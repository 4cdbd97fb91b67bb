"""Cards as real cards answer (issue 12, point 2): the encodings and status words OpenSC
accepts from real PIV and CAC cards are read the way OpenSC reads them, and what the
harness does not know becomes "unknown" for that object or counter, never an exception
and never a finding about another requirement.

The real inputs are in ``tests/data/realworld/`` (see its README)."""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path

import pytest

from hardware import cac, checks, identify, piv, scenarios
from hardware.apdu import Command, Response, tlv, unwrap
from hardware.backends import Backend, Presence
from hardware.pin import Pin, PinGuard
from wscard.errors import PinAttemptRefused, TriesUnknown
from hardware.session import CardSession
from hardware.virtual.cac_card import VirtualCacCard
from hardware.virtual.card import PinState
from hardware.virtual.piv_card import NEO_HISTORICAL_BYTES, SlotContent, VirtualPivCard
from wscard.checks import Status

from hwtest_helpers import connect, make_cert

DATA = Path(__file__).resolve().parents[1] / "data" / "realworld"
PIN = b"24681357"
TAG_9A = piv.object_tag_bytes(piv.SLOTS["9A"]["object"])
TAG_9C = piv.object_tag_bytes(piv.SLOTS["9C"]["object"])


def real_9a_object() -> bytes:
    """The 9A object of piv-certinfo-0x80-gzip as the card returns it (53 ...)."""
    return bytes.fromhex((DATA / "piv-certinfo-0x80-gzip" / "object_9a.hex").read_text().strip())


def exchange_630x() -> list[int]:
    """The status words of piv-verify-630x/exchange.txt, in order (63 03, 63 02, 69 83)."""
    text = (DATA / "piv-verify-630x" / "exchange.txt").read_text()
    sws = [int(m.group(1) + m.group(2), 16) for m in re.finditer(r"\b(63|69) ?(0[0-9A-F]|83)\b", text)]
    assert sws[:3] == [0x6303, 0x6302, 0x6983], sws
    return sws[:3]


def piv_card(cert, key, **kw) -> VirtualPivCard:
    return VirtualPivCard([SlotContent("9A", cert, key)], kw.pop("pin", PinState(PIN, 3, 3)), guid=os.urandom(16), **kw)


# --- CertInfo and compression -------------------------------------------------------------

def test_real_certinfo_0x80_gzip_object_is_read_as_opensc_reads_it():
    content = unwrap(0x53, real_9a_object())
    obj = piv.decode_certificate_object(content)
    assert obj.state == "present", obj.problem
    assert obj.certinfo == 0x80 and obj.compression == "gzip"
    assert obj.cert.subject.rfc4514_string() == "CN=Test User"
    assert piv.decode_certificate(content) == obj.cert


def test_real_object_on_a_card_identifies_and_judges_without_error(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key)
    card.objects[TAG_9A] = real_9a_object()  # the bytes exactly as the real card answers
    ident = identify.identify(connect(card, read_only=True))
    assert ident.type == "PIV" and not ident.problems
    assert [c.slot for c in ident.certificates] == ["9A"]
    assert ident.certificates[0].cert.subject.rfc4514_string() == "CN=Test User"
    assert any("gzip-compressed (CertInfo 80)" in n for n in ident.notes)
    assert checks.card_type(ident).status is Status.PASSED
    # the certificate carries no Smart Card Logon EKU: UC-5 defers to UC-3, it does not fail
    uc5 = checks.logon_certificates(ident.certificates, ident.serial, ident.problems)
    assert uc5.status is Status.SKIPPED and "see UC-3" in uc5.skipped_because


@pytest.mark.parametrize("certinfo, body", [
    (0x00, lambda der: der),
    (0x01, lambda der: gzip.compress(der)),              # SP 800-73-4
    (0x80, lambda der: gzip.compress(der)),              # older piv-tool
    (0x81, lambda der: gzip.compress(der)),
    (0x01, lambda der: zlib.compress(der)),              # OpenSC's COMPRESSION_AUTO also takes zlib
    (0x00, lambda der: gzip.compress(der)),              # gzip magic without the flag
])
def test_every_form_opensc_reads_decodes_to_the_certificate(rsa_cert, certinfo, body):
    from cryptography.hazmat.primitives import serialization

    der = rsa_cert.public_bytes(serialization.Encoding.DER)
    content = tlv(0x70, body(der)) + tlv(0x71, bytes([certinfo])) + tlv(0xFE, b"")
    obj = piv.decode_certificate_object(content)
    assert obj.state == "present" and obj.cert == rsa_cert, obj.problem


@pytest.mark.parametrize("content, why", [
    (tlv(0x70, b"\x1f\x8b\x08\x00garbage") + tlv(0x71, b"\x80"), "cannot be inflated"),
    # deterministic bytes (mtime 0): test IDs must be the same in every xdist worker
    (tlv(0x70, gzip.compress(bytes(range(256)) * 2, mtime=0)[:60]) + tlv(0x71, b"\x01"), "truncated"),
    (tlv(0x70, b"\x30\x03\x02\x01\x01") + tlv(0x71, b"\x01"), "marked compressed (CertInfo 01)"),
    (tlv(0x70, b"\x30\x03\x02\x01\x01") + tlv(0x71, b"\x00"), "not a DER X.509 certificate"),
    (tlv(0x71, b"\x00") + tlv(0xFE, b""), "no certificate tag 70"),
    (b"\x70\x82\x01\x00\x30", "TLV structure is broken"),
], ids=["gzip-garbage", "truncated", "certinfo-01-not-gzip", "not-der", "no-tag-70", "broken-tlv"])
def test_an_undecodable_object_is_described_never_raised(content, why):
    obj = piv.decode_certificate_object(content)
    assert obj.state == "undecodable" and why in obj.problem
    with pytest.raises(ValueError, match=re.escape(why)):
        piv.decode_certificate(content)


@pytest.mark.parametrize("raw", [tlv(0x53, b""), tlv(0x53, tlv(0x70, b"") + tlv(0x71, b"\x00")), b""])
def test_empty_objects_are_empty_not_errors(rsa_cert, rsa_key, raw):
    card = piv_card(rsa_cert, rsa_key)
    card.objects[TAG_9C] = raw
    ident = identify.identify(connect(card))
    assert [c.slot for c in ident.certificates] == ["9A"] and not ident.problems
    assert piv.PivCard(connect(card)).certificate_object("9C").state == "empty"


def test_undecodable_9a_is_a_uc5_finding_for_its_slot(rsa_cert, rsa_key, other_rsa_key):
    second = make_cert(other_rsa_key, "Signature", logon=False)
    card = VirtualPivCard([SlotContent("9A", rsa_cert, rsa_key), SlotContent("9C", second, other_rsa_key)],
                          PinState(PIN), guid=os.urandom(16))
    card.objects[TAG_9A] = tlv(0x53, tlv(0x70, b"\x1f\x8b\x08\x00broken") + tlv(0x71, b"\x80"))
    ident = identify.identify(connect(card))
    assert ident.type == "PIV" and [p.slot for p in ident.problems] == ["9A"]
    assert checks.card_type(ident).status is Status.PASSED  # CARD-1 is not about the certificate
    uc5 = checks.logon_certificates(ident.certificates, ident.serial, ident.problems)
    assert uc5.status is Status.FAILED
    assert "9A (PIV Authentication)" in uc5.message() and "cannot be decoded" in uc5.message()


def test_undecodable_other_slot_is_a_warning(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key)
    card.objects[TAG_9C] = tlv(0x53, tlv(0x70, b"\x30\x01\x00") + tlv(0x71, b"\x00"))
    ident = identify.identify(connect(card))
    uc5 = checks.logon_certificates(ident.certificates, ident.serial, ident.problems)
    assert uc5.status is Status.WARNING and "9C (Digital Signature)" in uc5.warnings()[0].render()


class OddPivCard(VirtualPivCard):
    """A PIV card with answers the harness does not know: GET DATA of 9C -> 6F00, and
    (optionally) VERIFY without data -> ``status_sw``."""

    def __init__(self, *a, status_sw: int | None = None, **kw):
        super().__init__(*a, **kw)
        self.odd_status = status_sw

    def handle(self, cmd: Command) -> Response:
        if cmd.ins == 0xCB and TAG_9C in cmd.data:
            return Response(b"", 0x6F00)
        if cmd.ins == 0x20 and not cmd.data and cmd.p1 == 0 and self.odd_status is not None:
            return Response(b"", self.odd_status)
        return super().handle(cmd)


def test_unknown_get_data_answer_is_unknown_for_that_object(rsa_cert, rsa_key):
    card = OddPivCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN), guid=os.urandom(16))
    ident = identify.identify(connect(card))
    assert [c.slot for c in ident.certificates] == ["9A"]
    assert [(p.slot, p.state) for p in ident.problems] == [("9C", "unknown")]
    uc5 = checks.logon_certificates(ident.certificates, ident.serial, ident.problems)
    assert uc5.status is Status.PASSED  # nothing is concluded from an answer the harness does not know


def test_cac_compressed_certificate_and_broken_one(rsa_cert, rsa_key):
    card = VirtualCacCard([SlotContent("9A", rsa_cert, rsa_key, certinfo=0x01)], PinState(PIN), card_id=b"\x01" * 8)
    c = cac.CacCard(connect(card))
    obj = c.certificate_object(0)
    assert obj.cert == rsa_cert and obj.compression == "gzip"
    ident = identify.identify(connect(card))
    assert ident.type == "CAC" and ident.certificates[0].cert == rsa_cert


# --- the retry counter ------------------------------------------------------------------------

def test_real_630x_answers_read_as_opensc_reads_them():
    first, after_wrong, blocked = (piv.pin_status_from_sw(sw) for sw in exchange_630x())
    assert (first.tries_left, first.form, first.known) == (3, "630X", True)
    assert after_wrong.tries_left == 2 and blocked.blocked
    assert "63 0X" in first.describe()


@pytest.mark.parametrize("sw", [0x6300, 0x6A80, 0x6982, 0x6F00, 0x6D00])
def test_an_unknown_status_word_gives_tries_unknown(sw):
    st = piv.pin_status_from_sw(sw)
    assert not st.known and st.tries_left is None and not st.verified
    with pytest.raises(TriesUnknown, match=f"{sw:04X}"):
        st.tries_for_guard()


def test_virtual_card_writes_630x_like_the_real_exchange(rsa_cert, rsa_key):
    card = piv_card(rsa_cert, rsa_key, pin=PinState(PIN, 3, 3, counter_form="630X"))
    assert NEO_HISTORICAL_BYTES in card.atr  # so OpenSC knows to read 63 0X (CI_VERIFY_630X)
    conn = connect(card)
    p = piv.PivCard(conn)
    p.select()
    sws = [conn.send(Command(0, 0x20, 0, 0x80)).sw]
    with conn.pin_window():
        sws.append(conn.send(p.verify_command(b"11111111")).sw)
    card.pin.tries_left = 0
    sws.append(conn.send(Command(0, 0x20, 0, 0x80)).sw)
    assert sws == exchange_630x()


def test_guard_reads_630x_and_refuses_at_the_last_try(rsa_cert, rsa_key):
    for tries, allowed in ((3, True), (1, False)):
        card = piv_card(rsa_cert, rsa_key, pin=PinState(PIN, tries, 3, counter_form="630X"))
        conn = connect(card)
        p = piv.PivCard(conn)
        p.select()

        def send():
            with conn.pin_window():
                return conn.send(p.verify_command(PIN))

        if allowed:
            assert PinGuard().attempt("c", lambda: p.pin_status().tries_for_guard(), send, lambda e: False).ok
        else:
            with pytest.raises(PinAttemptRefused, match="only 1 PIN try"):
                PinGuard().attempt("c", lambda: p.pin_status().tries_for_guard(), send, lambda e: False)
            assert card.pin.attempts_with_pin == 0


class DirectBackend(Backend):
    """A card backend over the in-process transport (no pcscd): enough for CardSession's
    card-edge methods."""

    name = "virtual-piv"
    uses_pcsc = True

    def __init__(self, card):
        super().__init__(None)
        self.card = card
        self.pin = Pin(PIN.decode(), "test")

    def reader(self) -> str:
        return "Direct 00"

    def presence(self):
        return [Presence("Direct 00", atr=self.card.atr.hex().upper())]

    def connect(self, trace=None, exclusive=False):
        return connect(self.card)

    def harness_pin(self) -> Pin:
        return self.pin

    def token(self):
        raise LookupError("no PKCS#11 here: the card edge only")


@pytest.mark.parametrize("status, uc6, card3", [
    (None, Status.PASSED, Status.PASSED),          # 63 CX
    ("630X", Status.PASSED, Status.PASSED),        # the real exchange's form
    (0x6300, Status.SKIPPED, Status.SKIPPED),      # unknown: no PIN sent, nothing concluded
    (0x6A80, Status.SKIPPED, Status.SKIPPED),
])
def test_card_edge_scenarios_on_each_counter_form(rsa_cert, rsa_key, status, uc6, card3):
    form = "630X" if status == "630X" else "63CX"
    odd = status if isinstance(status, int) else None
    card = OddPivCard([SlotContent("9A", rsa_cert, rsa_key)], PinState(PIN, 3, 3, counter_form=form),
                      guid=os.urandom(16), status_sw=odd)
    session = CardSession(DirectBackend(card))
    counter = scenarios.retry_counter(session)
    assert counter.status is card3, (counter.findings, counter.skipped_because)
    possession = scenarios.possession_card_edge(session)
    assert possession.status is uc6, (possession.findings, possession.skipped_because)
    if odd is not None:
        assert card.pin.attempts_with_pin == 0  # the guard refused: the card was never risked
        assert f"{odd:04X}" in possession.skipped_because and "CARD-3" in possession.skipped_because
        assert "tries unknown" in counter.skipped_because
    else:
        assert card.pin.attempts_with_pin == 1
        assert counter.evidence["form"] == form


def test_pkcs11_login_refused_for_unknown_counter_is_not_a_card3_failure():
    from hardware.session import LoginOutcome

    r = checks.pin_login(LoginOutcome("tries-unknown", "c", message="the card answered ... 6A80 ...: tries unknown"))
    assert r.status is Status.SKIPPED and "not evaluated" in r.skipped_because


def test_a_certificate_whose_extensions_cannot_be_parsed_does_not_raise(rsa_key):
    """cryptography parses extensions lazily: a malformed EKU must not escape from the
    identification or UC-5 (the certificate-loading layer judges the certificate itself)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtensionOID, NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Odd EKU")])
    now = datetime.datetime.now(datetime.timezone.utc)
    odd = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(rsa_key.public_key())
           .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
           .add_extension(x509.UnrecognizedExtension(ExtensionOID.EXTENDED_KEY_USAGE, b"\x05\x00"), critical=False)
           .sign(rsa_key, hashes.SHA256()))
    with pytest.raises(ValueError):
        odd.extensions  # noqa: B018 - the premise: cryptography refuses it
    ident = identify.identify(connect(piv_card(odd, rsa_key)))
    assert [c.slot for c in ident.certificates] == ["9A"]
    assert "cannot be parsed" in ident.summary()["certificates"][0]["problem"]
    uc5 = checks.logon_certificates(ident.certificates, ident.serial, ident.problems)
    assert uc5.status is Status.SKIPPED and "the EKU of 9A (PIV Authentication) is unknown" in uc5.skipped_because
