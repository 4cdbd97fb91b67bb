"""The common part of the virtual cards: APDU dispatch, command chaining, GET RESPONSE,
the PIN retry counter, key operations and the card-side APDU log.

A virtual card is a plain object: ``process(apdu) -> response`` (data + SW). It does not
know about sockets; :mod:`hardware.virtual.vpcd` connects it to a vpcd reader.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from ..apdu import SW, Command, Response
from ..transport import ApduTrace


def make_atr(historical: bytes) -> bytes:
    """ATR announcing T=1 only, with ``historical`` bytes and the check byte."""
    body = bytes([0x80 | len(historical), 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes([tck])


_DIGEST_INFOS = {
    bytes.fromhex("3021300906052b0e03021a05000414"): hashes.SHA1(),
    bytes.fromhex("302d300d06096086480165030402040500041c"): hashes.SHA224(),
    bytes.fromhex("3031300d060960864801650304020105000420"): hashes.SHA256(),
    bytes.fromhex("3041300d060960864801650304020205000430"): hashes.SHA384(),
    bytes.fromhex("3051300d060960864801650304020305000440"): hashes.SHA512(),
}


def _pkcs1_signature(key: rsa.RSAPrivateKey, block: bytes, k: int) -> bytes | None:
    from cryptography.hazmat.primitives.asymmetric import padding

    if len(block) != k or block[:2] != b"\x00\x01":
        return None
    sep = block.find(b"\x00", 2)
    if sep < 10 or block[2:sep] != b"\xff" * (sep - 2):
        return None
    t = block[sep + 1 :]
    for prefix, algo in _DIGEST_INFOS.items():
        if t.startswith(prefix) and len(t) == len(prefix) + algo.digest_size:
            return key.sign(t[len(prefix) :], padding.PKCS1v15(), utils.Prehashed(algo))
    return None


@dataclass
class CardKey:
    """A private key held by a virtual card (cryptography key object)."""

    private_key: Any

    def raw_rsa(self, block: bytes) -> bytes:
        """RSA private-key operation on an already padded block (what PIV and CAC cards do).

        A PKCS#1 v1.5 signature block with a known DigestInfo is signed by OpenSSL (same
        result, well under a millisecond); anything else is computed with the CRT."""
        key: rsa.RSAPrivateKey = self.private_key
        k = (key.key_size + 7) // 8
        fast = _pkcs1_signature(key, block, k)
        if fast is not None:
            return fast
        priv = key.private_numbers()
        n = priv.public_numbers.n
        m = int.from_bytes(block, "big")
        if len(block) != k or m >= n:
            raise ValueError("input block does not fit the modulus")
        m1 = pow(m, priv.dmp1, priv.p)
        m2 = pow(m, priv.dmq1, priv.q)
        h = (priv.iqmp * (m1 - m2)) % priv.p
        return (m2 + h * priv.q).to_bytes(k, "big")

    def ecdsa_digest(self, digest: bytes) -> bytes:
        """DER ECDSA signature of a digest (left-padded or truncated to the curve size)."""
        key: ec.EllipticCurvePrivateKey = self.private_key
        size = (key.curve.key_size + 7) // 8
        algo = {32: hashes.SHA256(), 48: hashes.SHA384()}[size]
        d = digest[-size:].rjust(size, b"\x00")
        return key.sign(d, ec.ECDSA(utils.Prehashed(algo)))

    @property
    def is_rsa(self) -> bool:
        return isinstance(self.private_key, rsa.RSAPrivateKey)


@dataclass
class PinState:
    """A PIN with a retry counter that behaves like a card's."""

    pin: bytes = field(repr=False)  # never in a repr (assertion messages, logs)
    tries_left: int = 3
    max_tries: int = 3
    verified: bool = False
    #: VERIFY commands that carried a PIN (the guard's tests count these).
    attempts_with_pin: int = 0
    wrong_attempts: int = 0
    #: How the card writes the retry counter: ``63CX`` (SP 800-73-4) or ``630X`` (some
    #: YubiKey NEO firmware, which OpenSC reads as X tries left).
    counter_form: str = "63CX"

    def __post_init__(self) -> None:
        if isinstance(self.pin, str):
            self.pin = self.pin.encode()
        if self.counter_form not in ("63CX", "630X"):
            raise ValueError(f"unknown retry-counter form {self.counter_form!r} (63CX or 630X)")

    def counter_sw(self, tries: int) -> int:
        """The status word saying ``tries`` tries left, in this card's form."""
        return (0x6300 if self.counter_form == "630X" else 0x63C0) | min(tries, 15)

    def status_sw(self) -> int:
        if self.tries_left <= 0:
            return SW.AUTH_METHOD_BLOCKED
        if self.verified:
            return SW.OK
        return self.counter_sw(self.tries_left)

    def verify(self, data: bytes) -> int:
        self.attempts_with_pin += 1
        if self.tries_left <= 0:
            return SW.AUTH_METHOD_BLOCKED
        candidate = data.rstrip(b"\xff")
        if len(data) != 8 or candidate != self.pin:
            self.tries_left -= 1
            self.wrong_attempts += 1
            self.verified = False
            return SW.AUTH_METHOD_BLOCKED if self.tries_left == 0 else self.counter_sw(self.tries_left)
        self.tries_left = self.max_tries
        self.verified = True
        return SW.OK


