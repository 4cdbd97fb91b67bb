"""``wscard`` command line (also ``python -m wscard.cli``).

  wscard check [pytest options]   run the compliance suite, write the report and summary
  wscard report [RESULTS_DIR ...] single-file HTML report from results (several machines merge)
  wscard profile PATH             validate a profile and print what it describes
  wscard moto-server [--port N]   a moto server on 127.0.0.1 with the harness's extension
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from .errors import HarnessError, ProfileError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "reports" / "allure-results"
REPORT = ROOT / "reports" / "compliance-report.html"
SUMMARY = ROOT / "reports" / "compliance-summary.json"
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


def cmd_check(args: list[str]) -> int:
    """pytest on the features, then the report; the summary is written by the run itself."""
    cmd = [*pytest_command(), f"--alluredir={RESULTS}", "--clean-alluredir",
           f"--summary-file={SUMMARY}", *args]
    rc = subprocess.call(cmd, cwd=ROOT)
    if rc in (2, 3, 4):  # interrupted, internal error, usage error: pytest said why
        return rc
    if not SUMMARY.exists():
        _err("the run wrote no summary (no scenario ran?)")
        return rc or 5
    try:
        path = build_report([RESULTS], REPORT)
        print(f"\nreport:  {path}")
    except HarnessError as exc:
        _err(f"the HTML report could not be written: {exc}")
        _err(f"the results are kept in {RESULTS} and the summary in {SUMMARY}")
    print(f"summary: {SUMMARY}")
    return rc


def cmd_report(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="wscard report", description="single-file HTML report from Allure results")
    p.add_argument("results", nargs="*", type=Path, default=[RESULTS],
                   help="results folders (one per machine); default reports/allure-results")
    p.add_argument("--out", type=Path, default=REPORT)
    a = p.parse_args(argv)
    try:
        print(build_report(a.results, a.out))
    except HarnessError as exc:
        _err(str(exc))
        return 1
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


COMMANDS = {"check": cmd_check, "report": cmd_report, "profile": cmd_profile, "moto-server": cmd_moto_server}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 1
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
