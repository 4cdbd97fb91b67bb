"""Step glue for features/card: each "When" calls one function of hardware.scenarios and
returns its result (``target_fixture="card_result"``); each "Then" attaches the evidence
(APDU traces with PIN bytes masked, card identity, certificates as PEM) and hands the
result to ``evidence.check``."""

from __future__ import annotations

from pytest_bdd import given, scenarios, then, when

from hardware import scenarios as sc

from .glue import check_per_baseline

scenarios("card")


@given("the card environment of the profile", target_fixture="card_ctx")
def _card_env(card):
    return card


def _judge(card_ctx, result, evidence, **attach):
    """The scenario's card evidence (``attach``: identity, certificates), then the verdict."""
    card_ctx.attach(evidence, **attach)
    return evidence.check(result)


# --- When: one function of hardware.scenarios each ----------------------------------------

def _baseline(profile):
    return profile.profile.baseline


def _expected_type(profile):
    return profile.card.expected_type


#: "When" words -> (the hardware.scenarios function, what of the profile it takes after
#: the card session, if anything). Its result is the scenario's ``card_result``.
WHEN = {
    "the harness counts the tokens of the PKCS#11 module": (sc.tokens_present, _baseline),  # CARD-2, SoftHSM
    "the harness counts the cards in the PC/SC readers": (sc.cards_in_readers, _baseline),  # CARD-2
    "the harness identifies the card in the reader": (sc.card_type, _expected_type),  # CARD-1
    "the harness logs in to the card with the user's PIN": (sc.pin_login, None),  # CARD-3
    "the harness reads the PIN retry counter over the card edge twice": (sc.retry_counter, None),  # CARD-3
    "the harness sends a deliberately wrong PIN to a scratch virtual card of the same type":
        (sc.wrong_pin_demonstration, None),  # CARD-3, scratch virtual card only
    "the harness lists the certificates of the card's PKCS#11 token": (sc.logon_certificates_pkcs11, None),  # UC-5
    "the harness reads the certificates over the card edge": (sc.logon_certificates_card_edge, None),  # UC-5
    "the card signs a fresh random challenge through PKCS#11": (sc.possession_pkcs11, None),  # UC-6
    "the card signs a fresh random challenge over its card edge": (sc.possession_card_edge, None),  # UC-6
    "the harness opens a second session while the logged-in session is open": (sc.shared_access_pkcs11, None),
    "the harness opens two shared PC/SC connections to the card and signs through PKCS#11 meanwhile":
        (sc.shared_access_pcsc, None),  # CARD-4
}


def _register_when(words: str, scenario, from_profile) -> None:
    def run(card_ctx, profile):
        return scenario(card_ctx.session, *((from_profile(profile),) if from_profile else ()))

    run.__doc__ = f"{scenario.__module__}.{scenario.__name__} on the card session."
    when(words, target_fixture="card_result", stacklevel=2)(run)


for _words, (_scenario, _from_profile) in WHEN.items():
    _register_when(_words, _scenario, _from_profile)


# --- Then: the evidence, then the verdict ---------------------------------------------------

@then("exactly one card is present")
def _one_card(card_ctx, card_result, evidence):
    card_ctx.attach(evidence)
    check_per_baseline(evidence, card_result)


@then("the card is a PIV or CAC card")
@then("the counter is unchanged and more than one try is left")
def _judged_with_identity(card_ctx, card_result, evidence):
    _judge(card_ctx, card_result, evidence, identity=True)


@then("the card accepts the PIN and no last try was risked")
@then("the wrong PIN is refused and costs exactly one try, without locking the card")
@then("both sessions keep working")
def _judged(card_ctx, card_result, evidence):
    _judge(card_ctx, card_result, evidence)


@then("exactly one certificate has the Smart Card Logon EKU, and it is in slot 9A")
def _one_logon(card_ctx, card_result, evidence):
    _judge(card_ctx, card_result, evidence, identity=card_ctx.session.backend.uses_pcsc,
           certificates=card_ctx.certificates())


@then("the signature verifies with the logon certificate's public key")
def _signature_ok(card_ctx, card_result, evidence):
    _judge(card_ctx, card_result, evidence, certificates=card_ctx.certificates())
