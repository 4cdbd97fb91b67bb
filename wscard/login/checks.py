"""LOGIN-1..LOGIN-3 judged from runs of the model client (:mod:`wscard.login.flow`).

Each requirement speaks for its own part of the flow, so that one broken thing fails
one LOGIN requirement (beside the requirement of the rule itself):

* LOGIN-1: after the registration code, "Insert your smart card" is offered (the code
  resolves, smart card authentication is enabled, the client is eligible). Judged under
  every baseline; the eligibility rules are the CLIENT, REGION and WSP checks'.
* LOGIN-2: the certificate is chosen, the PIN unlocks the card, the directory accepts
  the certificate, the second PIN prompt passes, the session starts. Skipped when the
  offer failed (see LOGIN-1) or when the flow stopped on something another requirement
  judges before any sign-in could be tried (no single card: CARD-2; the PIN not sent:
  CARD-3).
* LOGIN-3: a failed sign-in leaves the card unlocked and can be retried after reopening
  the client: a flow that failed before the PIN costs no try; a wrong PIN costs
  exactly one; the reopened client sends no PIN after a wrong one (the harness stops)
  and does not change the counter; the card is not locked afterwards.
"""

from __future__ import annotations

from typing import Any

from ..checks import CheckResult, Status
from ..limits import judged_under_each_baseline
from ..requirements import default_fix
from ..card_login import CardLoginStatus
from .flow import MESSAGE_NOT_OFFERED, MESSAGE_RETRY, STEPS, FlowOutcome, FlowRun, StepStatus

def _flow_evidence(run: FlowRun) -> dict[str, Any]:
    return run.as_evidence()


def _new(rid: str, run: FlowRun) -> CheckResult:
    r = CheckResult(rid)
    r.evidence["flow"] = _flow_evidence(run)
    return r


def _fix(run: FlowRun, default: str) -> str:
    fixes = [f for f in map(default_fix, run.see) if f]
    return " ".join(dict.fromkeys(fixes)) or default


# --- LOGIN-1 -------------------------------------------------------------------------------

def check_offer(run: FlowRun, baseline: str) -> CheckResult:
    """LOGIN-1, under every baseline (the client's eligibility depends on it)."""
    return judged_under_each_baseline(lambda b: _offer(run, b), baseline)


def _baseline_status(result: CheckResult, baseline: str) -> tuple[Status, list[str]]:
    """The result's status and rendered findings under ``baseline`` (its ``by_baseline``
    when it was judged under each, else its own)."""
    judged = result.by_baseline.get(baseline)
    if judged is not None:
        return judged.status, list(judged.findings)
    return result.status, [f.render() for f in result.findings]


def _offer(run: FlowRun, baseline: str) -> CheckResult:
    r = _new("LOGIN-1", run)
    if run.outcome is FlowOutcome.NOT_USED:
        return r.skip(run.reason)
    code = run.inputs.registration_code
    if run.stopped_at == "register":
        r.fail(f"registration code {code!r}" if code else "the user's registration code",
               f'"Insert your smart card" does not appear: {run.reason}. The client says: "{run.message}"',
               _fix(run, "Enter the registration code the WorkSpaces administrator handed out "
                         "(DescribeWorkspaceDirectories shows it as RegistrationCode; [login].registration_code)."))
        return r
    offer = run.steps["offer"]
    if offer.status is StepStatus.NOT_REACHED:
        return r.skip("the flow did not reach the login page")
    ineligible = []
    for res in run.eligibility:
        status, findings = _baseline_status(res, baseline)
        r.evidence.setdefault("eligibility", {})[res.requirement] = status.value
        if status is Status.FAILED:
            ineligible.append((res.requirement, findings))
    where = f"directory {run.directory_id} (registration code {code})"
    for text in run.offer_blockers:
        r.fail(where, f'"Insert your smart card" does not appear: {text}. The client says: "{MESSAGE_NOT_OFFERED}"',
               _fix(run, "Create a WorkSpace for the user in the directory, or name the right user in [login].user."))
    for rid, findings in ineligible:
        r.fail(f"the client of user {run.inputs.user} ({where})",
               f'"Insert your smart card" does not appear: the client is not eligible ({rid}: '
               f'{" ".join(findings)}). The client says: "{MESSAGE_NOT_OFFERED}"',
               f"See {rid}.")
    return r


