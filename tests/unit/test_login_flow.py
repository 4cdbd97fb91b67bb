"""The model of the documented client's pre-session sign-in (wscard.login), on scratch
model worlds in an in-process moto: each documented failure stops where the user guide
says, the PIN goes to the card once across the two prompts, a wrong PIN costs exactly
one try and the harness stops, and the LOGIN checks judge the runs."""

from __future__ import annotations

import dataclasses

import pytest

from hardware.pin import PinGuard
from wscard.checks import Status
from wscard.client.checks import ClientUnderTest
from wscard.login import checks as lc
from wscard.login.flow import (MESSAGE_NOT_OFFERED, MESSAGE_RETRY, MESSAGE_SIGNED_IN, MESSAGE_WRONG_CODE,
                               FlowInputs, resolve_registration_code)
from wscard.login.world import MODEL_CASES, ModelCard


#: case -> (outcome, step where it stops, LOGIN requirement, requirements of the rule, message)
EXPECTED = {
    "nothing is wrong": ("signed in", "", "", [], MESSAGE_SIGNED_IN),
    "the registration code is wrong": ("not offered", "register", "LOGIN-1", [], MESSAGE_WRONG_CODE),
    "smart card authentication is not enabled on the directory": ("not offered", "offer", "LOGIN-1", ["AUTH-3"],
                                                                  MESSAGE_NOT_OFFERED),
    "the Windows client is version 3.1.0": ("not offered", "offer", "LOGIN-1", ["CLIENT-1"], MESSAGE_NOT_OFFERED),
    "the client runs on 32-bit Windows": ("not offered", "offer", "LOGIN-1", ["CLIENT-2"], MESSAGE_NOT_OFFERED),
    "the user's WorkSpace streams with PCoIP": ("not offered", "offer", "LOGIN-1", ["WSP-1"], MESSAGE_NOT_OFFERED),
    "the issuing CA is not registered on the directory": ("failed", "directory", "LOGIN-2", ["CA-5"], MESSAGE_RETRY),
    "the user certificate is revoked": ("failed", "directory", "LOGIN-2", ["OCSP-6"], MESSAGE_RETRY),
    "the user enters a wrong PIN": ("failed", "pin", "LOGIN-2", ["CARD-3"], MESSAGE_RETRY),
    # settled (issue 14): the Windows client registers, then the session is refused
    "the directory denies Windows devices": ("failed", "starting", "LOGIN-2", ["WSP-3"], MESSAGE_RETRY),
    # the second PIN prompt is the Windows logon inside the WorkSpace
    "smart card redirection is off in the Windows WorkSpace": ("failed", "starting", "LOGIN-2", ["SESSION-9"],
                                                               MESSAGE_RETRY),
    "the Certificate Propagation service is set to Manual in the Windows WorkSpace": (
        "failed", "starting", "LOGIN-2", ["SESSION-10"], MESSAGE_RETRY),
    # settled (issue 14): SmartCardOrPassword still offers the card; AUTH-5 alone judges it
    "the directory allows smart card or password": ("signed in", "", "", [], MESSAGE_SIGNED_IN),
}


def test_every_model_case_has_an_expectation():
    assert set(EXPECTED) == set(MODEL_CASES)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_model_case_stops_where_the_user_guide_says(worlds, name):
    outcome, step, requirement, see, message = EXPECTED[name]
    setup = worlds.prepare(name)
    run = setup.client.run(setup.inputs)
    assert (run.outcome, run.stopped_at, run.requirement) == (outcome, step, requirement), run.text()
    assert run.see == see, run.text()
    assert run.message == message
    # every step up to the stop is recorded, nothing after it
    keys = list(run.steps)
    reached = [k for k in keys if run.steps[k].status != "not reached"]
    assert reached == keys[:len(reached)]
    if step:
        assert reached[-1] == step
    text = run.text()
    assert "MODEL" in text and "not the real client" in text


def test_the_pin_goes_to_the_card_once_across_both_prompts(worlds):
    card = ModelCard(worlds.pki.get("user-good"), PinGuard())
    setup = worlds.prepare("nothing is wrong")
    model = dataclasses.replace(setup.client, card=card)
    run = model.run(setup.inputs)
    assert run.signed_in, run.text()
    first, second = run.prompts
    assert first.pin_sent_to_card and first.status == "ok"
    assert not second.pin_sent_to_card and second.status == "ok"
    assert run.pins_sent == 1 and card.guard.pins_sent() == 1
    starting = run.steps["starting"].facts["second_use_of_the_card"]
    assert starting["verified"] and run.decision.proof["verified"]
    assert starting["challenge"] != run.decision.proof["challenge"]  # each challenge is fresh
    # a reopened client reuses the unlocked card: no PIN at all
    again = model.run(setup.inputs, attempt=2)
    assert again.signed_in and again.pins_sent == 0
    assert (run.tries_at_start, run.tries_at_end) == (3, 3)