class VirtualCard:
    """Base class: subclasses implement :meth:`handle` for complete (unchained) commands."""

    #: Card type as the harness should identify it ("PIV", "CAC", "other").
    kind = "other"

    def __init__(self, atr: bytes, pin: PinState | None = None, serial: str = ""):
        self.atr = atr
        self.pin = pin or PinState(b"123456")
        self.serial = serial
        self.lock = threading.RLock()
        self.log = ApduTrace()
        self.apdu_count = 0
        self.powered = False
        self._chain: bytes | None = None
        self._chain_head: tuple[int, int, int] | None = None
        self._pending = b""

    # --- vpcd control -------------------------------------------------------------------
    def power_on(self) -> None:
        with self.lock:
            self.powered = True

    def power_off(self) -> None:
        with self.lock:
            self.powered = False
            self.reset_state()

    def reset(self) -> None:
        with self.lock:
            self.reset_state()

    def reset_state(self) -> None:
        """Security status and selection are lost on reset (the retry counter is not)."""
        self.pin.verified = False
        self._chain = None
        self._pending = b""

    # --- APDUs --------------------------------------------------------------------------
    def process(self, raw: bytes) -> bytes:
        t0 = time.perf_counter()
        with self.lock:
            try:
                resp = self._process(raw)
            except Exception:  # a bug in the emulation must not kill the reader thread
                resp = Response(b"", 0x6F00)
            self.apdu_count += 1
            self.log.record(raw, resp.sw, len(resp.data), time.perf_counter() - t0, origin="card")
            return resp.encode()

    def _process(self, raw: bytes) -> Response:
        try:
            cmd = Command.parse(raw)
        except ValueError:
            return Response(b"", SW.WRONG_LENGTH)
        if cmd.ins == 0xC0:  # GET RESPONSE
            if not self._pending:
                return Response(b"", 0x6985)
            return self._deliver(self._pending, cmd.le)
        self._pending = b""
        if cmd.chained:
            if self._chain is not None and self._chain_head != (cmd.ins, cmd.p1, cmd.p2):
                self._chain = None
            self._chain = (self._chain or b"") + cmd.data
            self._chain_head = (cmd.ins, cmd.p1, cmd.p2)
            return Response(b"", SW.OK)
        if self._chain is not None:
            if self._chain_head == (cmd.ins, cmd.p1, cmd.p2):
                cmd = Command(cmd.cla & ~0x10, cmd.ins, cmd.p1, cmd.p2, self._chain + cmd.data, cmd.le)
            self._chain = None
        resp = self.handle(cmd)
        if resp.sw != SW.OK or not resp.data:
            return resp
        return self._deliver(resp.data, cmd.le)

    def _deliver(self, data: bytes, le: int | None) -> Response:
        limit = le if le else 256
        if len(data) <= limit:
            self._pending = b""
            return Response(data, SW.OK)
        self._pending = data[limit:]
        rest = len(self._pending)
        return Response(data[:limit], 0x6100 | (rest if rest < 256 else 0))

    def handle(self, cmd: Command) -> Response:  # pragma: no cover - overridden
        return Response(b"", SW.INS_NOT_SUPPORTED)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "serial": self.serial, "atr": self.atr.hex().upper(),
                "pin_tries_left": self.pin.tries_left}


class OtherCard(VirtualCard):
    """A card that is neither PIV nor CAC: it knows no application (every SELECT fails)."""

    kind = "other"

    def __init__(self, serial: str = "0THER0001", pin: PinState | None = None):
        super().__init__(make_atr(b"wscOTHER"), pin, serial)

    def handle(self, cmd: Command) -> Response:
        if cmd.ins == 0xA4:
            return Response(b"", SW.FILE_NOT_FOUND)
        return Response(b"", SW.INS_NOT_SUPPORTED)
