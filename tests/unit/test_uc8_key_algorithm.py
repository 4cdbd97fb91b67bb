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
