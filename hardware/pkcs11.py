"""PKCS#11 through python-pkcs11: tokens, certificates, login and signing.

Tokens are found by serial number or slot ID, never by label (two cards can share a
label). The module path comes from the profile; OpenSC's ``opensc-pkcs11`` is the
default. Sessions are read-only: nothing here creates, changes or deletes objects on a
card (SoftHSM provisioning is :mod:`hardware.softhsm`'s job). Logging in is done only by
:meth:`Pkcs11Card.login`, which the card session calls inside the PIN guard.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wscard.errors import EnvironmentProblem
from wscard.pki.certs import load_certificate

from .pin import Pin

#: OpenSC's PKCS#11 module's file name per platform (``platform.system()``).
OPENSC_MODULE = {"Windows": "opensc-pkcs11.dll", "Linux": "opensc-pkcs11.so", "Darwin": "opensc-pkcs11.so"}


CKF_USER_PIN_COUNT_LOW = 0x00010000
CKF_USER_PIN_FINAL_TRY = 0x00020000
CKF_USER_PIN_LOCKED = 0x00040000
CKF_TOKEN_INITIALIZED = 0x00000400

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def module_folders(system: str | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """The usual install folders of PKCS#11 modules on ``system`` (default: this one), in
    the order they are searched.

    Windows: OpenSC's MSI (``%ProgramFiles%\\OpenSC Project\\OpenSC\\pkcs11``), HID's
    ActivClient (``%ProgramFiles%\\HID Global\\ActivClient``, formerly ``ActivIdentity``),
    then ``%SystemRoot%\\System32`` where vendors' installers also put their DLLs; the
    64-bit ``Program Files`` (``%ProgramW6432%``) before ``%ProgramFiles%``. Linux: the
    multiarch and ``pkcs11`` library folders of Debian, Ubuntu, Fedora and RHEL. macOS:
    OpenSC's package and Homebrew."""
    system = system or platform.system()
    env = os.environ if env is None else env
    if system == "Windows":
        out: list[Path] = []
        for var in ("ProgramW6432", "ProgramFiles"):
            base = env.get(var)
            if base:
                out += [Path(base, "OpenSC Project", "OpenSC", "pkcs11"), Path(base, "HID Global", "ActivClient"),
                        Path(base, "ActivIdentity", "ActivClient")]
        out.append(Path(env.get("SystemRoot") or "C:\\Windows", "System32"))
        return list(dict.fromkeys(out))
    if system == "Darwin":
        return [Path("/Library/OpenSC/lib"), Path("/usr/local/lib"), Path("/opt/homebrew/lib")]
    return [Path(d) for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/pkcs11",
                              "/usr/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu/pkcs11", "/usr/lib64",
                              "/usr/lib64/pkcs11", "/usr/lib", "/lib64", "/usr/local/lib")]


