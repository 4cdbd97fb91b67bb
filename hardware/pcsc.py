"""PC/SC through pyscard: readers, card presence and the :class:`PcscTransport`.

Works with pcsc-lite (Linux), WinSCard (Windows lab PCs) and macOS. Connections are
opened in shared mode (``SCARD_SHARE_SHARED``) and left with ``SCARD_LEAVE_CARD``, so the
harness never resets or powers down a card that the WorkSpaces client or OpenSC is using.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from wscard.errors import EnvironmentProblem

from .transport import TransportError


def _scard() -> Any:
    try:
        from smartcard import scard
    except ImportError:
        raise EnvironmentProblem(
            "pyscard is not installed, so PC/SC readers cannot be used. Install it with "
            "'.venv/bin/pip install pyscard' (Linux: needs gcc, swig and libpcsclite-dev first)."
        ) from None
    return scard


NO_SERVICE_CODES = {0x8010001D, 0x8010001E, 0x80100017}  # no service, service stopped, reader unavailable
NO_READERS = 0x8010002E


def _hex(code: int) -> str:
    return f"0x{code & 0xFFFFFFFF:08X}"


def _no_service(code: int) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"the PC/SC service is not available ({_hex(code)}). Linux: start pcscd (or let the harness start "
        "it: see docs/card.md); Windows: connect the reader (Windows starts the 'Smart Card' service, "
        "SCardSvr, when a reader is present), or start it with 'sc start SCardSvr'."
    )


@dataclass
class ReaderState:
    reader: str
    present: bool
    atr: bytes
    in_use: bool = False
    exclusive: bool = False
    mute: bool = False

    def summary(self) -> dict[str, Any]:
        return {"reader": self.reader, "card_present": self.present, "atr": self.atr.hex().upper(),
                "in_use": self.in_use, "exclusive": self.exclusive}


class PcscContext:
    """An SCard context (released on close)."""

    def __init__(self) -> None:
        self.scard = _scard()
        rc, self.handle = self.scard.SCardEstablishContext(self.scard.SCARD_SCOPE_USER)
        if rc != self.scard.SCARD_S_SUCCESS:
            raise _no_service(rc)

    def readers(self) -> list[str]:
        rc, readers = self.scard.SCardListReaders(self.handle, [])
        if rc & 0xFFFFFFFF == NO_READERS or (rc == self.scard.SCARD_S_SUCCESS and not readers):
            return []
        if rc != self.scard.SCARD_S_SUCCESS:
            if rc & 0xFFFFFFFF in NO_SERVICE_CODES:
                raise _no_service(rc)
            raise EnvironmentProblem(f"SCardListReaders failed: {self.scard.SCardGetErrorMessage(rc)} ({_hex(rc)})")
        return list(readers)

    def states(self, readers: list[str] | None = None) -> list[ReaderState]:
        s = self.scard
        names = self.readers() if readers is None else readers
        if not names:
            return []
        rc, states = s.SCardGetStatusChange(self.handle, 0, [(r, s.SCARD_STATE_UNAWARE) for r in names])
        if rc != s.SCARD_S_SUCCESS:
            raise EnvironmentProblem(f"SCardGetStatusChange failed: {s.SCardGetErrorMessage(rc)} ({_hex(rc)})")
        out = []
        for reader, event, atr in states:
            out.append(ReaderState(
                reader=reader,
                present=bool(event & s.SCARD_STATE_PRESENT) and not bool(event & s.SCARD_STATE_MUTE),
                atr=bytes(atr or b""),
                in_use=bool(event & s.SCARD_STATE_INUSE),
                exclusive=bool(event & s.SCARD_STATE_EXCLUSIVE),
                mute=bool(event & s.SCARD_STATE_MUTE),
            ))
        return out

    def close(self) -> None:
        self.scard.SCardReleaseContext(self.handle)

    def __enter__(self) -> "PcscContext":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def list_readers() -> list[str]:
    with PcscContext() as ctx:
        return ctx.readers()


def reader_states(readers: list[str] | None = None) -> list[ReaderState]:
    with PcscContext() as ctx:
        return ctx.states(readers)


def wait_until(predicate: Callable[[list[ReaderState]], bool], timeout: float = 5.0,
               readers: list[str] | None = None) -> list[ReaderState]:
    """Poll the readers until ``predicate(states)`` holds (pcscd polls vpcd every ~400 ms)."""
    deadline = time.monotonic() + timeout
    with PcscContext() as ctx:
        while True:
            states = ctx.states(readers)
            if predicate(states) or time.monotonic() > deadline:
                return states
            time.sleep(0.05)


class PcscTransport:
    """A shared connection to the card in one reader."""

    def __init__(self, reader: str, exclusive: bool = False):
        s = self.scard = _scard()
        self.name = reader
        self.reader = reader
        self.ctx = PcscContext()
        share = s.SCARD_SHARE_EXCLUSIVE if exclusive else s.SCARD_SHARE_SHARED
        rc, self.card, self.protocol = s.SCardConnect(
            self.ctx.handle, reader, share, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1
        )
        if rc != s.SCARD_S_SUCCESS:
            self.ctx.close()
            raise TransportError(f"cannot connect to the card in '{reader}': {s.SCardGetErrorMessage(rc)} ({_hex(rc)})")
        self._closed = False

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        s = self.scard
        rc, resp = s.SCardTransmit(self.card, self.protocol, list(apdu))
        if rc != s.SCARD_S_SUCCESS:
            raise TransportError(f"'{self.reader}': {s.SCardGetErrorMessage(rc)} ({_hex(rc)})")
        if len(resp) < 2:
            raise TransportError(f"'{self.reader}': response shorter than a status word")
        return bytes(resp[:-2]), (resp[-2] << 8) | resp[-1]

    def begin_transaction(self) -> None:
        self.scard.SCardBeginTransaction(self.card)

    def end_transaction(self) -> None:
        self.scard.SCardEndTransaction(self.card, self.scard.SCARD_LEAVE_CARD)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.scard.SCardDisconnect(self.card, self.scard.SCARD_LEAVE_CARD)
        self.ctx.close()
