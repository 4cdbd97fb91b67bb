"""The card session's PIN login (hardware.session.CardSession.login) tells the card's
answers apart from everything else: a wrong PIN is the documented outcome CARD-3 fails; a
card that went away during the login (python-pkcs11 ``DeviceRemoved``, ``TokenNotPresent``)
is an environment problem, never a CARD-3 non-compliance; any other exception is a harness
error. In every case the PIN is sent at most once. No card, no PKCS#11 module: the token is
a stand-in whose C_Login raises what a real module raises."""

from __future__ import annotations

import pytest
from pkcs11 import exceptions as p11e

from hardware import checks
from hardware.pin import PinGuard
from hardware.pkcs11 import TokenInfo
from hardware.session import CardSession
from wscard.card_login import CardLoginStatus
from wscard.checks import Status
from wscard.errors import EnvironmentProblem

INFO = TokenInfo(slot_id=1, slot_description="reader 0", label="PIV_II", serial="0123456789", manufacturer="m",
                 model="PKCS#15 emulated", flags=0)


class _Token:
    """A PKCS#11 token whose C_Login raises ``error`` (``None``: accepts) and counts calls."""

    def __init__(self, error: BaseException | None):
        self.info, self.error, self.logins = INFO, error, 0

    def login(self, pin: str):
        self.logins += 1
        if self.error is not None:
            raise self.error
        return object()


class _Backend:
    """The backend surface the login uses; the retry counter is modelled (3 tries)."""

    def __init__(self, token: _Token):
        self.token_, self.tries = token, 3

    def harness_pin(self) -> str:
        return "not-a-real-pin"

    def tries_left(self, info) -> int | None:
        return self.tries

    def after_login(self, ok: bool, wrong_pin: bool) -> None:
        if wrong_pin:
            self.tries -= 1

    def module(self):
        backend = self

        class _Module:
            def tokens(self):
                return [backend.token_.info]
        return _Module()


def _session(error: BaseException | None) -> tuple[CardSession, _Token]:
    token = _Token(error)
    session = CardSession(_Backend(token), PinGuard())  # type: ignore[arg-type]
    session._card = token  # type: ignore[assignment]  # the token found for the card
    return session, token


@pytest.mark.parametrize("gone", [p11e.DeviceRemoved(), p11e.TokenNotPresent(), p11e.SessionHandleInvalid()],
                         ids=lambda e: type(e).__name__)
def test_a_card_removed_during_the_login_is_an_environment_problem_not_card_3(gone):
    session, token = _session(gone)
    with pytest.raises(EnvironmentProblem, match="went away during the PIN login"):
        session.login("unit test")
    # never a login outcome CARD-3 could fail, and the PIN is not sent again
    assert session._login is None
    with pytest.raises(EnvironmentProblem):
        session.login("unit test, again")
    assert token.logins == 1 and session.guard.pins_sent() == 1


def test_an_unexpected_exception_is_a_harness_error_not_card_3():
    session, token = _session(ZeroDivisionError("a harness bug"))
    with pytest.raises(ZeroDivisionError):
        session.login("unit test")
    with pytest.raises(ZeroDivisionError):
        session.login("unit test, again")
    assert token.logins == 1


def test_trap_a_wrong_pin_stays_the_documented_outcome_and_fails_card_3():
    session, token = _session(p11e.PinIncorrect())
    out = session.login("unit test")
    assert out.status is CardLoginStatus.WRONG_PIN and (out.tries_before, out.tries_after) == (3, 2)
    result = checks.pin_login(out)
    assert result.status is Status.FAILED and "refused the PIN (2 tries left)" in result.findings[0].problem
    assert result.evidence["login"]["status"] == "wrong-pin"  # the evidence is unchanged
    # remembered: no second PIN, ever
    assert session.login("unit test, again") is out and token.logins == 1


def test_trap_a_blocked_pin_stays_locked():
    session, _ = _session(p11e.PinLocked())
    out = session.login("unit test")
    assert out.status is CardLoginStatus.LOCKED
    assert checks.pin_login(out).status is Status.FAILED


def test_the_accepted_pin_passes_card_3():
    session, _ = _session(None)
    out = session.login("unit test")
    assert out.status is CardLoginStatus.OK and checks.pin_login(out).status is Status.PASSED


@pytest.mark.parametrize("raised, expected", [(p11e.TokenNotPresent, EnvironmentProblem),
                                              (p11e.DeviceRemoved, EnvironmentProblem),
                                              (LookupError, "NoCard"), (ZeroDivisionError, ZeroDivisionError)])
def test_reading_the_token_tells_a_card_gone_from_no_card_from_a_bug(raised, expected):
    """The card's token: no single token is NoCard, a token or reader gone (PKCS#11
    CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_REMOVED) an environment problem, anything else is
    raised as it is (the login model catches the first two only)."""
    from wscard.errors import NoCard

    class Backend:
        def token(self):
            raise raised()

    want = NoCard if expected == "NoCard" else expected
    with pytest.raises(want) as info:
        CardSession(Backend()).card()
    if want is EnvironmentProblem:
        assert "went away" in str(info.value) and "reader connected" in str(info.value)