# --- LOGIN-2 -------------------------------------------------------------------------------

def check_sign_in(run: FlowRun) -> CheckResult:
    """LOGIN-2: the rest of the flow, from the certificate to the started session."""
    r = _new("LOGIN-2", run)
    r.evidence["pin_prompts"] = [p.as_evidence() for p in run.prompts]
    if run.outcome is FlowOutcome.NOT_USED:
        return r.skip(run.reason)
    if run.requirement == "LOGIN-1" or not run.offered:
        return r.skip('the sign-in was not offered ("Insert your smart card" did not appear): see LOGIN-1')
    if run.outcome is FlowOutcome.STOPPED:
        return r.skip(f"{run.reason} (see {', '.join(run.see)})")
    if run.signed_in:
        return r
    step = STEPS[run.stopped_at]
    r.fail(f"the sign-in of user {run.inputs.user} with certificate "
           f"{(run.decision.certificate if run.decision else '') or 'from the card'}",
           f"fails at step {step[0]} ({step[1]}): {run.reason}. The client says: \"{run.message}\"",
           _fix(run, "See the attached flow."))
    return r


# --- LOGIN-3 -------------------------------------------------------------------------------

def _tries_end(run: FlowRun) -> int | None:
    if run.tries_at_end is not None:
        return run.tries_at_end
    for p in reversed(run.prompts):
        if p.tries_after is not None:
            return p.tries_after
        if p.status in (CardLoginStatus.REFUSED, CardLoginStatus.LOCKED) and p.tries_before is not None:
            return p.tries_before
    return None


