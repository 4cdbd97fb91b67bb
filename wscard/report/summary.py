"""The run's summary (``compliance-summary.json`` in the run folder): per requirement its
verdict, the counts it rests on and the reasons, plus the run's identity. A documented,
versioned interface: ``schema_version`` and the JSON Schema
``wscard/data/summary.schema.json`` (docs/verdicts.md); CI and auditors read it without
Allure.

Verdicts come from :mod:`wscard.verdict` (the one definition). Never imports pytest.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..controls import summary_controls
from ..errors import NonCompliance
from ..requirements import catalogue, sort_key
from ..verdict import EXIT_MEANINGS, ExitCode, Outcome, Verdict, requirement_verdict

#: Bumped on any change a reader must know about (a key renamed or removed: major;
#: a key added: minor).
SCHEMA_VERSION = "2.1"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "summary.schema.json"


@dataclass
class ScenarioOutcome:
    """How one selected scenario ended (``outcome`` is an :class:`Outcome` value)."""

    nodeid: str
    name: str
    feature: str
    requirements: list[str]
    outcome: str
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    host: str = field(default_factory=socket.gethostname)
    #: Where a fleet audit's result was judged (``wscard fleet``; empty otherwise).
    account: str = ""
    region: str = ""
    directory: str = ""


def reason_line(message: str, limit: int = 240) -> str:
    """The line of a scenario's message that says what is wrong (and the fix): the first
    finding of a non-compliance, else the first non-empty line, without the prefixes."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if not lines:
        return ""
    first = lines[0]
    if first.startswith(NonCompliance.PREFIX) and len(lines) > 1:
        first = lines[1].lstrip("- ").strip()
    for prefix in ("Skipped: ", "Environment problem: "):
        first = first.removeprefix(prefix)
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _scenario_reason(sc: ScenarioOutcome) -> str:
    if sc.outcome == Outcome.WARNING.value:
        return f"warning: {reason_line('; '.join(sc.warnings))}"
    if sc.outcome in (Outcome.PASSED.value, Outcome.NOT_APPLICABLE.value):
        return ""
    return f"{sc.outcome}: {reason_line(sc.message)}"


def build(scenarios: list[ScenarioOutcome], *, profile: str, baseline: str, run: dict | None = None,
          extra: dict | None = None) -> dict:
    """The summary as a dict (schema :data:`SCHEMA_VERSION`).

    ``scenarios`` are the outcomes of every selected scenario (those that did not run
    included, as ``not run``); ``run`` is the run's identity (id, times, exit code,
    interruption, command, versions...), merged into the top level.
    """
    cat = catalogue()
    per_req: dict[str, list[ScenarioOutcome]] = {}
    for sc in scenarios:
        for rid in sc.requirements:
            per_req.setdefault(rid, []).append(sc)
    reqs = {}
    for rid in sorted(per_req, key=sort_key):
        scs = per_req[rid]
        rv = requirement_verdict((s.outcome for s in scs), (r for r in map(_scenario_reason, scs) if r))
        reqs[rid] = {
            "status": rv.verdict.value,
            "selected": rv.selected,
            "counts": rv.counts,
            "reasons": rv.reasons,
            "statement": cat[rid].statement if rid in cat else "",
            "source": cat[rid].url if rid in cat else "",
            **({"quote": cat[rid].quote, "quote_source": cat[rid].quote_source.url}
               if rid in cat and cat[rid].quote and cat[rid].quote_source else {}),
            "controls": summary_controls(rid),
            "scenarios": [
                {k: v for k, v in asdict(s).items() if k != "requirements" and v not in ("", [])} for s in scs
            ],
        }
    counts = {v.value: 0 for v in Verdict}
    for e in reqs.values():
        counts[e["status"]] += 1
    scenario_counts = {o.value: 0 for o in Outcome}
    for sc in scenarios:
        scenario_counts[sc.outcome] += 1
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    data.update(run or {})
    data.update({
        "profile": profile,
        "baseline": baseline,
        "hosts": sorted({s.host for s in scenarios}) or [socket.gethostname()],
        "counts": counts,
        "scenario_counts": scenario_counts,
        "not_covered_by_this_run": [rid for rid in sorted(cat, key=sort_key) if rid not in reqs],
        **(extra or {}),
        "requirements": reqs,
    })
    return data


