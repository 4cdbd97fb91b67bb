"""The fleet audit's results: scenario outcomes per (directory, requirement), the summary's
``fleet`` section (schema 2.1), the fleet table (directory x requirement), the Allure
results of a fleet run, and the merge of shards (docs/fleet.md).

Every result carries its account, Region and directory. An account or Region that could
not be read gives every requirement an ``environment problem`` outcome there (directory
``*``), so the requirement is never ``passed`` over a gap; a shard missing from a merge
does the same for each of its accounts.

Never imports pytest.
"""

from __future__ import annotations

import json
import socket
import time
import uuid as uuid_mod
from pathlib import Path
from typing import Any, Iterable

from ..errors import HarnessError
from ..verdict import ALLURE_STATUS, Outcome, Verdict, requirement_verdict, run_exit_code
from . import summary as summary_mod
from .summary import ScenarioOutcome, reason_line

FEATURE = "fleet"
#: The fleet table's mark for each verdict (keyed by the Verdict, a str enum, so a verdict
#: read back from JSON finds its entry too).
SYMBOLS = {Verdict.PASSED: "ok", Verdict.WARNING: "WARN", Verdict.FAILED: "FAIL", Verdict.NOT_APPLICABLE: "n/a",
           Verdict.NOT_EVALUATED: "?", Verdict.PARTIAL: "?"}


def _nodeid(account: str, region: str, directory: str, rid: str) -> str:
    return f"fleet/{account}/{region}/{directory}::{rid}"


def _judged(r) -> tuple[Outcome, str]:
    """A fleet check's outcome and its message (the failure, or why it was skipped)."""
    from ..aws.fleet import outcome_of

    outcome = outcome_of(r)
    return outcome, r.message() if outcome is Outcome.FAILED else (r.skipped_because or "")


def _not_read(account: str, region: str, message: str, host: str, suffix: str = "") -> list[ScenarioOutcome]:
    """Every directory requirement of an account or Region that was not read: an
    environment problem there (directory ``*``), never a pass."""
    from ..aws.fleet import DIRECTORY_REQUIREMENTS

    return [ScenarioOutcome(_nodeid(account, region, "*", rid) + suffix, f"{rid}: not read", FEATURE, [rid],
                            Outcome.ENVIRONMENT.value, message, [], host, account, region, "*")
            for rid in DIRECTORY_REQUIREMENTS]


def scenarios(run) -> list[ScenarioOutcome]:
    """One outcome per (directory, requirement), per (unreadable account or Region,
    requirement), and per chain requirement."""
    host = socket.gethostname()
    out: list[ScenarioOutcome] = []
    for d in run.directories:
        for r in d.results:
            rid = r.requirement
            if rid in d.errors:
                outcome, message = Outcome.ERROR, d.errors[rid]
            elif rid in d.problems:
                outcome, message = Outcome.ENVIRONMENT, d.problems[rid]
            else:
                outcome, message = _judged(r)
            out.append(ScenarioOutcome(
                _nodeid(d.account, d.region, d.directory_id, rid), f"{rid}: {r.title}", FEATURE, [rid], outcome.value,
                message, [f.render() for f in r.warnings()], host, d.account, d.region, d.directory_id))
    for u in run.unreadable:
        out += _not_read(u.account, u.region, u.problem, host)
    for r in run.chain_results:
        outcome, message = _judged(r)
        out.append(ScenarioOutcome(f"fleet/chain::{r.requirement}", f"{r.requirement}: {r.title}", FEATURE,
                                   [r.requirement], outcome.value, message, [f.render() for f in r.warnings()], host,
                                   "", "", "chain"))
    return out


