"""A throwaway SoftHSM2 token for the embedded default (no reader needed).

Each :class:`SoftHsm` has its own ``softhsm2.conf`` and token directory in a private
temporary folder (mode 0700) and points ``SOFTHSM2_CONF`` at it only while the library
initialises, so the user's own SoftHSM tokens are never seen or touched. Tokens are
initialised through the PKCS#11 API (C_InitToken and C_InitPIN by ctypes, since
python-pkcs11 has no binding for them): no PIN ever appears on a command line.

SoftHSM 2.6 has no PIN retry counter and no CKM_ECDSA_SHA256 (the harness hashes in
Python and signs with CKM_ECDSA). Used on Linux (Debian's softhsm2); imported only by the
softhsm backend.
"""

from __future__ import annotations

import ctypes
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wscard import lifetime
from wscard.errors import EnvironmentProblem

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    r"C:\SoftHSM2\lib\softhsm2-x64.dll",  # SoftHSM2 for Windows' default install folder
)

CKR_OK = 0
CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191
CKF_TOKEN_INITIALIZED = 0x400
CKF_RW_SESSION, CKF_SERIAL_SESSION = 0x2, 0x4
CKU_SO = 0

#: Labels and IDs of the PIV slots as OpenSC's PIV emulation shows them, so the
#: PKCS#11-level checks read a SoftHSM token and a card the same way.
PIV_OBJECTS = {
    "9A": (b"\x01", "Certificate for PIV Authentication", "PIV AUTH key"),
    "9C": (b"\x02", "Certificate for Digital Signature", "SIGN key"),
    "9D": (b"\x03", "Certificate for Key Management", "KEY MAN key"),
    "9E": (b"\x04", "Certificate for Card Authentication", "CARD AUTH key"),
}


def module_path() -> str | None:
    for p in MODULE_CANDIDATES:
        if Path(p).exists():
            return p
    return None


class _TokenInfo(ctypes.Structure):
    _fields_ = [
        ("label", ctypes.c_char * 32),
        ("manufacturerID", ctypes.c_char * 32),
        ("model", ctypes.c_char * 16),
        ("serialNumber", ctypes.c_char * 16),
        ("flags", ctypes.c_ulong),
        ("rest", ctypes.c_ubyte * 256),
    ]


@dataclass
class TokenSpec:
    """What goes on one token: (slot, certificate, private key) triples."""

    label: str
    objects: list[tuple[str, x509.Certificate, Any]]


