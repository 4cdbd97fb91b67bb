"""Step glue for features/card: each "When" calls one function of hardware.scenarios,
each "Then" attaches the evidence (APDU traces with PIN bytes masked, card identity,
certificates as PEM) and hands the result to ``evidence.check``."""

from __future__ import annotations

from pytest_bdd import given, scenarios, then, when

from hardware import scenarios as sc

from .workspaces_plugin import check_per_baseline

scenarios("card")


@given("the card environment of the profile", target_fixture="card_ctx")
def _card_env(card):
    return card


# --- CARD-2 -------------------------------------------------------------------------------

@when("the harness counts the tokens of the PKCS#11 module")
def _count_tokens(card_ctx, profile):
    card_ctx.result = sc.tokens_present(card_ctx.session, profile.profile.baseline)


@when("the harness counts the cards in the PC/SC readers")
def _count_readers(card_ctx, profile):
    card_ctx.result = sc.cards_in_readers(card_ctx.session, profile.profile.baseline)


@then("exactly one card is present")
def _one_card(card_ctx, evidence):
    card_ctx.attach(evidence)
    check_per_baseline(evidence, card_ctx.result)


# --- CARD-1 -------------------------------------------------------------------------------

@when("the harness identifies the card in the reader")
def _identify(card_ctx, profile):
    card_ctx.result = sc.card_type(card_ctx.session, profile.card.expected_type)


@then("the card is a PIV or CAC card")
def _supported(card_ctx, evidence):
    card_ctx.attach(evidence, identity=True)
    evidence.check(card_ctx.result)


# --- CARD-3 -------------------------------------------------------------------------------

@when("the harness logs in to the card with the user's PIN")
def _login(card_ctx):
    card_ctx.result = sc.pin_login(card_ctx.session)


@then("the card accepts the PIN and no last try was risked")
def _login_ok(card_ctx, evidence):
    card_ctx.attach(evidence)
    evidence.check(card_ctx.result)


@when("the harness reads the PIN retry counter over the card edge twice")
def _retry_counter(card_ctx):
    card_ctx.result = sc.retry_counter(card_ctx.session)


@then("the counter is unchanged and more than one try is left")
def _retry_counter_ok(card_ctx, evidence):
    card_ctx.attach(evidence, identity=True)
    evidence.check(card_ctx.result)


@when("the harness sends a deliberately wrong PIN to a scratch virtual card of the same type")
def _wrong_pin(card_ctx):
    card_ctx.result = sc.wrong_pin_demonstration(card_ctx.session)


@then("the wrong PIN is refused and costs exactly one try, without locking the card")
def _wrong_pin_ok(card_ctx, evidence):
    card_ctx.attach(evidence)
    evidence.check(card_ctx.result)


# --- UC-5 ---------------------------------------------------------------------------------

@when("the harness lists the certificates of the card's PKCS#11 token")
def _list_pkcs11(card_ctx):
    card_ctx.result = sc.logon_certificates_pkcs11(card_ctx.session)


@when("the harness reads the certificates over the card edge")
def _list_edge(card_ctx):
    card_ctx.result = sc.logon_certificates_card_edge(card_ctx.session)


@then("exactly one certificate has the Smart Card Logon EKU, and it is in slot 9A")
def _one_logon(card_ctx, evidence):
    card_ctx.attach(evidence, identity=card_ctx.session.backend.uses_pcsc, certificates=card_ctx.certificates())
    evidence.check(card_ctx.result)


# --- UC-6 ---------------------------------------------------------------------------------

@when("the card signs a fresh random challenge through PKCS#11")
def _sign_pkcs11(card_ctx):
    card_ctx.result = sc.possession_pkcs11(card_ctx.session)


@when("the card signs a fresh random challenge over its card edge")
def _sign_edge(card_ctx):
    card_ctx.result = sc.possession_card_edge(card_ctx.session)


@then("the signature verifies with the logon certificate's public key")
def _signature_ok(card_ctx, evidence):
    card_ctx.attach(evidence, certificates=card_ctx.certificates())
    evidence.check(card_ctx.result)


# --- CARD-4 -------------------------------------------------------------------------------

@when("the harness opens a second session while the logged-in session is open")
def _shared_pkcs11(card_ctx):
    card_ctx.result = sc.shared_access_pkcs11(card_ctx.session)


@when("the harness opens two shared PC/SC connections to the card and signs through PKCS#11 meanwhile")
def _shared_pcsc(card_ctx):
    card_ctx.result = sc.shared_access_pcsc(card_ctx.session)


@then("both sessions keep working")
def _shared_ok(card_ctx, evidence):
    card_ctx.attach(evidence)
    evidence.check(card_ctx.result)
