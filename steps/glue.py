"""Plain helpers of the step modules (no steps, no fixtures: those shared by several
areas are in ``steps/conftest.py``)."""

from __future__ import annotations

from typing import Any, TypeVar

from wscard.checks import CheckResult
from wscard.limits import baselines_table

T = TypeVar("T")


def shown(evidence: Any, title: str, description: Any, thing: T) -> T:
    """``thing``, after attaching ``description`` (JSON-able) to the scenario's evidence
    as ``title``: what a "Given <the thing> under test" step returns."""
    evidence.attach_json(title, description)
    return thing


def check_per_baseline(evidence, result: CheckResult) -> CheckResult:
    """Attach the verdict under each baseline side by side, then judge the result."""
    table = baselines_table(result)
    if table:
        title = "Verdict under each baseline" + (" (they disagree)" if result.evidence.get("baselines_disagree") else "")
        evidence.attach_text(title, table)
    return evidence.check(result)
