"""Where the PIN comes from, and the PIN guard that decides whether it may be sent.

The PIN comes from the environment variable ``SMARTCARD_PIN`` or an interactive prompt
(getpass); never from a command-line argument or a file in the repository. Simulated
cards get a generated PIN (or ``SMARTCARD_PIN`` when set, which the no-leak self-test
uses to plant a distinctive PIN).

The guard enforces, for every backend:

* the retry counter is read before any PIN is sent, and no PIN is sent when one try or
  fewer is left (the harness never risks a card's last try);
* after one wrong PIN, no further PIN attempt is made on that card in the same run;
* a PIN is sent only inside the guard (the card connection refuses VERIFY with data
  anywhere else, see :class:`hardware.transport.SafetyPolicy`).
"""

from __future__ import annotations

import enum
import getpass
import logging
import os
import secrets
import sys
import threading
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from wscard.errors import EnvironmentProblem, PinAttemptRefused

PIN_VARIABLE = "SMARTCARD_PIN"
#: The guard refuses to send a PIN when this many tries or fewer are left.
REFUSE_AT_TRIES = 1
T = TypeVar("T")

_KNOWN_PINS: set[str] = set()
_KNOWN_LOCK = threading.Lock()


class Pin:
    """A PIN that does not show itself: ``str()``/``repr()`` are masked; ``reveal()``
    is called only by the guard, right before the PIN goes to the card."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str):
        if not value:
            raise ValueError("empty PIN")
        self._value = value
        self.source = source
        with _KNOWN_LOCK:
            _KNOWN_PINS.add(value)

    def reveal(self) -> bytes:
        return self._value.encode()

    def __repr__(self) -> str:
        return f"<PIN from {self.source}, {len(self._value)} characters>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pin) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(len(self._value))

    def __reduce__(self):  # never pickled (xdist, caches)
        raise TypeError("a PIN cannot be serialised")


def known_pins() -> tuple[str, ...]:
    """Every PIN value this process has handled (for redaction)."""
    with _KNOWN_LOCK:
        return tuple(_KNOWN_PINS)


def scrub(text: str) -> str:
    """``text`` with every known PIN value replaced."""
    for p in known_pins():
        if p:
            text = text.replace(p, "***PIN***")
    return text


class PinLogFilter(logging.Filter):
    """A logging filter that masks known PIN values in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        clean = scrub(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def generated_pin() -> str:
    """An 8-digit PIN for a simulated card."""
    return "".join(secrets.choice("0123456789") for _ in range(8))


def pin_from_environment(prompt: bool = True, variable: str = PIN_VARIABLE) -> Pin:
    """The PIN of a real card: ``$SMARTCARD_PIN``, else an interactive prompt."""
    value = os.environ.get(variable, "")
    if value:
        return Pin(value, f"${variable}")
    if prompt and sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass("Smart card PIN (not echoed): ")
        if value:
            return Pin(value, "prompt")
    how = ("in PowerShell with Read-Host -AsSecureString, docs/card.md 'Windows lab PCs'" if sys.platform == "win32"
           else f"for example 'read -s {variable} && export {variable}'")
    raise EnvironmentProblem(
        f"no PIN for the card: set the environment variable {variable} ({how}), or run pytest with -s from a "
        "terminal to be prompted. Never pass a PIN on the command line."
    )


def simulated_pin(variable: str = PIN_VARIABLE) -> Pin:
    """The PIN of a simulated card: ``$SMARTCARD_PIN`` when set, else generated."""
    value = os.environ.get(variable, "")
    if value:
        return Pin(value, f"${variable}")
    return Pin(generated_pin(), "generated")


class AttemptOutcome(enum.StrEnum):
    """How one PIN the guard let through ended (the value is what evidence shows)."""

    #: The card accepted the PIN.
    OK = "ok"
    #: The card refused it (SW 63 CX / CKR_PIN_INCORRECT): no other PIN goes to that card in this run.
    WRONG_PIN = "wrong-pin"
    #: Anything else went wrong while it was sent (``detail``: the exception's type).
    ERROR = "error"


@dataclass
class AttemptRecord:
    """One PIN sent to a card: the tries left before it, and how it ended (None while the
    PIN is on its way)."""

    card: str
    tries_before: int | None
    tries_after: int | None = None
    outcome: AttemptOutcome | None = None
    detail: str = ""


@dataclass
class PinGuard:
    """Run-wide PIN policy, keyed by card identity (serial)."""

    refuse_at: int = REFUSE_AT_TRIES
    wrong_pin_cards: dict[str, str] = field(default_factory=dict)
    attempts: list[AttemptRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pins_sent(self, card: str | None = None) -> int:
        return sum(1 for a in self.attempts if card is None or a.card == card)

    def attempt(
        self,
        card: str,
        read_tries: Callable[[], int | None],
        send: Callable[[], T],
        is_wrong_pin: Callable[[BaseException], bool],
        where: str = "",
    ) -> T:
        """Read the retry counter, decide, and send the PIN at most once.

        ``read_tries`` returns the tries left (None: the card does not say) or raises
        :class:`PinAttemptRefused` (:class:`TriesUnknown` when the card's answer is not
        understood); ``send`` sends the PIN and returns the result; ``is_wrong_pin`` tells
        a wrong-PIN error apart. Raises :class:`PinAttemptRefused` without sending anything
        when the policy says no.
        """
        with self._lock:
            if card in self.wrong_pin_cards:
                raise PinAttemptRefused(
                    f"the card refused the PIN earlier in this run ({self.wrong_pin_cards[card]}); "
                    "the harness makes no further PIN attempt on it in this run"
                )
            tries = read_tries()
            if tries is not None and tries <= self.refuse_at:
                raise PinAttemptRefused(
                    f"only {tries} PIN {'try' if tries == 1 else 'tries'} left on the card: the harness refuses "
                    "to send a PIN, since one more wrong PIN would lock the card",
                    tries,
                )
            record = AttemptRecord(card, tries)
            self.attempts.append(record)
            try:
                result = send()
            except BaseException as exc:
                if is_wrong_pin(exc):
                    record.outcome = AttemptOutcome.WRONG_PIN
                    self.wrong_pin_cards[card] = where or "a PIN login"
                else:
                    record.outcome = AttemptOutcome.ERROR
                    record.detail = type(exc).__name__
                raise
            record.outcome = AttemptOutcome.OK
            return result
