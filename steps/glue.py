"""Plain helpers of the step modules (no steps, no fixtures: those shared by several
areas are in ``steps/conftest.py``)."""

from __future__ import annotations

from typing import Any, TypeVar

from wscard.checks import CheckResult

T = TypeVar("T")


def shown(evidence: Any, title: str, description: Any, thing: T) -> T:
    """``thing``, after attaching ``description`` (JSON-able) to the scenario's evidence
    as ``title``: what a "Given <the thing> under test" step returns."""
    evidence.attach_json(title, description)
    return thing


def baselines_table(result: CheckResult) -> str | None:
    """A text table of the result's verdict under each baseline (None if not judged per baseline)."""
    if not result.by_baseline:
        return None
    selected = result.evidence.get("selected_baseline", "")
    lines = [f"{'baseline':<24} {'verdict':<9} findings"]
    for name, v in result.by_baseline.items():
        mark = " (selected)" if name == selected else ""
        found = "; ".join(v.findings) or v.skipped_because or "-"
        lines.append(f"{name + mark:<24} {v.status.value:<9} {found}")
    if result.evidence.get("baselines_disagree"):
        lines.append("The baselines disagree here: the verdict follows the selected baseline.")
    from wscard.limits import unconfirmed

    flagged = unconfirmed("current")
    if flagged:
        lines.append("Values of the current baseline not confirmed in their page on the date read "
                     "(wscard/data/limits.toml):")
        lines += [f"  {f['fact']}: {f['not_confirmed']}" for f in flagged]
    return "\n".join(lines)


def check_per_baseline(evidence, result: CheckResult) -> CheckResult:
    """Attach the verdict under each baseline side by side, then judge the result."""
    table = baselines_table(result)
    if table:
        title = "Verdict under each baseline" + (" (they disagree)" if result.evidence.get("baselines_disagree") else "")
        evidence.attach_text(title, table)
    return evidence.check(result)