def check_retry(first: FlowRun, reopened: FlowRun, *, reopened_must_sign_in: bool = False) -> CheckResult:
    """LOGIN-3 from a run of the flow and a second run in a reopened client."""
    r = _new("LOGIN-3", first)
    r.evidence["reopened_flow"] = _flow_evidence(reopened)
    if first.outcome is FlowOutcome.NOT_USED:
        return r.skip(first.reason)
    card = f"card {first.card or '(no token)'}"
    wrong = next((p for p in first.prompts if p.status is CardLoginStatus.WRONG_PIN), None)
    end = _tries_end(first)
    summary = {"first_outcome": first.outcome, "first_stopped_at": first.stopped_at and STEPS[first.stopped_at][1],
               "pins_sent_by_the_first_run": first.pins_sent, "pins_sent_by_the_reopened_run": reopened.pins_sent,
               "pin_tries": {"first_run_start": first.tries_at_start, "first_run_end": end,
                             "reopened_run_start": reopened.tries_at_start, "reopened_run_end": reopened.tries_at_end},
               "reopened_outcome": reopened.outcome}
    r.evidence["retry"] = summary
    if end == 0 or any(p.status is CardLoginStatus.LOCKED for p in first.prompts):
        r.fail(card, "the card is locked (0 PIN tries left) after the sign-in: reopening the client and trying again "
                     "cannot succeed",
               "Unblock the PIN with the PUK or the card management system; a sign-in must never be attempted with "
               "a card one wrong PIN from locking.")
        return r
    if wrong is not None:
        cost = (wrong.tries_before - wrong.tries_after) if None not in (wrong.tries_before, wrong.tries_after) else None
        if cost is None:
            r.fail(card, "a wrong PIN was entered and the retry counter could not be read before and after it",
                   "Use a card that reports its PIN retry counter (VERIFY without data).")
        elif cost != 1:
            r.fail(card, f"a wrong PIN cost {cost} tries ({wrong.tries_before} -> {wrong.tries_after}), not exactly one",
                   "Check the middleware: one PIN entry must be sent to the card once.")
        if reopened.pins_sent:
            r.fail(card, f"after the wrong PIN, the reopened client sent {reopened.pins_sent} more PIN(s) to the card",
                   "The harness must stop after a wrong PIN (hardware.pin.PinGuard).")
    elif not first.reached_pin and first.pins_sent == 0 and None not in (first.tries_at_start, first.tries_at_end) \
            and first.tries_at_start != first.tries_at_end:
        r.fail(card, f"the sign-in failed before the PIN prompt, yet the retry counter changed "
                     f"({first.tries_at_start} -> {first.tries_at_end})",
               "Nothing may be sent to the card before the user enters the PIN.")
    if reopened.pins_sent == 0 and None not in (reopened.tries_at_start, reopened.tries_at_end) \
            and reopened.tries_at_start != reopened.tries_at_end:
        r.fail(card, f"the reopened client changed the retry counter without sending a PIN "
                     f"({reopened.tries_at_start} -> {reopened.tries_at_end})", "See the attached flows.")
    if not first.signed_in and reopened.outcome not in (FlowOutcome.SIGNED_IN, first.outcome):
        r.fail(card, f"the reopened client ends differently ({reopened.outcome} at "
                     f"{reopened.stopped_at and STEPS[reopened.stopped_at][1]}) from the first attempt "
                     f"({first.outcome} at {first.stopped_at and STEPS[first.stopped_at][1]}): the retry is not the "
                     "same sign-in", "See the attached flows.")
    if reopened_must_sign_in and not reopened.signed_in:
        r.fail(card, f"the reopened client did not sign in: {reopened.reason}", "See the attached flows.")
    r.evidence["documented_advice"] = MESSAGE_RETRY
    return r


# --- model cases ---------------------------------------------------------------------------

def expect_stop(run: FlowRun, step_label: str, message: str) -> CheckResult:
    """A model case reproduces the documented behaviour: the flow stops at the step
    whose title contains ``step_label`` and the client shows ``message``."""
    r = CheckResult(run.requirement or "LOGIN-2")
    r.evidence["flow"] = _flow_evidence(run)
    if run.signed_in or not run.stopped_at:
        r.fail(run.label, f"the model client {run.outcome or 'ended'} instead of stopping at '{step_label}'",
               "The model case does not break what it says it breaks.")
        return r
    title = STEPS[run.stopped_at][1]
    if step_label.lower() not in title.lower():
        r.fail(run.label, f"the model client stopped at step {STEPS[run.stopped_at][0]} ({title}), not at "
                          f"'{step_label}': {run.reason}", "See the attached flow.")
    if message.lower() not in run.message.lower():
        r.fail(run.label, f"the client shows {run.message!r}, which does not contain {message!r}",
               "See the documented messages (S-CLIENT).")
    return r


def expect_counter(run: FlowRun, expected: str) -> CheckResult:
    """The retry counter after a model case: ``unchanged`` or ``one try lower``."""
    r = CheckResult("LOGIN-3")
    start, end = run.tries_at_start, _tries_end(run)
    r.evidence.update({"pin_tries_at_start": start, "pin_tries_at_end": end, "pins_sent": run.pins_sent})
    if start is None or end is None:
        r.fail(run.label, "the retry counter could not be read before and after the sign-in",
               "Model cases run on scratch SoftHSM cards, whose counter the backend keeps.")
        return r
    want = {"unchanged": start, "one try lower": start - 1}.get(expected)
    if want is None:
        raise ValueError(f"unknown expectation {expected!r}: 'unchanged' or 'one try lower'")
    if end != want:
        r.fail(run.label, f"the retry counter went from {start} to {end}, expected {expected}",
               "See the attached flow.")
    return r
