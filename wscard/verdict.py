"""The verdict model: one definition of what a scenario's outcome and a requirement's
verdict are, and what a run's exit code says. The summary, the terminal table, the Allure
report, JUnit XML and the exit code all come from here (docs/verdicts.md).

A verdict is never more reassuring than its evidence:

* a requirement is ``passed`` only when every selected scenario of it ran and passed;
* ``failed`` means a scenario found a non-compliance (never an environment problem or a
  harness error);
* ``not evaluated`` means none of its selected scenarios reached a verdict (skipped, the
  environment could not be examined, the harness failed, or the run stopped first);
* ``partially evaluated`` means some reached a verdict and some did not: never ``passed``.

Never imports pytest.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable

from .checks import CheckResult, Status


class Outcome(str, enum.Enum):
    """How one scenario ended."""

    PASSED = "passed"
    #: ran and passed, with a warning the report must show (a recommendation not met).
    WARNING = "warning"
    #: a non-compliance: the environment breaks the documented rule.
    FAILED = "failed"
    #: the check could not be judged here (no reader, a precondition that failed
    #: elsewhere, a setting that makes it not apply); the reason says which.
    SKIPPED = "skipped"
    #: the environment could not be examined (no pcscd, responder down, AWS unreachable).
    ENVIRONMENT = "environment problem"
    #: the harness itself failed (a bug: an unexpected exception).
    ERROR = "harness error"
    #: selected, but the run ended before it ran (interrupted, ``-x``).
    NOT_RUN = "not run"
    #: the scenario checks a variant this environment does not have, as the profile
    #: declares it (no Linux WorkSpace; a PC/SC card counted by another scenario); the
    #: reason names the scenario or setting that covers the requirement instead.
    NOT_APPLICABLE = "not applicable"

    @property
    def reached_verdict(self) -> bool:
        return self in (Outcome.PASSED, Outcome.WARNING, Outcome.FAILED)


#: The scenario outcome each check status stands for (a skip that does not apply is
#: ``not applicable``: :func:`outcome_of`).
_STATUS_OUTCOME = {
    Status.PASSED: Outcome.PASSED,
    Status.WARNING: Outcome.WARNING,
    Status.FAILED: Outcome.FAILED,
    Status.SKIPPED: Outcome.SKIPPED,
}


def outcome_of(result: CheckResult) -> Outcome:
    """The scenario outcome a :class:`~wscard.checks.CheckResult` stands for when its
    check is the whole scenario (the fleet audit): its status, except that a skip whose
    check does not apply (``result.applies`` False) is ``not applicable``. The pytest glue
    reaches the same outcomes through :func:`~wscard.checks.enforce` and its exceptions."""
    if result.status is Status.SKIPPED and not result.applies:
        return Outcome.NOT_APPLICABLE
    return _STATUS_OUTCOME[result.status]


class Verdict(str, enum.Enum):
    """A requirement's verdict over the scenarios of it that a run selected."""

    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"
    PARTIAL = "partially evaluated"
    NOT_EVALUATED = "not evaluated"
    #: every selected scenario was not applicable to the environment the profile declares.
    NOT_APPLICABLE = "not applicable"

    @property
    def is_assurance(self) -> bool:
        """True for the verdicts that say the requirement holds (``passed``, ``warning``)."""
        return self in (Verdict.PASSED, Verdict.WARNING)


class ExitCode(enum.IntEnum):
    """Exit codes of ``wscard check``, ``./harness check`` and plain ``pytest`` on the
    features. 2, 3, 4 and 5 keep pytest's meanings."""

    #: every selected requirement passed (warnings allowed).
    COMPLIANT = 0
    #: at least one requirement failed: a non-compliance was found.
    NON_COMPLIANT = 1
    #: the run was interrupted (Ctrl-C, SIGINT): the summary says so.
    INTERRUPTED = 2
    #: the harness failed (a scenario ended with a harness error, or the report could not be
    #: written) and nothing was found non-compliant.
    HARNESS_ERROR = 3
    #: the command line or the profile is wrong (the message names it).
    USAGE_ERROR = 4
    #: the run selected no scenario.
    NOTHING_SELECTED = 5
    #: nothing non-compliant, but something selected could not be checked.
    NOT_FULLY_EVALUATED = 6


