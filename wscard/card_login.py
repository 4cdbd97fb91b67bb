"""The outcome of one PIN login to a card (PKCS#11 ``C_Login`` through the PIN guard).

Produced by the card session (:meth:`hardware.session.CardSession.login`) and by the login
model's software card (:mod:`wscard.login.world`); read by CARD-3 (:func:`hardware.checks.pin_login`)
and the model client (:mod:`wscard.login.flow`). It lives here, a leaf module, because
``wscard`` never imports ``hardware`` (docs/ARCHITECTURE.md, rule 2) and both sides need it.

Only answers of the card (or of the harness's PIN policy) are statuses. A card that went
away during the login is an :class:`~wscard.errors.EnvironmentProblem`, any other exception
a harness error: neither is a login outcome.
"""

from __future__ import annotations

import enum


class CardLoginStatus(enum.StrEnum):
    """A PIN login's outcome; the value is what evidence and reports show."""

    #: The card accepted the PIN (or a login earlier in the run is reused).
    OK = "ok"
    #: The card refused the PIN (PKCS#11 CKR_PIN_INCORRECT; VERIFY 63Cx), tries remain.
    WRONG_PIN = "wrong-pin"
    #: The card's PIN is blocked (CKR_PIN_LOCKED; VERIFY 6983), or a wrong PIN left 0 tries.
    LOCKED = "locked"
    #: The PIN guard did not send the PIN (too few tries left, a wrong PIN earlier in the run).
    REFUSED = "refused"
    #: The PIN guard did not send the PIN: the card's retry counter could not be understood.
    TRIES_UNKNOWN = "tries-unknown"
    #: There is no PKCS#11 token for the card: nothing was tried.
    NO_TOKEN = "no-token"
