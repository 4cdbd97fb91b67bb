"""What each card scenario does, as one function per "When": gather the facts through
the :class:`~hardware.session.CardSession` and judge them with :mod:`hardware.checks`.

Every function returns a :class:`wscard.checks.CheckResult`. When the scenario cannot be
judged on this card (no token, an unsupported card, a PIN refused earlier) the result is
a skip that names the requirement that explains why.
"""

from __future__ import annotations

from typing import Callable

from wscard.checks import CheckResult

from . import checks
from .session import CardSession, NoCard

WHERE = {
    "CARD-2": "One smart card at a time",
    "CARD-3": "The PIN unlocks the card",
    "UC-5": "One logon certificate",
    "UC-6": "Proof of possession",
    "CARD-4": "Shared access",
}


def _guard(requirement: str, fn: Callable[[], CheckResult]) -> CheckResult:
    try:
        return fn()
    except NoCard as exc:
        return CheckResult(requirement).skip(str(exc))


def tokens_present(session: CardSession, baseline: str = "seed") -> CheckResult:
    """CARD-2 at the PKCS#11 level (SoftHSM: every token is a card)."""
    if session.backend.uses_pcsc:
        return CheckResult("CARD-2").not_applicable(
            "with a PC/SC backend, the cards are counted in the readers (the @hw scenario)"
        )
    return checks.one_card(session.presence(), "as PKCS#11 tokens", baseline)


def cards_in_readers(session: CardSession, baseline: str = "seed") -> CheckResult:
    """CARD-2 at the PC/SC level."""
    return checks.one_card(session.presence(), "in the PC/SC readers", baseline)


def card_type(session: CardSession, expected: str = "") -> CheckResult:
    def run() -> CheckResult:
        return checks.card_type(session.identity(), expected)

    return _guard("CARD-1", run)


def pin_login(session: CardSession) -> CheckResult:
    out = session.login(WHERE["CARD-3"])
    return checks.pin_login(out)


def retry_counter(session: CardSession) -> CheckResult:
    """CARD-3 over the card edge: the retry counter can be read without consuming a try,
    and more than one try is left (else the harness will not send a PIN)."""
    def run() -> CheckResult:
        r = CheckResult("CARD-3")
        facts = session.retry_counter()
        r.evidence.update(facts)
        reads = facts["reads"]
        subject = f"card {session.identity().serial or session.identity().reader}"
        if facts.get("unknown"):
            return r.skip(f"not evaluated: {facts['unknown']}; the harness sends no PIN to a card whose retry "
                          "counter it cannot read")
        if reads[0] != reads[-1]:
            r.fail(subject, f"reading the retry counter changed it ({reads[0]} -> {reads[-1]})",
                   "The card consumes a try on VERIFY without data: do not use it for sign-in tests.")
        tries = reads[-1]["tries_left"]
        if reads[-1]["verified"]:
            return r
        if tries is not None and tries <= 1:
            r.fail(subject, f"only {tries} PIN {'try' if tries == 1 else 'tries'} left: the harness refuses to send a "
                   "PIN, since one more wrong PIN would lock the card",
                   "Have the retry counter reset (PUK or the card management system) first.")
        return r

    return _guard("CARD-3", run)


def wrong_pin_demonstration(session: CardSession) -> CheckResult:
    if not session.backend.simulated:
        return CheckResult("CARD-3").skip("never done on a real card: run with --card virtual-piv or virtual-cac")
    if not getattr(session.backend.section, "demonstrate_wrong_pin", True):
        return CheckResult("CARD-3").skip("[card] demonstrate_wrong_pin is off")

    def run() -> CheckResult:
        if session.backend.name == "virtual-other":
            raise NoCard("the unsupported virtual card has no PIN that OpenSC can use (see CARD-1)")
        facts = session.wrong_pin_demonstration()
        r = checks.wrong_pin_costs_one_try(facts["before"], facts["after"], facts["refused"])
        r.evidence.update({k: v for k, v in facts.items() if k not in r.evidence})
        return r

    return _guard("CARD-3", run)


def logon_certificates_pkcs11(session: CardSession) -> CheckResult:
    def run() -> CheckResult:
        return checks.logon_certificates(session.certificates(), session.card().info.serial)

    return _guard("UC-5", run)


def logon_certificates_card_edge(session: CardSession) -> CheckResult:
    def run() -> CheckResult:
        ident = session.identity()
        if not ident.supported:
            raise NoCard(f"the card is {ident.type}: its certificates cannot be read over a PIV/CAC card edge "
                         "(see CARD-1)")
        return checks.logon_certificates(ident.certificates, ident.serial or ident.reader, ident.problems)

    return _guard("UC-5", run)


def possession_pkcs11(session: CardSession) -> CheckResult:
    def run() -> CheckResult:
        return checks.proof_of_possession(session.sign_challenge(WHERE["UC-6"]), session.card().info.serial)

    return _guard("UC-6", run)


def possession_card_edge(session: CardSession) -> CheckResult:
    def run() -> CheckResult:
        ident = session.identity()
        if not ident.supported:
            raise NoCard(f"the card is {ident.type}: no PIV/CAC card edge to sign with (see CARD-1)")
        return checks.proof_of_possession(session.sign_over_card_edge(WHERE["UC-6"]), ident.serial or ident.reader)

    return _guard("UC-6", run)


def shared_access_pkcs11(session: CardSession) -> CheckResult:
    def run() -> CheckResult:
        steps = session.shared_access_pkcs11(WHERE["CARD-4"])
        return checks.shared_access(steps, session.card().info.serial)

    return _guard("CARD-4", run)


def shared_access_pcsc(session: CardSession) -> CheckResult:
    def run() -> CheckResult:
        ident = session.identity()
        if not ident.supported:
            raise NoCard(f"the card is {ident.type} (see CARD-1)")
        steps = session.shared_access_pcsc(WHERE["CARD-4"])
        return checks.shared_access(steps, ident.serial or ident.reader)

    return _guard("CARD-4", run)
