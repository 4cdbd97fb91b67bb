"""Exception types shared by the libraries.

Three kinds of trouble are kept apart, because the report files them in different
categories:

* :class:`NonCompliance` - the environment does not meet a documented requirement
  (an ``AssertionError``, so pytest and Allure record the scenario as *failed*);
* :class:`EnvironmentProblem` - the harness could not look at the environment
  (AWS unreachable, no reader, responder down); recorded as *broken*;
* :class:`ProfileError` - the profile is malformed; reported before any scenario runs.

Anything else escaping a step is a harness error.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class of the harness's own errors (not for non-compliance)."""


class ProfileError(HarnessError, ValueError):
    """A profile file is malformed: names the file and the key."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None):
        self.message = message  # what is wrong, without the file and the key
        self.path = path
        self.key = key
        where = ""
        if path and key:
            where = f"{path}: {key}: "
        elif path:
            where = f"{path}: "
        elif key:
            where = f"{key}: "
        super().__init__(f"{where}{message}")


class EnvironmentProblem(HarnessError):
    """The environment could not be examined. The message says what and how to fix it."""

    PREFIX = "Environment problem: "

    def __init__(self, message: str):
        super().__init__(message if message.startswith(self.PREFIX) else self.PREFIX + message)


class ChangeRefused(EnvironmentProblem):
    """A mutating call to live AWS was refused by the read-only guard."""


# --- the card: raised by the card package (hardware/), caught by name in wscard/ ------
# (wscard never imports hardware: docs/ARCHITECTURE.md, import rule 2)

class NoCard(Exception):
    """There is no (single, recognised) card to run this scenario on (raised by
    ``hardware.session.CardSession``)."""


class PinAttemptRefused(Exception):
    """The PIN guard (``hardware.pin.PinGuard``) would not send the PIN; ``reason`` says
    why (fit for a report), ``tries_left`` what the card said, if it said."""

    def __init__(self, reason: str, tries_left: int | None = None):
        self.reason = reason
        self.tries_left = tries_left
        super().__init__(reason)


class TriesUnknown(PinAttemptRefused):
    """The card's answer about its retry counter is not one the harness knows, so the
    tries left are unknown: the guard sends no PIN (the harness never risks a card whose
    counter it cannot read). Raised by the ``read_tries`` callables."""


class NonCompliance(AssertionError):
    """The environment violates a documented requirement."""

    PREFIX = "NON-COMPLIANT"