def find_module(name: str = "", system: str | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """The PKCS#11 module to load: ``name`` itself when that file exists; otherwise a file
    of that name (OpenSC's, :data:`OPENSC_MODULE`, when ``name`` is empty) in the first of
    :func:`module_folders` that has one, so a profile can say just ``"opensc-pkcs11.dll"`` or
    ``"acpkcs211.dll"``. None when it is nowhere."""
    system = system or platform.system()
    if name and Path(name).is_file():
        return name
    file_name = Path(name).name or OPENSC_MODULE.get(system, "")
    for folder in module_folders(system, env):
        candidate = folder / file_name
        if candidate.is_file():
            return str(candidate)
    return None


def default_module() -> str | None:
    """OpenSC's PKCS#11 module on this platform, if installed."""
    return find_module("")


@dataclass
class TokenInfo:
    slot_id: int
    slot_description: str
    label: str
    serial: str
    manufacturer: str
    model: str
    flags: int

    @property
    def initialized(self) -> bool:
        return bool(self.flags & CKF_TOKEN_INITIALIZED)

    @property
    def tries_hint(self) -> int | None:
        """What the token flags say about the PIN tries: 0 locked, 1 final try, else None."""
        if self.flags & CKF_USER_PIN_LOCKED:
            return 0
        if self.flags & CKF_USER_PIN_FINAL_TRY:
            return 1
        return None

    @property
    def count_low(self) -> bool:
        return bool(self.flags & CKF_USER_PIN_COUNT_LOW)

    def summary(self) -> dict[str, Any]:
        return {"slot": self.slot_id, "slot_description": self.slot_description, "label": self.label,
                "serial": self.serial, "manufacturer": self.manufacturer, "model": self.model}


@dataclass
class P11Cert:
    id: bytes
    label: str
    cert: x509.Certificate

    @property
    def id_hex(self) -> str:
        return self.id.hex().upper()


def _s(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).rstrip(" \x00")


class Pkcs11Module:
    """One loaded PKCS#11 library."""

    def __init__(self, path: str, lib: Any = None):
        self.path = path
        if lib is not None:
            self.lib = lib
            return
        if not Path(path).exists():
            raise EnvironmentProblem(
                f"PKCS#11 module {path} not found: install OpenSC (Debian: opensc-pkcs11; Windows: the OpenSC "
                "installer) or set [card] pkcs11_module to the card vendor's module"
            )
        try:
            import pkcs11
        except ImportError:
            raise EnvironmentProblem("python-pkcs11 is not installed (.venv/bin/pip install python-pkcs11)") from None
        try:
            self.lib = pkcs11.lib(path)
        except Exception as exc:
            raise EnvironmentProblem(f"cannot load the PKCS#11 module {path}: {exc}") from None

    def _token_info(self, slot: Any) -> TokenInfo:
        tok = slot.get_token()
        return TokenInfo(
            slot_id=int(slot.slot_id),
            slot_description=_s(slot.slot_description),
            label=_s(tok.label),
            serial=_s(tok.serial),
            manufacturer=_s(tok.manufacturer_id),
            model=_s(tok.model),
            flags=int(tok.flags),
        )

    def tokens(self, initialized_only: bool = True) -> list[TokenInfo]:
        out = []
        for slot in self.lib.get_slots(token_present=True):
            try:
                info = self._token_info(slot)
            except Exception:  # token removed meanwhile, or unreadable
                continue
            if initialized_only and not info.initialized:
                continue
            out.append(info)
        return out

    def find(self, serial: str = "", slot: int | None = None) -> TokenInfo:
        tokens = self.tokens()
        if slot is not None and slot >= 0:
            match = [t for t in tokens if t.slot_id == slot]
            what = f"slot {slot}"
        elif serial:
            match = [t for t in tokens if t.serial.lower() == serial.lower()]
            what = f"serial {serial}"
        else:
            match = tokens
            what = "any serial"
        if len(match) == 1:
            return match[0]
        listing = "; ".join(f"slot {t.slot_id} serial {t.serial} label '{t.label}'" for t in tokens) or "none"
        if not match:
            raise LookupError(f"no token with {what} in {self.path} (tokens present: {listing})")
        raise LookupError(
            f"{len(match)} tokens present and none selected: set [card] token_serial or token_slot ({listing})"
        )

    def card(self, info: TokenInfo) -> "Pkcs11Card":
        for slot in self.lib.get_slots(token_present=True):
            if int(slot.slot_id) == info.slot_id:
                return Pkcs11Card(self, slot.get_token(), info)
        raise LookupError(f"the token in slot {info.slot_id} is gone")


class Pkcs11Card:
    """The token of the card under test."""

    def __init__(self, module: Pkcs11Module, token: Any, info: TokenInfo):
        self.module = module
        self.token = token
        self.info = info

    def certificates(self) -> list[P11Cert]:
        from pkcs11 import Attribute, ObjectClass

        out = []
        with self.token.open() as session:
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                try:
                    der = obj[Attribute.VALUE]
                    cert = load_certificate(bytes(der), "a PKCS#11 certificate object")
                except Exception:
                    continue
                try:
                    oid = bytes(obj[Attribute.ID])
                except Exception:
                    oid = b""
                try:
                    label = _s(obj[Attribute.LABEL])
                except Exception:
                    label = ""
                out.append(P11Cert(oid, label, cert))
        return out

    def login(self, pin: Pin) -> Any:
        """Open a session logged in as the user. Called only inside the PIN guard."""
        return self.token.open(user_pin=pin.reveal().decode())

    def open_public(self) -> Any:
        return self.token.open()

    @staticmethod
    def sign(session: Any, key_id: bytes, message: bytes, public_key: Any) -> bytes:
        """Sign SHA-256(message) with the private key ``key_id``: RSA PKCS#1 v1.5
        (CKM_RSA_PKCS over a DigestInfo) or ECDSA (hash here, then CKM_ECDSA: SoftHSM 2.6
        has no CKM_ECDSA_SHA256)."""
        from pkcs11 import Attribute, Mechanism, ObjectClass

        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key_id}))
        if not keys:
            raise LookupError(f"no private key with ID {key_id.hex().upper()} on the token")
        key = keys[0]
        h = hashes.Hash(hashes.SHA256())
        h.update(message)
        digest = h.finalize()
        if isinstance(public_key, rsa.RSAPublicKey):
            return bytes(key.sign(SHA256_DIGEST_INFO + digest, mechanism=Mechanism.RSA_PKCS))
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            return bytes(key.sign(digest, mechanism=Mechanism.ECDSA))
        raise ValueError(f"unsupported key type {type(public_key).__name__}")


def is_wrong_pin(exc: BaseException) -> bool:
    """The card's answer to a PIN: CKR_PIN_INCORRECT or CKR_PIN_LOCKED (python-pkcs11's
    ``PinIncorrect``, ``PinLocked``)."""
    try:
        from pkcs11 import exceptions as e
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (e.PinIncorrect, e.PinLocked))


def is_device_gone(exc: BaseException) -> bool:
    """The token or its reader is no longer usable: PKCS#11 v2.40 CKR_DEVICE_REMOVED,
    CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_ERROR, CKR_TOKEN_NOT_RECOGNIZED, CKR_SLOT_ID_INVALID,
    CKR_SESSION_CLOSED, CKR_SESSION_HANDLE_INVALID (python-pkcs11's exceptions of those
    names). An environment problem, not an answer of the card to the PIN."""
    try:
        from pkcs11 import exceptions as e
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (e.DeviceRemoved, e.TokenNotPresent, e.DeviceError, e.TokenNotRecognised,
                            e.SlotIDInvalid, e.SessionClosed, e.SessionHandleInvalid))
