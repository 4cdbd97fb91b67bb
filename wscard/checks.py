"""The result of a compliance check, independent of any test framework.

A check function returns a :class:`CheckResult`. The step glue hands it to
:func:`enforce`, which raises :class:`~wscard.errors.NonCompliance` for a failure and
returns the warnings for the report. The message of a failure always says *what* is
wrong (which object, which rule) and *how to fix it*.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterable

from .errors import NonCompliance


class Status(str, enum.Enum):
    """What one check found (:attr:`CheckResult.status`); the plug-in turns it into the
    scenario's outcome (wscard.verdict.Outcome) and the verdict model into the requirement's
    verdict (docs/verdicts.md)."""

    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class Finding:
    """One problem found by a check: the object, the rule it breaks, the fix."""

    subject: str
    problem: str
    fix: str = ""
    severity: Status = Status.FAILED

    def render(self) -> str:
        text = f"{self.subject}: {self.problem}"
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


@dataclass(frozen=True)
class BaselineVerdict:
    """What one check found under one baseline (wscard.limits.judged_under_each_baseline):
    its status, its findings rendered as the report shows them, and the skip reason."""

    status: Status
    findings: tuple[str, ...] = ()
    skipped_because: str | None = None

    @classmethod
    def of(cls, result: "CheckResult") -> "BaselineVerdict":
        return cls(result.status, tuple(f.render() for f in result.findings), result.skipped_because)

    def as_evidence(self) -> dict[str, Any]:
        """JSON for the report: ``{"status": "failed", "findings": [...], "skipped_because": ...}``."""
        return {"status": self.status.value, "findings": list(self.findings),
                **({"skipped_because": self.skipped_because} if self.skipped_because else {})}


@dataclass
class CheckResult:
    """Outcome of one check against one environment.

    ``CheckResult("CA-3")`` takes the requirement's title from the catalogue
    (:func:`wscard.requirements.requirement_title`, one title per requirement); a result
    that is not a requirement's (``"procedure"``) names its own title."""

    requirement: str
    title: str = ""
    findings: list[Finding] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    skipped_because: str | None = None
    #: False when the check does not apply to the environment the profile declares
    #: (:meth:`not_applicable`); a skip otherwise means "could not be judged".
    applies: bool = True
    #: The verdict under every baseline, when the check was judged under each
    #: (wscard.limits.judged_under_each_baseline); empty otherwise.
    by_baseline: dict[str, BaselineVerdict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.title:
            from .requirements import requirement_title

            self.title = requirement_title(self.requirement)

    @property
    def status(self) -> Status:
        """FAILED when any finding is a failure, even if part of the check could not be
        judged (a non-compliance found stays found: a merged result whose other part was
        skipped once read SKIPPED, and the requirement "not evaluated" instead of
        "failed"); else SKIPPED when a reason is set; else WARNING or PASSED."""
        if any(f.severity is Status.FAILED for f in self.findings):
            return Status.FAILED
        if self.skipped_because:
            return Status.SKIPPED
        if any(f.severity is Status.WARNING for f in self.findings):
            return Status.WARNING
        return Status.PASSED

    def fail(self, subject: str, problem: str, fix: str = "") -> None:
        self.findings.append(Finding(subject, problem, fix, Status.FAILED))

    def warn(self, subject: str, problem: str, fix: str = "") -> None:
        self.findings.append(Finding(subject, problem, fix, Status.WARNING))

    def skip(self, reason: str) -> "CheckResult":
        """The check cannot be judged here (the requirement ends ``not evaluated`` unless
        another scenario judges it); ``reason`` says why and what would let it run."""
        self.skipped_because = reason
        return self

    def not_applicable(self, reason: str) -> "CheckResult":
        """The check covers a variant this environment does not have, as the profile
        declares it; ``reason`` names what covers the requirement instead. Use only where
        another scenario (or the profile's declared scope) settles the requirement: a
        requirement all of whose scenarios are not applicable is ``not applicable``."""
        self.skipped_because = reason
        self.applies = False
        return self

    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Status.FAILED]

    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Status.WARNING]

    def message(self) -> str:
        lines = [f"{NonCompliance.PREFIX} [{self.requirement}] {self.title}"]
        lines += [f"  - {f.render()}" for f in self.failures()]
        return "\n".join(lines)


class CheckSkipped(Exception):
    """A check cannot be judged here (its precondition is another requirement's failure,
    or the environment lacks what it needs), or does not apply (``applies`` False). The
    glue turns it into a pytest skip."""

    def __init__(self, message: str, applies: bool = True):
        super().__init__(message)
        self.applies = applies


def enforce(result: CheckResult) -> list[Finding]:
    """Raise NonCompliance on failure, CheckSkipped when skipped; return warnings."""
    status = result.status
    if status is Status.SKIPPED:
        raise CheckSkipped(f"[{result.requirement}] {result.title}: {result.skipped_because}", result.applies)
    if status is Status.FAILED:
        raise NonCompliance(result.message())
    return result.warnings()


def merge(requirement: str, title: str = "", results: Iterable[CheckResult] = ()) -> CheckResult:
    """Combine several results of the same requirement into one, under ``title`` (the
    catalogue's title of ``requirement`` by default): every finding and all evidence; the
    first skip reason, which makes the whole skipped unless a finding is a failure
    (:attr:`CheckResult.status`)."""
    out = CheckResult(requirement, title)
    for r in results:
        out.findings += r.findings
        out.evidence.update(r.evidence)
        if r.skipped_because and not out.skipped_because:
            out.skipped_because = r.skipped_because
            out.applies = r.applies
    return out
