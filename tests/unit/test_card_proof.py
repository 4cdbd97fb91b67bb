"""UC-6's facts (hardware.identify.SignatureProof) and its check (hardware.checks.proof_of_possession):
the evidence a proof gives keeps the shape reports and evidence bundles read."""

from __future__ import annotations

import pytest

from hardware.checks import proof_of_possession
from hardware.identify import SignatureProof, SlotCert
from wscard.checks import Status
from wscard.pki import get_pki
from wscard.sections.pki import PkiSection


@pytest.fixture(scope="module")
def slot_cert():
    return SlotCert("9A", get_pki(PkiSection()).get("user").cert, "PKCS#11 object 01")


def test_a_verified_signature_passes_with_the_evidence_in_its_order(slot_cert):
    proof = SignatureProof(slot_cert, b"\x01" * 32, b"\x02\x03", True, sign_ms=12.3456)
    r = proof_of_possession(proof, "card 42")
    assert r.status is Status.PASSED
    assert list(r.evidence) == ["challenge", "signature", "verified", "certificate", "sign_ms"]
    assert r.evidence["challenge"] == "01" * 32 and r.evidence["signature"] == "0203"
    assert r.evidence["certificate"]["slot"] == "9A" and r.evidence["sign_ms"] == 12.35


def test_a_signature_that_does_not_verify_fails(slot_cert):
    r = proof_of_possession(SignatureProof(slot_cert, b"\x01" * 32, b"\x02"), "card 42")
    assert r.status is Status.FAILED and "does not verify" in r.message() and "sign_ms" not in r.evidence


def test_a_card_that_could_not_sign_fails_with_its_error(slot_cert):
    r = proof_of_possession(SignatureProof(slot_cert, b"\x01" * 32, error="ApduError: 6982"), "card 42")
    assert r.status is Status.FAILED and "could not sign the challenge: ApduError: 6982" in r.message()
    assert r.evidence["signature"] is None and r.evidence["verified"] is False


def test_no_certificate_skips_with_no_certificate_evidence():
    r = proof_of_possession(SignatureProof(None, b"\x01" * 32), "card 42")
    assert r.status is Status.SKIPPED and "see UC-5" in r.skipped_because
    assert r.evidence == {"challenge": "01" * 32, "signature": None, "verified": False}
