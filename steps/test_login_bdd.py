"""Step glue for features/login: each step calls one function of wscard.login and hands
the result to ``evidence.check``. The flow (a model of the documented client) is
attached step by step, as text and as JSON."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from wscard.login import checks as lc
from wscard.login import session_limit as sl

from .glue import check_per_baseline

scenarios("login")


def _attach(evidence, run) -> None:
    evidence.attach_text(f"Model client: {run.label}, attempt {run.attempt} (step by step)", run.text())
    evidence.attach_json(f"Model client: {run.label}, attempt {run.attempt} (evidence)", run.as_evidence())
    if run.api_calls:
        evidence.attach_json(f"AWS API calls of attempt {run.attempt}", run.api_calls)


# --- the environment's sign-in -------------------------------------------------------------

@given("the model of the WorkSpaces client on this environment", target_fixture="sign_in")
def _model(environment_login, login_directory, request, evidence):
    login_directory.request = request  # the Windows logon reads the domain in this scenario
    evidence.attach_json("The model client and what it talks to", environment_login.describe())
    return environment_login


@when("the user opens the client and enters the registration code")
@when("the user signs in with the smart card")
def _sign_in(sign_in, evidence):
    _attach(evidence, sign_in.first())


@when("the user closes and reopens the client and tries again")
def _reopen(sign_in, evidence):
    _attach(evidence, sign_in.reopened())


@then('"Insert your smart card" appears: the directory has smart card authentication enabled and the client is '
      'eligible')
def _offered(sign_in, profile, evidence):
    check_per_baseline(evidence, lc.check_offer(sign_in.first(), profile.profile.baseline))


@then("the certificate is chosen, the PIN unlocks the card, the directory accepts the certificate, and the "
      "WorkSpace starts after the second PIN prompt")
def _signed_in(sign_in, evidence):
    evidence.check(lc.check_sign_in(sign_in.first()))


@then("the card is not locked, a wrong PIN cost at most one try, and no PIN was sent again after a wrong one")
def _retry(sign_in, evidence):
    evidence.check(lc.check_retry(sign_in.first(), sign_in.reopened()))


# --- model cases on scratch worlds -----------------------------------------------------------

@given(parsers.parse("a scratch model world in which {case}"), target_fixture="model")
def _scratch_world(model_worlds, case, evidence):
    why = model_worlds.unavailable()
    if why:
        pytest.skip(why)
    setup = model_worlds.prepare(case)
    evidence.attach_json("Scratch model world", setup.describe())
    return setup


@when("the user signs in with the model client in that world", target_fixture="first_run")
def _model_sign_in(model, evidence):
    run = model.client.run(model.inputs, attempt=1)
    _attach(evidence, run)
    return run


@when("the user closes and reopens the model client and tries again", target_fixture="reopened_run")
def _model_reopen(model, evidence):
    run = model.client.run(model.inputs, attempt=2)
    _attach(evidence, run)
    return run


@when("the user closes and reopens the model client and enters the right registration code",
      target_fixture="reopened_run")
def _model_reopen_right_code(model, evidence):
    run = model.client.run(model.right_inputs, attempt=2)
    _attach(evidence, run)
    return run


@then(parsers.parse('the sign-in stops at "{step}" with the documented message "{message}"'))
def _stops(first_run, step, message, evidence):
    evidence.check(lc.expect_stop(first_run, step, message))


@then(parsers.parse("the card's PIN retry counter is {counter}"))
def _counter(first_run, counter, evidence):
    evidence.check(lc.expect_counter(first_run, counter))


@then("the failed sign-in cost no PIN try and the reopened client signs in")
def _retry_before_pin(first_run, reopened_run, evidence):
    evidence.check(lc.check_retry(first_run, reopened_run, reopened_must_sign_in=True))


@then("the wrong PIN cost exactly one try, the card is not locked, and no second PIN was sent")
def _retry_after_wrong_pin(first_run, reopened_run, evidence):
    evidence.check(lc.check_retry(first_run, reopened_run))


# --- SESSION-8 -------------------------------------------------------------------------------

@given("the Active Directory domain behind the AD Connector, as the AD area reads it", target_fixture="domain")
def _domain(ad_session, evidence):
    evidence.attach_json("Directory under test", ad_session.describe())
    return ad_session


@when("the harness asks the domain's KDC for a service ticket and reads its lifetime", target_fixture="lifetimes")
def _measure(domain, evidence):
    reading = sl.read_from_domain(domain)
    evidence.attach_text("Session limit (Kerberos ticket lifetimes)", reading.text())
    return reading


@when("the profile has no domain the harness can read", target_fixture="lifetimes")
def _no_domain(profile, evidence):
    from .ad_plugin import skip_reason

    reading = sl.documented_default(skip_reason(profile))  # not applicable when the profile has a domain
    evidence.attach_text("Session limit (Kerberos ticket lifetimes)", reading.text())
    return reading


@then("the maximum service ticket lifetime is reported, with a warning if it is shorter than a working day")
@then("the documented maximum service ticket lifetime is reported")
def _reported(lifetimes, profile, evidence):
    evidence.check(sl.check_session_limit(lifetimes, profile.login.session_hours_needed))