def _cells(scs: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sc in scs:
        key = (sc.get("account", ""), sc.get("region", ""), sc.get("directory", ""))
        if key[2] in ("chain", "*"):
            continue
        row = rows.setdefault(key, {"account": key[0], "region": key[1], "directory": key[2], "verdicts": {},
                                    "reasons": {}})
        rid = sc["requirement"]
        v = requirement_verdict([sc["outcome"]]).verdict.value
        row["verdicts"][rid] = v
        if v not in (Verdict.PASSED.value, Verdict.NOT_APPLICABLE.value):
            text = reason_line("; ".join(sc.get("warnings") or []) if v == Verdict.WARNING.value else sc.get("message", ""))
            if text:
                row["reasons"][rid] = text
    return rows


def fleet_section(run, shard: tuple[int, int] | None) -> dict[str, Any]:
    from ..aws.fleet import DIRECTORY_REQUIREMENTS, scope_record

    count = shard[1] if shard else 1
    index = shard[0] if shard else 1
    meta = {(d.account, d.region, d.directory_id): d for d in run.directories}
    flat = [{**s.__dict__, "requirement": s.requirements[0]} for s in scenarios(run)]
    rows = _cells(flat)
    directories = []
    for key in sorted(rows):
        d = meta.get(key)
        row = rows[key]
        if d is not None:
            row.update({"account_name": d.account_name, "name": d.name, "type": d.type, "workspaces": d.workspaces,
                        "certificates": d.certificates})
        directories.append(row)
    return {
        "scope": scope_record(run.scope),
        "partition": run.partition,
        "accounts_in_scope": list(run.accounts_in_scope),
        "accounts_read": [a for a, _ in run.accounts],
        "regions": list(run.regions),
        "regions_left_out": dict(run.regions_left_out),
        "requirements": list(DIRECTORY_REQUIREMENTS),
        "directories": directories,
        "not_evaluated": [u.as_dict() for u in run.unreadable],
        # a shard run is one slice: the others are missing from its own point of view
        "shards": {"count": count, "present": [index], "missing": [i for i in range(1, count + 1) if i != index]},
        "workspaces": run.workspaces,
        "calls": run.calls,
        "calls_by_operation": dict(sorted(run.calls_by_operation.items())),
        "seconds": round(run.seconds, 3),
        "workers": run.scope.workers,
    }


def _not_found(fleet: dict[str, Any]) -> list[dict[str, str]]:
    """Directory IDs the scope names that no shard found (only when no shard is missing)."""
    if fleet["shards"]["missing"]:
        return []
    found = {d["directory"] for d in fleet["directories"]}
    out = [{"account": "*", "account_name": "", "region": "*", "code": "not found",
            "reason": f"directory {did} (named in [fleet].directory_ids) was not found in any account and Region read",
            "fix": "Check the ID, and that its account and Region are in the fleet's scope and readable."}
           for did in fleet["scope"].get("directory_ids", []) if did not in found]
    if not fleet["directories"] and not out:
        # nothing judged: never "compliant" (an empty scope, a filter that matches nothing)
        scope = fleet.get("scope", {})
        filters = {k: scope[k] for k in ("directory_names", "directory_tags") if scope.get(k)}
        out.append({"account": "*", "account_name": "", "region": "*", "code": "no directory",
                    "reason": "no AD Connector directory was found in the accounts and Regions read"
                              + (f" matching {filters}" if filters else "")
                              + f" (Regions read: {', '.join(fleet.get('regions', [])) or 'none'})",
                    "fix": "Check the accounts, the Regions (and the credentials' partition) and the filters of [fleet]."})
    return out


def _missing_outcomes(entries: list[dict[str, str]]) -> list[ScenarioOutcome]:
    from ..aws.fleet import not_read_because

    host = socket.gethostname()
    return [sc for e in entries
            for sc in _not_read(e["account"], e["region"], not_read_because(e["reason"], e["fix"]), host,
                                f"#{e['code']}")]


def _finish(scs: list[ScenarioOutcome], fleet: dict[str, Any], *, profile: str, baseline: str,
            run: dict[str, Any]) -> dict[str, Any]:
    extra_entries = _not_found(fleet)
    fleet["not_evaluated"] += extra_entries
    scs = scs + _missing_outcomes(extra_entries)
    run = {**_identity_defaults(run), **run}
    data = summary_mod.build(scs, profile=profile, baseline=baseline, run=run, extra={
        "environment": {"mode": "fleet audit", "accounts read": str(len(fleet["accounts_read"])),
                        "directories": str(len(fleet["directories"])),
                        "not evaluated (accounts or Regions)": str(len(fleet["not_evaluated"]))},
        "fleet": fleet})
    code = run_exit_code((e["status"] for e in data["requirements"].values()), (s.outcome for s in scs),
                         interrupted=False)
    data["exit_code"] = int(code)
    data["exit_meaning"] = summary_mod.exit_meaning(int(code))
    return data


def _identity_defaults(run: dict[str, Any]) -> dict[str, Any]:
    """What every summary carries about its run (schema 2.x), where the caller gave less."""
    from datetime import datetime, timezone

    from ..report.environment import component_versions

    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return {"run_id": "", "run_folder": "", "started": now, "ended": now, "command": [],
            "harness": {"version": "", "git_commit": "unknown"},
            "components": run.get("components") or component_versions(),
            "profile_path": "", "profile_sha256": ""}


def build_summary(run, *, profile: str, baseline: str, shard: tuple[int, int] | None,
                  run_info: dict[str, Any]) -> dict[str, Any]:
    """The summary of one fleet run (or one shard of it)."""
    return _finish(scenarios(run), fleet_section(run, shard), profile=profile, baseline=baseline,
                   run={**run_info, "complete": False, "interrupted": False})


def _scenarios_of(summary: dict[str, Any]) -> list[ScenarioOutcome]:
    out = []
    for rid, e in summary.get("requirements", {}).items():
        for sc in e.get("scenarios", []):
            out.append(ScenarioOutcome(sc["nodeid"], sc["name"], sc.get("feature", FEATURE), [rid], sc["outcome"],
                                       sc.get("message", ""), list(sc.get("warnings", [])), sc.get("host", ""),
                                       sc.get("account", ""), sc.get("region", ""), sc.get("directory", "")))
    return out


def merge(summaries: list[dict[str, Any]], *, run_info: dict[str, Any]) -> dict[str, Any]:
    """One summary from the summaries of a fleet audit's shards. Raises HarnessError when
    they are not shards of one audit (different shard counts or scopes) or a shard is
    given twice. A shard that is missing is said so (``fleet.shards.missing``) and each of
    its accounts is ``not evaluated``."""
    from ..aws.fleet import shard_of

    fleets = [s.get("fleet") for s in summaries]
    if not fleets or any(f is None for f in fleets):
        raise HarnessError("only fleet summaries (wscard fleet) can be merged as shards")
    count = fleets[0]["shards"]["count"]
    scope = fleets[0]["scope"]
    present: list[int] = []
    for f in fleets:
        if f["shards"]["count"] != count or f["scope"] != scope:
            raise HarnessError("these runs are not shards of one fleet audit (their shard count or [fleet] scope "
                               "differ): merge the runs of one CI matrix")
        for i in f["shards"]["present"]:
            if i in present:
                raise HarnessError(f"shard {i}/{count} is given twice: name each shard's run folder once")
            present.append(i)
    missing = [i for i in range(1, count + 1) if i not in present]
    in_scope = list(dict.fromkeys(a for f in fleets for a in f["accounts_in_scope"]))
    fleet = {
        "scope": scope,
        "partition": fleets[0].get("partition", ""),
        "accounts_in_scope": in_scope,
        "accounts_read": sorted({a for f in fleets for a in f["accounts_read"]}),
        "regions": list(dict.fromkeys(r for f in fleets for r in f["regions"])),
        "regions_left_out": {k: v for f in fleets for k, v in f.get("regions_left_out", {}).items()},
        "requirements": fleets[0]["requirements"],
        "directories": sorted((d for f in fleets for d in f["directories"]),
                              key=lambda d: (d["account"], d["region"], d["directory"])),
        "not_evaluated": [e for f in fleets for e in f["not_evaluated"]],
        "shards": {"count": count, "present": sorted(present), "missing": missing},
        "workspaces": sum(f.get("workspaces", 0) for f in fleets),
        "calls": sum(f.get("calls", 0) for f in fleets),
        "calls_by_operation": {},
        "seconds": max((f.get("seconds", 0) for f in fleets), default=0),
        "workers": fleets[0].get("workers", 0),
    }
    for f in fleets:
        for k, v in f.get("calls_by_operation", {}).items():
            fleet["calls_by_operation"][k] = fleet["calls_by_operation"].get(k, 0) + v
    gaps = [{"account": a, "account_name": "", "region": "*", "code": "shard missing",
             "reason": f"shard {i}/{count} is missing from the merge, so account {a} was not read",
             "fix": f"Run `wscard fleet --shard {i}/{count}` and name its run folder to `wscard report`."}
            for i in missing for a in in_scope if shard_of(a, count) == i]
    read = set(fleet["accounts_read"])
    gaps += [{"account": a, "account_name": "", "region": "*", "code": "not read by its shard",
              "reason": f"account {a} belongs to shard {shard_of(a, count)}/{count}, which did not read it: the shards "
                        "saw different accounts (it joined or left the organization between the jobs)",
              "fix": "Run the fleet audit again (all shards at once) to read it."}
             for a in in_scope if shard_of(a, count) in present and a not in read]
    fleet["not_evaluated"] += gaps
    fleet["not_evaluated"].sort(key=lambda e: (e["account"], e["region"]))
    scs: dict[str, ScenarioOutcome] = {}
    for s in summaries:
        for sc in _scenarios_of(s):
            scs[sc.nodeid] = sc  # the chain's results are the same in every shard
    scs_list = sorted(scs.values(), key=lambda s: s.nodeid) + _missing_outcomes(gaps)
    first = summaries[0]
    return _finish(scs_list, fleet, profile=first.get("profile", ""), baseline=first.get("baseline", ""),
                   run={**run_info, "complete": False, "interrupted": False,
                        "merged_from": [s.get("run_id", "") for s in summaries]})


def table(summary: dict[str, Any]) -> str:
    """The fleet table: one row per directory (and per account or Region not read), one
    column per requirement; then the reasons of everything not passed."""
    from ..aws.fleet import not_read_because

    fleet = summary["fleet"]
    reqs = fleet["requirements"]
    rows = [(f"{d['account']} {d['region']} {d['directory']}", [SYMBOLS.get(d["verdicts"].get(r, ""), "")
                                                                 for r in reqs]) for d in fleet["directories"]]
    rows += [(f"{e['account']} {e['region']} *", ["?"] * len(reqs)) for e in fleet["not_evaluated"]]
    w = max([len(r[0]) for r in rows] + [len("account Region directory")])
    widths = [max(len(r), 4) for r in reqs]
    lines = ["account Region directory".ljust(w) + "  " + "  ".join(r.ljust(n) for r, n in zip(reqs, widths))]
    lines.append("-" * w + "  " + "  ".join("-" * n for n in widths))
    for label, cells in rows:
        lines.append(label.ljust(w) + "  " + "  ".join(c.ljust(n) for c, n in zip(cells, widths)).rstrip())
    lines.append("ok passed, WARN warning, FAIL failed, ? not evaluated, n/a not applicable")
    findings = [f"  {d['account']} {d['region']} {d['directory']} {rid} {d['verdicts'][rid]}: {text}"
                for d in fleet["directories"] for rid, text in d.get("reasons", {}).items()]
    if findings:
        lines.append("reasons:")
        lines += findings
    if fleet["not_evaluated"]:
        lines.append("not evaluated (could not be read):")
        lines += [f"  {e['account']} {e['region']}: {not_read_because(e['reason'], e['fix'])}"
                  for e in fleet["not_evaluated"]]
    for region, why in fleet.get("regions_left_out", {}).items():
        lines.append(f"Region {region} left out: {why}")
    shards = fleet["shards"]
    if shards["count"] > 1:
        n = shards["count"]
        state = ("missing " + ", ".join(f"{i}/{n}" for i in shards["missing"])) if shards["missing"] else "all present"
        lines.append(f"shards: {len(shards['present'])} of {shards['count']} ({state})"
                     + ("; merge all the shards' run folders with `wscard report`" if shards["missing"] else ""))
    lines.append(f"{len(fleet['directories'])} directories, {fleet.get('workspaces', 0)} WorkSpaces, "
                 f"{fleet.get('calls', 0)} API calls in {fleet.get('seconds', 0)} s")
    return "\n".join(lines)


def overview(summary: dict[str, Any], limit: int = 60) -> dict[str, str]:
    """The report's first page (Allure's environment): verdicts, then one line per
    directory with what failed or was not evaluated (the fleet table, condensed)."""
    env = summary_mod.report_environment(summary)
    fleet = summary["fleet"]
    for d in fleet["directories"][:limit]:
        bad = {v: [r for r, x in d["verdicts"].items() if x == v] for v in (Verdict.FAILED.value, Verdict.NOT_EVALUATED.value, Verdict.WARNING.value)}
        text = "; ".join(f"{v}: {', '.join(rs)}" for v, rs in bad.items() if rs) or "all passed"
        env[f"fleet {d['account']} {d['region']} {d['directory']}"] = text
    for e in fleet["not_evaluated"][:limit]:
        env[f"fleet {e['account']} {e['region']} *"] = f"not evaluated: {e['reason']}"
    if len(fleet["directories"]) > limit:
        env["fleet (more)"] = f"{len(fleet['directories']) - limit} more directories: see compliance-summary.json"
    if fleet["shards"]["missing"]:
        env["fleet shards missing"] = ", ".join(str(i) for i in fleet["shards"]["missing"])
    return env


def write_allure(results: Path, summary: dict[str, Any]) -> int:
    """One Allure result per scenario of the summary (account, Region and directory as
    parentSuite, suite and subSuite), then the overview. Returns the number written."""
    from allure_commons.utils import md5

    from . import allure_html

    results.mkdir(parents=True, exist_ok=True)
    n = 0
    now = int(time.time() * 1000)
    for rid, e in summary["requirements"].items():
        for sc in e["scenarios"]:
            outcome = Outcome(sc["outcome"])
            full = sc["nodeid"]
            labels = [("epic", "Fleet audit"), ("feature", FEATURE), ("story", rid), ("tag", rid),
                      ("parentSuite", sc.get("account") or "all accounts"), ("suite", sc.get("region") or "all Regions"),
                      ("subSuite", sc.get("directory", "")), ("host", sc.get("host", "")), ("wscard_nodeid", full)]
            message = sc.get("message", "")
            if outcome is Outcome.WARNING:
                message = "WARNING: " + "\n".join(sc.get("warnings", []))
            obj = {"uuid": str(uuid_mod.uuid4()), "name": f"{sc['name']} ({sc.get('directory', '')})",
                   "fullName": full, "testCaseId": md5(full), "historyId": md5(full),
                   "status": ALLURE_STATUS[outcome], "statusDetails": {"message": message}, "stage": "finished",
                   "start": now, "stop": now,
                   "labels": [{"name": k, "value": v} for k, v in labels if v],
                   "links": [{"type": "requirement", "url": e.get("source", ""), "name": rid}] if e.get("source") else []}
            (results / f"{obj['uuid']}-result.json").write_text(json.dumps(obj), encoding="utf-8")
            n += 1
    allure_html.write_metadata(results, overview(summary))
    return n
