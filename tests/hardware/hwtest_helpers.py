"""Helpers for the hardware/ unit tests: certificates made with `cryptography`
(independent of the test PKI), an in-process transport to a virtual card, and whether
the pcscd + vpcd + OpenSC stack can be used on this machine."""

from __future__ import annotations

import datetime
import shutil

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hardware.transport import CardConnection, SafetyPolicy

LOGON = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.2")


def make_cert(key, cn: str = "Test User", logon: bool = True):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    ekus = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([LOGON] if logon else [])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
        .sign(key, hashes.SHA256())
    )


class Direct:
    """A Transport straight into a virtual card object (no sockets, no pcscd)."""

    name = "direct"

    def __init__(self, card):
        self.card = card
        self.sent: list[bytes] = []

    def transmit(self, apdu: bytes):
        self.sent.append(bytes(apdu))
        r = self.card.process(bytes(apdu))
        return r[:-2], int.from_bytes(r[-2:], "big")

    def close(self) -> None:
        pass


def connect(card, read_only: bool = False) -> CardConnection:
    return CardConnection(Direct(card), SafetyPolicy(read_only=read_only))


def stack_available() -> str:
    """Why the pcscd + vpcd + OpenSC stack cannot be used here ('' when it can)."""
    from pathlib import Path

    from wscard import host

    if host.linux_only("the stack", "") or not Path("/proc/self/ns/net").exists():
        return "Linux only"
    from hardware import pcscd, pkcs11  # Linux only: imported once this is Linux

    if shutil.which("pcscd") is None and not Path("/usr/sbin/pcscd").exists():
        return "pcscd not installed"
    if pcscd.vpcd_driver() is None:
        return "vsmartcard-vpcd not installed"
    if pkcs11.default_module() is None:
        return "opensc-pkcs11 not installed"
    try:
        import smartcard  # noqa: F401
    except ImportError:
        return "pyscard not installed"
    if not pcscd.running() and not host.running_as_root():
        return "starting pcscd in a private network namespace needs root"
    return ""