class SoftHsm:
    def __init__(self, module: str | None = None):
        self.module = module or module_path()
        if self.module is None:
            raise EnvironmentProblem(
                "SoftHSM2 is not installed (libsofthsm2.so not found): install the Debian package 'softhsm2' "
                "(Windows: SoftHSM2 for Windows in C:\\SoftHSM2, or test the real card with 'pytest -m hw')"
            )
        # holds the tokens' private keys: removed by the run's watchdog if the run dies
        self.dir = lifetime.private_dir("wscard-softhsm-")
        (self.dir / "tokens").mkdir(mode=0o700)
        self.conf = self.dir / "softhsm2.conf"
        self.conf.write_text(
            f"directories.tokendir = {self.dir / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
            "slots.removable = false\n"
        )
        self._lib = None

    @property
    def env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf)}

    def library(self):
        """The python-pkcs11 library, (re)initialised with this instance's configuration."""
        import pkcs11

        old = os.environ.get("SOFTHSM2_CONF")
        os.environ["SOFTHSM2_CONF"] = str(self.conf)
        try:
            lib = pkcs11.lib(self.module)
            if self._lib is None:
                lib.reinitialize()  # SoftHSM reads SOFTHSM2_CONF in C_Initialize
            self._lib = lib
        finally:
            if old is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = old
        return lib

    def _c(self) -> ctypes.CDLL:
        c = ctypes.CDLL(self.module)
        rv = c.C_Initialize(None)
        if rv not in (CKR_OK, CKR_CRYPTOKI_ALREADY_INITIALIZED):
            raise EnvironmentProblem(f"SoftHSM C_Initialize failed (0x{rv:X})")
        return c

    def _free_slot(self, c: ctypes.CDLL) -> int:
        count = ctypes.c_ulong(0)
        c.C_GetSlotList(ctypes.c_ubyte(1), None, ctypes.byref(count))
        slots = (ctypes.c_ulong * count.value)()
        c.C_GetSlotList(ctypes.c_ubyte(1), slots, ctypes.byref(count))
        for s in slots[: count.value]:
            info = _TokenInfo()
            if c.C_GetTokenInfo(ctypes.c_ulong(s), ctypes.byref(info)) == CKR_OK and not info.flags & CKF_TOKEN_INITIALIZED:
                return s
        raise EnvironmentProblem("SoftHSM has no free slot for a new token")

    def init_token(self, label: str, user_pin: bytes) -> None:
        """Initialise a new token with a random SO PIN and ``user_pin`` (through the API)."""
        self.library()  # make sure the library runs with our configuration
        c = self._c()
        slot = self._free_slot(c)
        so_pin = secrets.token_hex(8).encode()
        lab = label.encode()[:32].ljust(32, b" ")
        ul = ctypes.c_ulong
        rv = c.C_InitToken(ul(slot), ctypes.c_char_p(so_pin), ul(len(so_pin)), ctypes.c_char_p(lab))
        if rv != CKR_OK:
            raise EnvironmentProblem(f"SoftHSM C_InitToken failed (0x{rv:X})")
        # SoftHSM renumbers slots after an initialisation: find the token by label
        count = ul(0)
        c.C_GetSlotList(ctypes.c_ubyte(1), None, ctypes.byref(count))
        slots = (ul * count.value)()
        c.C_GetSlotList(ctypes.c_ubyte(1), slots, ctypes.byref(count))
        target = None
        for s in slots[: count.value]:
            info = _TokenInfo()
            if c.C_GetTokenInfo(ul(s), ctypes.byref(info)) == CKR_OK and bytes(info.label) == lab:
                target = s
        if target is None:
            raise EnvironmentProblem("SoftHSM: the new token disappeared")
        h = ul(0)
        rv = c.C_OpenSession(ul(target), ul(CKF_SERIAL_SESSION | CKF_RW_SESSION), None, None, ctypes.byref(h))
        if rv != CKR_OK:
            raise EnvironmentProblem(f"SoftHSM C_OpenSession failed (0x{rv:X})")
        try:
            rv = c.C_Login(h, ul(CKU_SO), ctypes.c_char_p(so_pin), ul(len(so_pin)))
            if rv != CKR_OK:
                raise EnvironmentProblem(f"SoftHSM C_Login(SO) failed (0x{rv:X})")
            rv = c.C_InitPIN(h, ctypes.c_char_p(user_pin), ul(len(user_pin)))
            if rv != CKR_OK:
                raise EnvironmentProblem(f"SoftHSM C_InitPIN failed (0x{rv:X})")
            c.C_Logout(h)
        finally:
            c.C_CloseSession(h)

    def provision(self, spec: TokenSpec, user_pin: bytes) -> str:
        """Create a token holding ``spec``'s certificates and keys; returns its serial."""
        from pkcs11 import Attribute, ObjectClass
        from pkcs11.util import ec as p11ec
        from pkcs11.util import rsa as p11rsa
        from pkcs11.util import x509 as p11x509

        self.init_token(spec.label, user_pin)
        lib = self.library()
        token = lib.get_token(token_label=spec.label)
        with token.open(rw=True, user_pin=user_pin.decode()) as session:
            for slot, cert, key in spec.objects:
                obj_id, cert_label, key_label = PIV_OBJECTS[slot]
                der = cert.public_bytes(serialization.Encoding.DER)
                attrs = p11x509.decode_x509_certificate(der)
                attrs.update({Attribute.TOKEN: True, Attribute.ID: obj_id, Attribute.LABEL: cert_label})
                session.create_object(attrs)
                kder = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption())
                if isinstance(key, rsa.RSAPrivateKey):
                    kattrs = p11rsa.decode_rsa_private_key(kder)
                elif isinstance(key, ec.EllipticCurvePrivateKey):
                    kattrs = p11ec.decode_ec_private_key(kder)
                else:
                    raise EnvironmentProblem(f"unsupported key type {type(key).__name__}")
                kattrs.update({
                    Attribute.TOKEN: True, Attribute.ID: obj_id, Attribute.LABEL: key_label,
                    Attribute.SIGN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                    Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                })
                session.create_object(kattrs)
        return token.serial.decode() if isinstance(token.serial, bytes) else str(token.serial)

    def close(self) -> None:
        if self._lib is not None:
            try:
                self._lib.finalize()
            except Exception:
                pass
            self._lib = None
        lifetime.remove(self.dir)
