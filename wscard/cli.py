"""``wscard`` command line (also ``python -m wscard.cli``).

  wscard check [pytest options]   run the compliance suite in a new run folder
                                  (reports/runs/<run id>/): results, summary, HTML report
  wscard report [RUN_OR_RESULTS ...] [--out FILE]
                                  single-file HTML report (default: the latest complete run;
                                  several runs or machines merge into one report)
  wscard verify RUN [--seal]      check a (copied) run folder against its SHA256SUMS (exit 0: intact;
                                  1: the files that differ are listed); --seal writes the manifests
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
import os
import subprocess
import sys
from pathlib import Path

from .errors import HarnessError, ProfileError

ROOT = Path(__file__).resolve().parent.parent
def pytest_command() -> list[str]:
    """pytest as the harness runs it: the checkout's configuration named (``-c``,
    ``--rootdir``) and the harness's plugins loaded before the command line is read
    (``-p``, the list of the root ``conftest.py``).

    Without them pytest picks its root folder, configuration and first conftest files
    from the arguments that are existing paths, *before* any plugin says which options
    take a value: in ``--profile "/tmp/my profiles/p.toml"`` the profile is taken for a
    test path, pytest roots at /tmp/my profiles, loads none of the harness and refuses
    ``--profile`` (issue 11, point 10). ``--profile=PATH`` never had the problem.
    """
    import ast

    plugins: list[str] = []
    for node in ast.parse((ROOT / "conftest.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytest_plugins" for t in node.targets):
            plugins = list(ast.literal_eval(node.value))
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT)]
    for plugin in plugins:
        cmd += ["-p", plugin]
    return cmd


def _err(msg: str) -> None:
    print(f"wscard: {msg}", file=sys.stderr)


def build_report(results: list[Path], out: Path, **kwargs) -> Path:
    """Both report views: ``out`` (tree by area, then feature) and ``<out>-by-requirement``
    (tree by requirement); with several machines, host first, so the same scenario run on
    two lab PCs shows as two entries under their hosts (wscard.report.evidence)."""
    from .report import evidence

    return evidence.build_reports(results, out, **kwargs)


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

    # Paths are made absolute here: pytest runs in the checkout, the user may not.
    given = {k: _option_value(args, k) for k in ("--run-dir", "--summary-file", "--alluredir")}
    args = [a for a in args if not any(a == k or a.startswith(k + "=") for k, v in given.items() if v)]
    args = _without_values(args, [v for v in given.values() if v])
    run_dir = Path(given["--run-dir"]).absolute() if given["--run-dir"] else runs.RUNS / runs.new_run_id()
    summary = Path(given["--summary-file"]).absolute() if given["--summary-file"] else run_dir / runs.SUMMARY_NAME
    results = Path(given["--alluredir"]).absolute() if given["--alluredir"] else run_dir / runs.RESULTS_NAME
    placed = [f"--run-dir={run_dir}"] + [f"{k}={Path(v).absolute()}" for k, v in given.items()
                                         if v and k != "--run-dir"]
    # the run becomes reports/latest only once its evidence is complete (below), never when this
    # process is killed half-way (pytest would finish alone and mark a run with no report)
    rc = _run_pytest([*pytest_command(), *placed, *args], env={**os.environ, "WSCARD_DEFER_LATEST": "1"})
    if not summary.exists():
        if rc not in (ExitCode.USAGE_ERROR, ExitCode.INTERRUPTED):
            _err(f"the run wrote no summary ({summary}): see the output above")
        return rc or ExitCode.HARNESS_ERROR
    if rc == ExitCode.NOTHING_SELECTED:
        return rc  # nothing ran: no report to make
    from .report import evidence

    try:
        done = evidence.finish_run(run_dir, summary, results, build=build_report)
    except (HarnessError, OSError, ValueError) as exc:  # an unreadable summary, a folder gone
        done = evidence.Finished(problems=[f"the report step failed: {exc}"])
    for what, path in done.written.items():
        if what != "manifest":
            print(f"{what + ':':<23}{path}")
    for note in done.notes:
        _err(note)
    if done.problems:
        for reason in done.problems:
            _err(reason)
        _err(f"the results are kept in {results} and the summary in {summary} (the reasons: report-error.txt)")
        if not (run_dir / "report-error.txt").exists():
            try:
                (run_dir / "report-error.txt").write_text("\n".join(done.problems) + "\n", encoding="utf-8")
            except OSError:
                pass
        rc = rc or ExitCode.HARNESS_ERROR
    if done.manifest:
        print(f"{'manifest:':<23}{run_dir / evidence.MANIFEST} (sha256 {done.manifest['sha256sums']}; "
              f"check a copy with `wscard verify` or `sha256sum -c {evidence.MANIFEST}`)")
    if done.timings:
        print("report step: " + ", ".join(f"{k} {v:.1f} s" for k, v in done.timings.items()))
    _mark_latest_if_complete(run_dir, summary, results, sealed=bool(done.manifest) and not done.problems)
    print(f"summary: {summary}")
    print(f"run:     {run_dir}")
    return rc


def _mark_latest_if_complete(run_dir: Path, summary: Path, results: Path, sealed: bool) -> None:
    """``wscard check`` moves reports/latest itself, after the report step: a complete run
    (whole suite, not interrupted) whose evidence is all there (docs/verdicts.md)."""
    from .report import runs

    try:
        complete = json.loads(summary.read_text(encoding="utf-8")).get("complete")
    except (OSError, ValueError):
        return
    inside = summary.parent == run_dir and run_dir in results.parents
    if complete and sealed and inside and run_dir.parent.resolve() == runs.RUNS.resolve():
        try:
            runs.mark_latest(run_dir)
        except OSError as exc:
            _err(f"could not update {runs.LATEST}: {exc}")


def _without_values(args: list[str], values: list[str]) -> list[str]:
    """``args`` without the separate values of options already taken out."""
    out, skip = [], set(values)
    for a in args:
        if a in skip:
            skip.discard(a)
            continue
        out.append(a)
    return out


def _run_pytest(cmd: list[str], env: dict | None = None) -> int:
    """Run pytest and wait for it. Ctrl-C reaches pytest (it shares the terminal's process
    group; a SIGINT sent to this process alone is passed on), which ends the run as
    interrupted and writes its summary: this process only waits, then reports pytest's code."""
    import signal

    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)

    def pass_on(signum, frame):
        try:
            proc.send_signal(signum)
        except OSError:
            pass

    old = {}
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is not None:
            try:
                old[sig] = signal.signal(sig, pass_on)
            except (ValueError, OSError):
                pass
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                continue
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


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
    from .report import evidence

    from . import fleet_cli

    if any(fleet_cli.is_fleet_run(f) for f in folders):  # fleet audits (docs/fleet.md): merge the shards
        return fleet_cli.merge_report(folders, a.out)
    out = a.out or (folders[0] / runs.REPORT_NAME if len(folders) == 1 and (folders[0] / runs.RESULTS_NAME).is_dir()
                    else runs.REPORTS / "merged-report.html")
    sealed = next((f for f in folders if (f / evidence.MANIFEST).is_file()
                   and Path(out).resolve().parent == f.resolve()), None)
    if sealed is not None:
        # a sealed run folder is never written into: its SHA256SUMS would go stale
        if a.out:
            _err(f"--out {a.out}: {sealed} is sealed (SHA256SUMS); write the report elsewhere")
            return 4
        out = runs.REPORTS / f"{sealed.name}-report.html"
    try:
        # Allure's history (kept with the runs) gives each scenario's trend; a merged
        # report reads it and never appends to it.
        print(build_report([_results_of(f) for f in folders], out, history=runs.REPORTS / evidence.ALLURE_HISTORY))
    except HarnessError as exc:
        _err(str(exc))
        return 3
    except OSError as exc:
        _err(f"--out: cannot write {out}: {exc.strerror or exc}: choose a writable path")
        return 4
    return 0