def report_environment(summary: dict) -> dict[str, str]:
    """The report's overview (Allure's environment.properties), verdicts first: what the
    auditor must see before anything else (warnings, what was not evaluated, an
    interruption) is at the top, not inside a result."""
    from .environment import base_environment

    def ids(*verdicts_: Verdict) -> str:
        found = [rid for rid, e in summary["requirements"].items() if e["status"] in {v.value for v in verdicts_}]
        return ", ".join(found) or "none"

    env = {
        "verdicts": ", ".join(f"{n} {v}" for v, n in summary["counts"].items() if n) or "no requirement",
        "exit": f"{summary.get('exit_code')} ({summary.get('exit_meaning', '')})",
        "interrupted": "YES: the run did not finish; what did not run is 'not run'" if summary.get("interrupted")
        else "no",
        "failed": ids(Verdict.FAILED),
        "warnings": ids(Verdict.WARNING),
        "not evaluated": ids(Verdict.NOT_EVALUATED, Verdict.PARTIAL),
    }
    env.update(base_environment())
    env.update({"profile": summary["profile"], "baseline": summary["baseline"], "hosts": ", ".join(summary["hosts"]),
                "run id": summary.get("run_id", "")})
    env.update(summary.get("environment", {}))
    return env


def verdicts(summary: dict) -> dict[str, str]:
    """Requirement ID -> verdict value."""
    return {rid: e["status"] for rid, e in summary.get("requirements", {}).items()}


def exit_meaning(code: int) -> str:
    try:
        return EXIT_MEANINGS[ExitCode(code)]
    except ValueError:
        return f"exit code {code}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def write(summary: dict, path: Path) -> Path:
    """Write atomically (a temporary file renamed): a crash never leaves a half-written
    summary behind. Raises OSError when the folder cannot be written."""
    from .runs import write_json_atomic

    return write_json_atomic(Path(path), summary)


def write_with_fallback(summary: dict, path: Path, fallbacks: Iterable[Path]) -> tuple[Path, str]:
    """Write the summary at ``path``, else at the first fallback folder that takes it.
    Returns (where it went, a note saying why it is not at ``path``, or "")."""
    try:
        return write(summary, path), ""
    except OSError as exc:
        first = f"could not write the summary to {path}: {exc.strerror or exc}"
    for folder in fallbacks:
        try:
            where = write(summary, Path(folder) / path.name)
            return where, f"{first}; written to {where} instead"
        except OSError:
            continue
    fd, tmp = tempfile.mkstemp(prefix="wscard-summary-", suffix=".json")
    os.close(fd)
    return write(summary, Path(tmp)), f"{first}; written to {tmp} instead"


def table(summary: dict) -> str:
    """The text table printed after a run: requirement, verdict, scenarios that reached a
    verdict out of those selected, and the reason for everything not ``passed``."""
    rows = []
    for rid, e in summary["requirements"].items():
        counts = e.get("counts", {})
        reached = sum(counts.get(o.value, 0) for o in Outcome if o.reached_verdict)
        na = counts.get(Outcome.NOT_APPLICABLE.value, 0)
        ran = f"{reached}/{e.get('selected', 0) - na}" + (f" (+{na} n/a)" if na else "")
        reason = "" if e["status"] == Verdict.PASSED.value else "; ".join(e.get("reasons", []))
        if e["status"] == Verdict.NOT_APPLICABLE.value:
            reason = "; ".join(s.get("message", "") for s in e.get("scenarios", []))[:240]
        rows.append((rid, e["status"], ran, reason))
    w_id = max([len(r[0]) for r in rows] + [11])
    w_st = max([len(r[1]) for r in rows] + [7])
    w_ran = max([len(r[2]) for r in rows] + [9])
    lines = [f"{'requirement':<{w_id}}  {'verdict':<{w_st}}  {'scenarios':<{w_ran}}  reason (and fix)",
             f"{'-' * w_id}  {'-' * w_st}  {'-' * w_ran}  ----------------"]
    lines += [f"{rid:<{w_id}}  {st:<{w_st}}  {ran:<{w_ran}}  {reason}".rstrip() for rid, st, ran, reason in rows]
    c = summary["counts"]
    parts = [f"{n} {v}" for v, n in c.items() if n or v in (Verdict.PASSED.value, Verdict.FAILED.value)]
    lines.append(", ".join(parts) + f" (profile {summary['profile']}, baseline {summary['baseline']})")
    if summary.get("complete") and summary.get("not_covered_by_this_run"):
        lines.append("NOT COVERED by any scenario of this run: " + ", ".join(summary["not_covered_by_this_run"]))
    if summary.get("interrupted"):
        lines.append("THE RUN WAS INTERRUPTED: what did not run is 'not run' and its requirements are not evaluated")
    if "exit_code" in summary:
        lines.append(f"exit code {summary['exit_code']}: {exit_meaning(summary['exit_code'])}")
    return "\n".join(lines)