def test_a_wrong_pin_costs_exactly_one_try_and_the_harness_stops(worlds):
    setup = worlds.prepare("the user enters a wrong PIN")
    first = setup.client.run(setup.inputs)
    reopened = setup.client.run(setup.inputs, attempt=2)
    assert (first.tries_at_start, first.tries_at_end, first.pins_sent) == (3, 2, 1)
    assert reopened.pins_sent == 0 and reopened.stopped_at == "pin" and reopened.tries_at_end == 2
    assert not first.steps["starting"].status == "done"  # the second prompt is never reached
    assert lc.check_retry(first, reopened).status is Status.PASSED
    result = lc.check_sign_in(first)
    assert result.status is Status.FAILED and "the card refused the PIN (2 tries left" in result.message()
    assert lc.expect_counter(first, "one try lower").status is Status.PASSED


def test_a_sign_in_failing_before_the_pin_costs_nothing_and_the_reopened_client_signs_in(worlds):
    setup = worlds.prepare("the registration code is wrong")
    card = ModelCard(worlds.pki.get("user-good"), PinGuard())
    model = dataclasses.replace(setup.client, card=card)
    first = model.run(setup.inputs)
    reopened = model.run(setup.right_inputs, attempt=2)
    assert first.pins_sent == 0 and first.tries_at_start == first.tries_at_end == 3
    assert reopened.signed_in
    assert lc.check_retry(first, reopened, reopened_must_sign_in=True).status is Status.PASSED
    assert lc.check_sign_in(first).status is Status.SKIPPED
    offer = lc.check_offer(first, "seed")
    assert offer.status is Status.FAILED and "verify that you've entered the correct registration code" in offer.message()


def test_a_locked_card_fails_login_3_and_skips_login_2(worlds):
    setup = worlds.prepare("nothing is wrong")
    card = ModelCard(worlds.pki.get("user-good"), PinGuard(), tries=3)
    card.tries = 0
    model = dataclasses.replace(setup.client, card=card)
    first = model.run(setup.inputs)
    reopened = model.run(setup.inputs, attempt=2)
    assert first.outcome == "stopped" and first.stopped_at == "pin" and first.pins_sent == 0
    assert lc.check_sign_in(first).status is Status.SKIPPED
    retry = lc.check_retry(first, reopened)
    assert retry.status is Status.FAILED and "the card is locked (0 PIN tries left)" in retry.message()


def test_a_try_counter_the_guard_cannot_read_stops_the_flow_without_a_verdict(worlds, monkeypatch):
    """The PIN guard sends no PIN when it cannot read the card's try counter: LOGIN-2 is
    not evaluated (stopped, as CARD-3 skips), never "failed" (the flow once failed it as
    "the PIN login failed": a non-compliance for what the harness declined to do)."""
    from wscard.card_login import CardLoginStatus
    from wscard.login.world import _Outcome

    setup = worlds.prepare("nothing is wrong")
    card = ModelCard(worlds.pki.get("user-good"), PinGuard())
    monkeypatch.setattr(card, "login", lambda where: _Outcome(
        CardLoginStatus.TRIES_UNKNOWN, "model", None, None, "the card's PIN try counter cannot be read", where))
    run = dataclasses.replace(setup.client, card=card).run(setup.inputs)
    assert run.outcome == "stopped" and run.stopped_at == "pin" and run.pins_sent == 0, run.text()
    result = lc.check_sign_in(run)
    assert result.status is Status.SKIPPED and "PIN not sent" in result.skipped_because


