"""The transport seam and the card connection built on it.

A :class:`Transport` sends one command APDU and returns the response data and status
word; :mod:`hardware.pcsc` implements it over PC/SC and the tests implement it over a
virtual card object. :class:`CardConnection` adds what every card edge needs on top:
GET RESPONSE (61xx), Le correction (6Cxx), command chaining for long data, an APDU trace
with PIN bytes masked, and the safety policy that decides which instructions may be sent
to this card at all.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Protocol

from .apdu import SW, ApduError, Command, Response, hexs

#: Instructions whose data field carries a PIN or PUK (VERIFY, CHANGE REFERENCE DATA,
#: RESET RETRY COUNTER): their data bytes are masked in every trace.
PIN_INS = {0x20, 0x24, 0x2C}

INS_NAMES = {
    0xA4: "SELECT",
    0xCB: "GET DATA",
    0xC0: "GET RESPONSE",
    0x20: "VERIFY",
    0x24: "CHANGE REFERENCE DATA",
    0x2C: "RESET RETRY COUNTER",
    0x87: "GENERAL AUTHENTICATE",
    0x47: "GENERATE ASYMMETRIC KEY PAIR",
    0xDB: "PUT DATA",
    0xB0: "READ BINARY",
    0x52: "CAC READ FILE",
    0x56: "CAC GET PROPERTIES",
    0x4C: "CAC GET ACR",
    0x42: "CAC SIGN/DECRYPT",
    0x84: "GET CHALLENGE",
    0xFD: "GET VERSION (vendor)",
    0xFB: "RESET (vendor)",
}


class CardSafetyError(Exception):
    """The harness refused to send a command that could change or lock the card."""


class TransportError(Exception):
    """The reader or the card went away while talking to it."""


class Transport(Protocol):
    """APDU in, data + status word out."""

    name: str

    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...

    def close(self) -> None: ...


def mask_command(raw: bytes) -> str:
    """Hex of a command APDU with the data of PIN-bearing instructions masked."""
    if len(raw) >= 5 and raw[1] in PIN_INS:
        try:
            cmd = Command.parse(raw)
        except ValueError:
            return hexs(raw[:4]) + " <masked>"
        if cmd.data:
            head = hexs(raw[:4]) + f" {len(cmd.data):02X}"
            return head + f" <PIN masked, {len(cmd.data)} bytes>"
    return hexs(raw)


@dataclass
class TraceEntry:
    index: int
    t_ms: float
    command: str
    instruction: str
    sw: str
    response_bytes: int
    duration_ms: float
    origin: str = "harness"

    def line(self) -> str:
        return (
            f"{self.index:4d} {self.t_ms:9.2f} ms {self.duration_ms:7.2f} ms  {self.origin:9s} "
            f"{self.instruction:22s} > {self.command}  < {self.response_bytes} bytes, SW {self.sw}"
        )


@dataclass
class ApduTrace:
    """APDUs with timings; PIN bytes never enter it (masked when recorded)."""

    entries: list[TraceEntry] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, raw: bytes, sw: int, resp_len: int, duration_s: float, origin: str = "harness") -> None:
        ins = raw[1] if len(raw) > 1 else -1
        with self._lock:
            self.entries.append(
                TraceEntry(
                    index=len(self.entries) + 1,
                    t_ms=(time.perf_counter() - self.started) * 1000,
                    command=mask_command(raw) if len(raw) > 1 else f"control {hexs(raw)}",
                    instruction=INS_NAMES.get(ins, f"INS {ins:02X}") if len(raw) > 1 else "vpcd control",
                    sw=f"{sw:04X}",
                    response_bytes=resp_len,
                    duration_ms=duration_s * 1000,
                    origin=origin,
                )
            )

    def reset(self) -> None:
        with self._lock:
            self.entries.clear()
            self.started = time.perf_counter()

    def __len__(self) -> int:
        return len(self.entries)

    def text(self, title: str = "") -> str:
        head = "   # time         duration   origin    instruction            command / response"
        lines = [title] if title else []
        lines += [head] + [e.line() for e in self.entries]
        return "\n".join(lines)

    def as_json(self) -> list[dict]:
        return [vars(e).copy() for e in self.entries]


# --- what may be sent -----------------------------------------------------------------

#: Instructions a read-only compliance run may send to a real card. Everything else
#: (PUT DATA, GENERATE, CHANGE REFERENCE DATA, RESET RETRY COUNTER, vendor resets and
#: imports, file writes) is refused before it reaches the card.
READ_ONLY_INS = {
    0xA4,  # SELECT
    0xCB,  # GET DATA
    0xC0,  # GET RESPONSE
    0x20,  # VERIFY (PIN data only inside the PIN guard's window)
    0x87,  # GENERAL AUTHENTICATE (not with the card management key 9B)
    0xB0,  # READ BINARY
    0x52,  # CAC READ FILE
    0x56,  # CAC GET PROPERTIES
    0x4C,  # CAC GET ACR
    0x42,  # CAC SIGN/DECRYPT (private-key operation, changes nothing)
    0x84,  # GET CHALLENGE
    0xFD,  # vendor GET VERSION (read-only)
}


@dataclass
class SafetyPolicy:
    """Which commands a connection lets through.

    ``read_only`` (always on for the ``pcsc`` backend) refuses every instruction outside
    :data:`READ_ONLY_INS` and GENERAL AUTHENTICATE with the management key (9B). A VERIFY
    that carries data (a PIN) is refused on every backend unless the PIN guard has opened
    a window for exactly one attempt.
    """

    read_only: bool = True

    def check(self, cmd: Command, pin_window_open: bool) -> None:
        if cmd.ins == 0x20 and cmd.data and cmd.p1 != 0xFF and not pin_window_open:
            raise CardSafetyError(
                "refused to send a PIN outside the PIN guard (VERIFY with data); "
                "PINs go through hardware.pin.PinGuard only"
            )
        if not self.read_only:
            return
        if cmd.ins not in READ_ONLY_INS:
            name = INS_NAMES.get(cmd.ins, f"INS {cmd.ins:02X}")
            raise CardSafetyError(
                f"refused to send {name} to a real card: the harness never writes to, generates keys on, "
                "changes the PIN of, or resets a card (backend 'pcsc' is read-only)"
            )
        if cmd.ins == 0x87 and cmd.p2 == 0x9B:
            raise CardSafetyError("refused to authenticate with the card management key (9B) on a real card")


class CardConnection:
    """A connection to one card over a :class:`Transport`.

    ``send`` returns the full response (GET RESPONSE and Le correction done) and records
    every exchanged APDU in ``trace`` with PIN bytes masked.
    """

    def __init__(self, transport: Transport, policy: SafetyPolicy | None = None, trace: ApduTrace | None = None):
        self.transport = transport
        self.policy = policy or SafetyPolicy(read_only=True)
        self.trace = trace if trace is not None else ApduTrace()
        self._pin_window = 0

    @property
    def name(self) -> str:
        return getattr(self.transport, "name", "card")

    @contextlib.contextmanager
    def pin_window(self) -> Iterator[None]:
        """Allow exactly one VERIFY with PIN data (opened by the PIN guard only)."""
        self._pin_window = 1
        try:
            yield
        finally:
            self._pin_window = 0

    def _raw(self, raw: bytes) -> Response:
        t0 = time.perf_counter()
        try:
            data, sw = self.transport.transmit(raw)
        except TransportError:
            raise
        except Exception as exc:  # pyscard raises its own types
            raise TransportError(f"{self.name}: {exc}") from None
        self.trace.record(raw, sw, len(data), time.perf_counter() - t0)
        return Response(bytes(data), sw)

    def send(self, cmd: Command) -> Response:
        self.policy.check(cmd, self._pin_window > 0)
        if cmd.ins == 0x20 and cmd.data and cmd.p1 != 0xFF:
            self._pin_window = 0  # one attempt per window
        data = cmd.data
        # command chaining for data longer than a short APDU
        while len(data) > 255:
            chunk, data = data[:255], data[255:]
            part = Command(cmd.cla | 0x10, cmd.ins, cmd.p1, cmd.p2, chunk, None)
            r = self._raw(part.encode())
            if r.sw != SW.OK:
                return r
        last = Command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, data, cmd.le)
        r = self._raw(last.encode())
        if r.sw1 == 0x6C:  # wrong Le: resend with the right one
            last = Command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, data, r.sw2 or 256)
            r = self._raw(last.encode())
        out = r.data
        while r.sw1 == 0x61:
            r = self._raw(Command(cmd.cla & 0x0F, 0xC0, 0, 0, b"", r.sw2 or 256).encode())
            out += r.data
        return Response(out, r.sw)

    def send_ok(self, cmd: Command, what: str = "") -> bytes:
        r = self.send(cmd)
        if not r.ok:
            raise ApduError(r.sw, what or INS_NAMES.get(cmd.ins, f"INS {cmd.ins:02X}"))
        return r.data

    def close(self) -> None:
        self.transport.close()
