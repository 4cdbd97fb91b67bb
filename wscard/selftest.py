"""Self-tests of the harness: run the compliance suite on a profile in a separate
process and compare the per-requirement verdicts with what the profile expects.

A fault profile's ``[expect]`` table names the requirements that must fail and those
that must end with a warning; every other requirement must pass or be skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .profile import Profile, load_profile

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    profile: Path
    returncode: int
    summary: dict
    output: str
    out_dir: Path

    def statuses(self) -> dict[str, str]:
        return {rid: e["status"] for rid, e in self.summary.get("requirements", {}).items()}

    def messages(self) -> str:
        texts = []
        for e in self.summary.get("requirements", {}).values():
            for sc in e.get("scenarios", []):
                texts.append(sc.get("message", ""))
                texts += sc.get("warnings", [])
        return "\n".join(texts)


def run_suite(profile: Path | str, *args: str, out_dir: Path | None = None, env: dict | None = None,
              timeout: float = 600) -> SuiteRun:
    """Run the features (the repo's testpaths) with ``--profile`` in a subprocess."""
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="wscard-selftest-"))
    summary_file = out_dir / "compliance-summary.json"
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
        "--profile", str(profile), "--summary-file", str(summary_file),
        f"--alluredir={out_dir / 'allure-results'}", f"--junitxml={out_dir / 'junit.xml'}", *args,
    ]
    run_env = {**os.environ, **(env or {})}
    run_env.pop("PYTEST_XDIST_WORKER", None)
    run_env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return SuiteRun(Path(profile), proc.returncode, summary, proc.stdout + proc.stderr, out_dir)


def compare(run: SuiteRun, profile: Profile) -> list[str]:
    """What differs between the run's verdicts and the profile's [expect] table."""
    expect = profile.expect
    statuses = run.statuses()
    problems = []
    if not statuses:
        return [f"the run wrote no summary (exit {run.returncode}):\n{run.output[-3000:]}"]
    for rid, status in sorted(statuses.items()):
        want = "failed" if rid in expect.failed else "warning" if rid in expect.warning else None
        if want and status != want:
            problems.append(f"{rid}: expected {want}, got {status}")
        if not want and status in ("failed", "warning"):
            details = [
                sc.get("message") or "; ".join(sc.get("warnings", []))
                for sc in run.summary["requirements"][rid]["scenarios"]
                if sc.get("outcome") in ("failed", "broken", "warning")
            ]
            problems.append(f"{rid}: expected passed or skipped, got {status}: {' | '.join(details)[:600]}")
    for rid in list(expect.failed) + list(expect.warning) + list(expect.passed):
        if rid not in statuses:
            problems.append(f"{rid}: expected a verdict, but no scenario of it ran")
        elif rid in expect.passed and statuses[rid] != "passed":
            problems.append(f"{rid}: expected passed, got {statuses[rid]}")
    text = run.messages()
    for m in expect.messages:
        if m not in text:
            problems.append(f"message {m!r} does not appear in the failures or warnings")
    return problems


def fault_profiles(folder: Path | None = None) -> list[Path]:
    return sorted((folder or ROOT / "profiles" / "faults").glob("*.toml"))


#: Scenarios with an expensive set-up, and the profile sections their verdicts depend on.
#: A fault profile that changes none of those sections cannot change their verdicts, so
#: its self-test leaves them out (the embedded default and the profiles that do change
#: them still run them). The Samba DC costs about 0.8 s a run.
COSTLY_AREAS = {"ad": {"ad", "pki"}}


def changed_sections(path: Path) -> set[str] | None:
    """The sections a profile file changes from the profile it extends; None when it
    extends nothing (it then describes everything itself)."""
    import tomllib

    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    if "extends" not in data:
        return None
    return {k for k in data if k not in ("extends", "expect", "profile")}


def check_profile(path: Path, *args: str) -> tuple[SuiteRun, list[str]]:
    profile = load_profile(path)
    extra = list(args)
    changed = changed_sections(path)
    skip = [] if changed is None else [m for m, inputs in COSTLY_AREAS.items() if not changed & inputs]
    markers = [m for m in [profile.expect.markers] + [f"not {m}" for m in skip] if m]
    if markers:
        extra += ["-m", " and ".join(f"({m})" for m in markers)]
    run = run_suite(path, *extra)
    return run, compare(run, profile)