EXIT_MEANINGS = {
    ExitCode.COMPLIANT: "compliant: every selected requirement passed (warnings allowed)",
    ExitCode.NON_COMPLIANT: "non-compliant: at least one requirement failed",
    ExitCode.INTERRUPTED: "interrupted: the run did not finish",
    ExitCode.HARNESS_ERROR: "harness error: the harness failed; nothing was found non-compliant",
    ExitCode.USAGE_ERROR: "usage error: the command line or the profile is wrong",
    ExitCode.NOTHING_SELECTED: "nothing selected: the run selected no scenario",
    ExitCode.NOT_FULLY_EVALUATED: "not fully evaluated: nothing non-compliant, but something selected could not be checked",
}


@dataclass
class RequirementVerdict:
    """One requirement's verdict with the counts it rests on.

    ``counts`` maps each :class:`Outcome` value to the number of the requirement's selected
    scenarios that ended so; ``reasons`` are the messages of the scenarios that did not pass
    (problem first, with the fix where the check gave one).
    """

    verdict: Verdict
    selected: int
    counts: dict[str, int]
    reasons: list[str] = field(default_factory=list)


def requirement_verdict(outcomes: Iterable[Outcome | str], reasons: Iterable[str] = ()) -> RequirementVerdict:
    """The verdict of a requirement from the outcomes of its selected scenarios.

    ``failed`` if any scenario failed; scenarios that are not applicable are left out, and
    if all are, ``not applicable``; else ``not evaluated`` if none reached a verdict; else
    ``partially evaluated`` if some did not; else ``warning`` if any warned; else
    ``passed``. An empty list is ``not evaluated`` (nothing selected checks it).
    """
    all_outs = [Outcome(o) for o in outcomes]
    counts = {o.value: 0 for o in Outcome}
    for o in all_outs:
        counts[o.value] += 1
    outs = [o for o in all_outs if o is not Outcome.NOT_APPLICABLE]
    reached = [o for o in outs if o.reached_verdict]
    if counts[Outcome.FAILED.value]:
        v = Verdict.FAILED
    elif all_outs and not outs:
        v = Verdict.NOT_APPLICABLE
    elif not reached:
        v = Verdict.NOT_EVALUATED
    elif len(reached) < len(outs):
        v = Verdict.PARTIAL
    elif counts[Outcome.WARNING.value]:
        v = Verdict.WARNING
    else:
        v = Verdict.PASSED
    return RequirementVerdict(v, len(all_outs), {k: n for k, n in counts.items() if n}, list(dict.fromkeys(reasons)))


def run_exit_code(verdicts: Iterable[Verdict | str], outcomes: Iterable[Outcome | str], *,
                  interrupted: bool = False) -> ExitCode:
    """The run's exit code from its requirement verdicts and scenario outcomes.

    Precedence: interrupted; any requirement failed (non-compliant); any scenario ended with
    a harness error; any requirement not (fully) evaluated; nothing selected; compliant.
    """
    vs = [Verdict(v) for v in verdicts]
    outs = [Outcome(o) for o in outcomes]
    if interrupted:
        return ExitCode.INTERRUPTED
    if Verdict.FAILED in vs:
        return ExitCode.NON_COMPLIANT
    if Outcome.ERROR in outs:
        return ExitCode.HARNESS_ERROR
    if any(v in (Verdict.NOT_EVALUATED, Verdict.PARTIAL) for v in vs):
        return ExitCode.NOT_FULLY_EVALUATED
    if not vs:
        return ExitCode.NOTHING_SELECTED
    return ExitCode.COMPLIANT


#: Allure's status for each outcome (Allure has passed, failed, broken, skipped, unknown).
#: A warning stays "passed" in Allure's status and is shown as a warning by its
#: statusDetails message, its "warning" tag and the "Warnings" category.
ALLURE_STATUS = {
    Outcome.PASSED: "passed",
    Outcome.WARNING: "passed",
    Outcome.FAILED: "failed",
    Outcome.SKIPPED: "skipped",
    Outcome.ENVIRONMENT: "broken",
    Outcome.ERROR: "broken",
    Outcome.NOT_RUN: "skipped",
    Outcome.NOT_APPLICABLE: "skipped",
}

#: How a skip that means "not applicable" begins its reason, for readers of the report (the
#: verdict comes from the skip's type, steps/harness_plugin.NotApplicable, not this text).
NOT_APPLICABLE_PREFIX = "not applicable: "