def cmd_verify(argv: list[str]) -> int:
    """Check a run folder (or a copy of it) against its manifests (docs/evidence.md)."""
    from .report import evidence

    p = argparse.ArgumentParser(prog="wscard verify", description="check a run folder against its SHA256SUMS")
    p.add_argument("run", type=Path, nargs="?",
                   help="the run folder (reports/runs/<run id>, or a copy); default: the latest complete run")
    p.add_argument("--seal", action="store_true",
                   help="write the manifests (evidence.sha256, SHA256SUMS) for a run folder that has none")
    a = p.parse_args(argv)
    from .report import runs

    if a.run is None or (a.run.is_file() and a.run.resolve() == runs.LATEST.resolve()):
        a.run = runs.latest_run()  # `wscard verify` or `wscard verify reports/latest`
        if a.run is None:
            _err("no complete run yet (reports/latest): name a run folder")
            return 4
    if not a.run.is_dir():
        _err(f"not a folder: {a.run}")
        return 4
    if a.seal:
        if (a.run / evidence.MANIFEST).exists():
            _err(f"{a.run / evidence.MANIFEST} exists already: a sealed run is never re-sealed")
            return 4
        m = evidence.write_manifests(a.run)
        print(f"sealed {a.run}: {m['files']} files; SHA256SUMS sha256 {m['sha256sums']}")
        return 0
    problems = evidence.verify(a.run)
    if problems:
        print(f"{a.run}: {len(problems)} problem(s):")
        for line in problems:
            print(f"  {line}")
        return 1
    print(f"{a.run}: every file matches {evidence.MANIFEST} (sha256 {evidence.sha256_of(a.run / evidence.MANIFEST)})")
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
    for warning in prof.warnings:
        _err(f"warning: {warning}")
    print(json.dumps({k: asdict(v) for k, v in prof.values.items()}, indent=2, default=str))
    return 0


def cmd_moto_server(argv: list[str]) -> int:
    from .aws.moto_ext import server

    return server.main(argv) or 0


def cmd_fleet(argv: list[str]) -> int:
    from .fleet_cli import cmd_fleet as run

    return run(argv)


COMMANDS = {"fleet": cmd_fleet, "check": cmd_check, "report": cmd_report, "verify": cmd_verify, "runs": cmd_runs,
            "prune": cmd_prune, "profile": cmd_profile,
            "moto-server": cmd_moto_server}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 1
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
