"""``reports/compliance-summary.json``: per requirement, passed / failed / warning / skipped.

Built from scenario outcomes (one per scenario run), so CI and auditors can read the
verdict without Allure.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..requirements import catalogue, sort_key

#: Scenario outcomes. "broken" is an error that is not a non-compliance (environment
#: problem or harness error): the requirement could not be shown to hold.
OUTCOMES = ("passed", "warning", "failed", "broken", "skipped")


@dataclass
class ScenarioOutcome:
    nodeid: str
    name: str
    feature: str
    requirements: list[str]
    outcome: str
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    host: str = field(default_factory=socket.gethostname)
    kind: str = ""  # non-compliance / environment / harness (for failed and broken)


def requirement_status(outcomes: Iterable[str]) -> str:
    outs = set(outcomes)
    if not outs:
        return "skipped"
    if outs & {"failed", "broken"}:
        return "failed"
    if "warning" in outs:
        return "warning"
    if "passed" in outs:
        return "passed"
    return "skipped"


def build(
    scenarios: list[ScenarioOutcome], *, profile: str, baseline: str, extra: dict | None = None
) -> dict:
    cat = catalogue()
    per_req: dict[str, list[ScenarioOutcome]] = {}
    for sc in scenarios:
        for rid in sc.requirements:
            per_req.setdefault(rid, []).append(sc)
    reqs = {}
    for rid in sorted(per_req, key=sort_key):
        scs = per_req[rid]
        entry = {
            "status": requirement_status(s.outcome for s in scs),
            "statement": cat[rid].statement if rid in cat else "",
            "source": cat[rid].url if rid in cat else "",
            "scenarios": [
                {k: v for k, v in asdict(s).items() if k not in ("requirements",) and v not in ("", [])}
                for s in scs
            ],
        }
        reqs[rid] = entry
    counts = {s: 0 for s in ("passed", "failed", "warning", "skipped")}
    for e in reqs.values():
        counts[e["status"]] += 1
    return {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "profile": profile,
        "baseline": baseline,
        "hosts": sorted({s.host for s in scenarios}),
        "counts": counts,
        "not_covered_by_this_run": [rid for rid in sorted(cat, key=sort_key) if rid not in reqs],
        **(extra or {}),
        "requirements": reqs,
    }


def write(summary: dict, path: Path) -> Path:
    """Write atomically: a crash never leaves a half-written summary behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".summary-", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(summary, fh, indent=2)
        fh.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def table(summary: dict) -> str:
    """The short text table printed after a run."""
    rows = [(rid, e["status"]) for rid, e in summary["requirements"].items()]
    width = max([len(r) for r, _ in rows] + [11])
    lines = [f"{'requirement':<{width}}  status", f"{'-' * width}  -------"]
    lines += [f"{rid:<{width}}  {status}" for rid, status in rows]
    c = summary["counts"]
    lines.append(
        f"{c['passed']} passed, {c['failed']} failed, {c['warning']} warning, {c['skipped']} skipped "
        f"(profile {summary['profile']}, baseline {summary['baseline']})"
    )
    return "\n".join(lines)
