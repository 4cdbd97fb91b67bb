"""Fixtures for the hardware/ unit tests (keys and certificates made here)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hwtest_helpers import make_cert


@pytest.fixture(scope="session")
def rsa_key():
    return rsa.generate_private_key(65537, 2048)


@pytest.fixture(scope="session")
def other_rsa_key():
    return rsa.generate_private_key(65537, 2048)


@pytest.fixture(scope="session")
def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def rsa_cert(rsa_key):
    return make_cert(rsa_key)


@pytest.fixture(scope="session")
def ec_cert(ec_key):
    return make_cert(ec_key, "EC User")
