"""UC-8: the user certificate's key algorithm and size (wscard.pki.checks.check_key_algorithm)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from wscard.pki.checks import check_key_algorithm


def _cert(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test User")])
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
         .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)))
    return b.sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())


@pytest.mark.parametrize("key, status, words", [
    (lambda: rsa.generate_private_key(65537, 2048), "passed", "RSA 2048 bits"),
    (lambda: rsa.generate_private_key(65537, 3072), "passed", "RSA 3072 bits"),
    (lambda: rsa.generate_private_key(65537, 1024), "failed", "RSA 1024 bits"),
    (lambda: ec.generate_private_key(ec.SECP256R1()), "passed", "ECC secp256r1"),
    (lambda: ec.generate_private_key(ec.SECP384R1()), "passed", "ECC secp384r1"),
    (lambda: ec.generate_private_key(ec.SECP521R1()), "failed", "ECC secp521r1"),
    (lambda: ed25519.Ed25519PrivateKey.generate(), "failed", "Ed25519PublicKey"),
])
def test_key_algorithms_and_sizes(key, status, words):
    r = check_key_algorithm(_cert(key()))
    assert r.status.value == status, r.message()
    assert r.evidence["key"] == words
    if status == "failed":
        assert "NIST SP 800-78-5" in r.message()


def test_short_rsa_names_the_rule():
    r = check_key_algorithm(_cert(rsa.generate_private_key(65537, 1024)))
    assert "RSA key of 1024 bits; at least 2048 bits are required" in r.message()


@pytest.mark.parametrize("curve", [ec.SECP256R1, ec.SECP384R1, ec.SECP521R1])
def test_card_signature_verifier_reads_raw_ecdsa_of_every_curve(curve):
    """UC-6 must not call a P-521 card's key a mismatch (its raw r||s is 132 bytes): the
    card layer's verifier sizes the halves from the curve."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    from hardware.piv import verify_signature

    key = ec.generate_private_key(curve())
    cert = _cert(key)
    der = key.sign(b"challenge", ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    n = (key.curve.key_size + 7) // 8
    raw = r.to_bytes(n, "big") + s.to_bytes(n, "big")
    assert verify_signature(cert, b"challenge", der)
    assert verify_signature(cert, b"challenge", raw)
    assert not verify_signature(cert, b"other", raw)
