"""``wscard`` command line (also ``python -m wscard.cli``).

  wscard check [pytest options]   run the compliance suite in a new run folder
                                  (reports/runs/<run id>/): results, summary, HTML report
  wscard report [RUN_OR_RESULTS ...] [--out FILE]
                                  single-file HTML report (default: the latest complete run;
                                  several runs or machines merge into one report)
  wscard runs                     list the runs in reports/runs/ (the latest complete one marked)
  wscard prune --keep N           delete all but the N newest runs (the latest complete one stays)
  wscard profile PATH             validate a profile and print what it describes
  wscard moto-server [--port N] [--latency-ms MS]
                                  a moto server on 127.0.0.1 with the harness's extension
  wscard fleet [--organization | --accounts ...] [--shard I/N] ...
                                  audit every AD Connector of accounts and Regions (docs/fleet.md);
                                  `wscard report` on the shards' run folders merges them

Exit codes (wscard check, and plain pytest on the features): 0 compliant, 1 non-compliant,
2 interrupted, 3 harness error, 4 usage error, 5 nothing selected, 6 not fully evaluated
(docs/verdicts.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from .errors import HarnessError, ProfileError

ROOT = Path(__file__).resolve().parent.parent


def _err(msg: str) -> None:
    print(f"wscard: {msg}", file=sys.stderr)


def build_report(results: list[Path], out: Path) -> Path:
    from .report import allure_html
    from .report.environment import base_environment

    for d in results:
        if not (d / "environment.properties").exists():  # a run writes it; older results may lack it
            allure_html.write_metadata(d, base_environment())
    title = "Smart card sign-in to WorkSpaces: compliance report"
    # The tree: area (epic), then feature; with several machines, host first, so the
    # same scenario run on two lab PCs shows as two entries under their hosts.
    group_by = ["host", "epic", "feature"] if len(results) > 1 else ["epic", "feature"]
    return allure_html.generate(results, out, title=title, group_by=group_by)


def _option_value(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def cmd_check(args: list[str]) -> int:
    """pytest on the features in a new run folder, then the report into that folder. The
    summary and the exit code come from the run itself (wscard.verdict.ExitCode); a report
    that cannot be written makes the exit code non-zero (3 when nothing else was wrong)."""
    from .report import runs
    from .verdict import ExitCode

    run_dir = Path(_option_value(args, "--run-dir") or runs.RUNS / runs.new_run_id())
    extra = [] if _option_value(args, "--run-dir") else [f"--run-dir={run_dir}"]
    cmd = [sys.executable, "-m", "pytest", *extra, *args]
    rc = subprocess.call(cmd, cwd=ROOT)
    summary = Path(_option_value(args, "--summary-file") or run_dir / runs.SUMMARY_NAME)
    results = Path(_option_value(args, "--alluredir") or run_dir / runs.RESULTS_NAME)
    if not summary.exists():
        if rc not in (ExitCode.USAGE_ERROR, ExitCode.INTERRUPTED):
            _err(f"the run wrote no summary ({summary}): see the output above")
        return rc or ExitCode.HARNESS_ERROR
    report = run_dir / runs.REPORT_NAME
    try:
        build_report([results], report)
        print(f"\nreport:  {report}")
    except (HarnessError, OSError) as exc:
        reason = f"the HTML report could not be written: {exc}"
        _err(reason)
        _err(f"the results are kept in {results} and the summary in {summary}")
        try:
            (run_dir / "report-error.txt").write_text(reason + "\n", encoding="utf-8")
        except OSError:
            pass
        rc = rc or ExitCode.HARNESS_ERROR
    print(f"summary: {summary}")
    print(f"run:     {run_dir}")
    return rc


def _results_of(path: Path) -> Path:
    """A run folder's results folder, or the path itself (a results folder)."""
    from .report import runs

    inner = path / runs.RESULTS_NAME
    return inner if inner.is_dir() else path


def cmd_report(argv: list[str]) -> int:
    from .report import runs

    p = argparse.ArgumentParser(prog="wscard report", description="single-file HTML report from Allure results")
    p.add_argument("results", nargs="*", type=Path,
                   help="run folders or results folders (one per machine or run); default: the latest complete run")
    p.add_argument("--out", type=Path, default=None,
                   help="the HTML file (default: in the run folder for one run, reports/merged-report.html for several)")
    a = p.parse_args(argv)
    folders = a.results
    if not folders:
        latest = runs.latest_run()
        if latest is None:
            _err("no complete run yet (reports/latest): run ./harness check, or name results folders")
            return 4
        folders = [latest]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        _err(f"not a folder: {', '.join(missing)}")
        return 4
    from . import fleet_cli

    if any(fleet_cli.is_fleet_run(f) for f in folders):  # fleet audits (docs/fleet.md): merge the shards
        return fleet_cli.merge_report(folders, a.out)
    out = a.out or (folders[0] / runs.REPORT_NAME if len(folders) == 1 and (folders[0] / runs.RESULTS_NAME).is_dir()
                    else runs.REPORTS / "merged-report.html")
    try:
        print(build_report([_results_of(f) for f in folders], out))
    except HarnessError as exc:
        _err(str(exc))
        return 3
    return 0


def cmd_runs(argv: list[str]) -> int:
    from .report import runs

    argparse.ArgumentParser(prog="wscard runs", description="list the runs in reports/runs/").parse_args(argv)
    latest = runs.latest_run()
    found = runs.list_runs()
    if not found:
        print("no runs yet in reports/runs/")
    for r in found:
        print(("* " if latest is not None and r.folder == latest else "  ") + r.line())
    if latest is not None:
        print(f"* latest complete run (reports/latest): {latest}")
    return 0


def cmd_prune(argv: list[str]) -> int:
    from .report import runs

    p = argparse.ArgumentParser(prog="wscard prune", description="delete old run folders")
    p.add_argument("--keep", type=int, required=True, help="how many of the newest runs to keep")
    a = p.parse_args(argv)
    if a.keep < 0:
        _err("--keep: must be 0 or more")
        return 4
    for f in runs.prune(a.keep):
        print(f"deleted {f}")
    return 0


def cmd_profile(argv: list[str]) -> int:
    from dataclasses import asdict

    from .profile import load_profile

    p = argparse.ArgumentParser(prog="wscard profile", description="validate a profile")
    p.add_argument("path", nargs="?", default="embedded")
    a = p.parse_args(argv)
    try:
        prof = load_profile(a.path)
    except ProfileError as exc:
        _err(str(exc))
        return 2
    print(json.dumps({k: asdict(v) for k, v in prof.values.items()}, indent=2, default=str))
    return 0


def cmd_moto_server(argv: list[str]) -> int:
    from .aws.moto_ext import server

    return server.main(argv) or 0


def cmd_fleet(argv: list[str]) -> int:
    from .fleet_cli import cmd_fleet as run

    return run(argv)


COMMANDS = {"fleet": cmd_fleet, "check": cmd_check, "report": cmd_report, "runs": cmd_runs, "prune": cmd_prune, "profile": cmd_profile,
            "moto-server": cmd_moto_server}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 1
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