def test_reading_the_card_tells_no_card_from_a_harness_bug(worlds, monkeypatch):
    """No card (NoCard) or a counter the guard will not risk (TriesUnknown) is an
    observation ("", None tries): the flow goes on and says so. Anything else is the
    harness's own error and is raised, not turned into "tries unknown" (the flow used to
    swallow every exception there)."""
    from wscard.errors import NoCard, TriesUnknown

    setup = worlds.prepare("nothing is wrong")
    card = ModelCard(worlds.pki.get("user-good"), PinGuard())
    model = dataclasses.replace(setup.client, card=card)
    monkeypatch.setattr(card, "tries_left", lambda info=None: (_ for _ in ()).throw(TriesUnknown("63 0X")))
    assert model._observe() == (card.serial, None)
    monkeypatch.setattr(card, "card", lambda: (_ for _ in ()).throw(NoCard("two cards")))
    assert model._observe() == ("", None)
    monkeypatch.setattr(card, "card", lambda: card)
    monkeypatch.setattr(card, "tries_left", lambda info=None: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        model._observe()


def test_one_try_left_sends_no_pin_and_leaves_the_card_as_it_was(worlds):
    setup = worlds.prepare("nothing is wrong")
    card = ModelCard(worlds.pki.get("user-good"), PinGuard())
    card.tries = 1
    model = dataclasses.replace(setup.client, card=card)
    first = model.run(setup.inputs)
    assert first.outcome == "stopped" and "only 1 PIN try left" in first.reason
    assert first.tries_at_end == 1
    assert lc.check_retry(first, model.run(setup.inputs, attempt=2)).status is Status.PASSED


def _with_context(setup, **changes):
    """The case's model client with its login context changed (baseline, authentication...)."""
    return dataclasses.replace(setup.client, context=dataclasses.replace(setup.client.context, **changes))


def test_login_1_is_judged_under_each_baseline(worlds):
    setup = worlds.prepare("nothing is wrong")
    mac = ClientUnderTest("macos", "3.1.5", "arm64", "testuser")
    run = dataclasses.replace(_with_context(setup, baseline="seed"), client=mac).run(setup.inputs)
    assert run.outcome == "not offered" and "CLIENT-3" in run.see
    result = lc.check_offer(run, "seed")
    assert result.status is Status.FAILED
    assert result.evidence["baselines"]["admin-guide"]["status"] == "passed"
    assert result.evidence["baselines_disagree"]
    run = dataclasses.replace(_with_context(setup, baseline="admin-guide"), client=mac).run(setup.inputs)
    assert run.signed_in, run.text()


def test_no_pre_session_authentication_skips_every_login_check(worlds):
    setup = worlds.prepare("nothing is wrong")
    run = _with_context(setup, authentication=("in-session",)).run(setup.inputs)
    assert run.outcome == "not used"
    for r in (lc.check_offer(run, "seed"), lc.check_sign_in(run), lc.check_retry(run, run)):
        assert r.status is Status.SKIPPED


def test_a_user_without_a_workspace_is_not_offered(worlds):
    setup = worlds.prepare("nothing is wrong")
    run = setup.client.run(FlowInputs(setup.inputs.registration_code, "nobody"))
    assert run.outcome == "not offered" and "user nobody has no WorkSpace" in run.reason
    assert lc.check_offer(run, "seed").status is Status.FAILED


def test_the_registration_code_is_looked_up_over_every_page(worlds):
    setup = worlds.prepare("nothing is wrong")
    ws = worlds.env.client("workspaces", worlds.region)
    code = setup.right_inputs.registration_code
    found, listed = resolve_registration_code(ws, f"  {code.lower()} ")
    assert found is not None and found["DirectoryId"] == setup.directory_id and listed >= 1
    assert resolve_registration_code(ws, "WSpdx+NOSUCH")[0] is None
    assert resolve_registration_code(ws, "")[0] is None


def test_the_flow_makes_read_only_calls_only(worlds):
    setup = worlds.prepare("nothing is wrong")
    run = setup.client.run(setup.inputs)
    ops = {c["operation"] for c in run.api_calls}
    assert ops and all(op.startswith(("Describe", "List", "Get")) for op in ops), ops


def test_the_windows_logon_is_judged_on_the_windows_image_and_named_in_the_flow(worlds):
    setup = worlds.prepare("nothing is wrong")
    run = setup.client.run(setup.inputs)
    facts = run.steps["starting"].facts
    assert facts["device_access"]["value"] == "ALLOW"
    assert [r["requirement"] for r in facts["windows_logon"]] == ["SESSION-9", "SESSION-10", "UC-8"]
    assert all(r["status"] == "passed" for r in facts["windows_logon"])
    # without a Windows image the Windows logon is not modelled, and says so
    bare = dataclasses.replace(setup.client, windows_guest=None).run(setup.inputs)
    assert bare.signed_in and "not modelled" in bare.steps["starting"].facts["windows_logon"]
