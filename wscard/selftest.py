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
from .verdict import Outcome, Verdict

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
    """Run the features (the repo's testpaths) with ``--profile`` in a subprocess, in its
    own run folder ``out_dir`` (a temporary folder by default: self-tests never write into
    reports/)."""
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="wscard-selftest-"))
    summary_file = out_dir / "compliance-summary.json"
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
        f"--profile={profile}", f"--run-dir={out_dir}", f"--junitxml={out_dir / 'junit.xml'}", *args,
    ]
    run_env = {**os.environ, **(env or {})}
    run_env.pop("PYTEST_XDIST_WORKER", None)
    run_env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return SuiteRun(Path(profile), proc.returncode, summary, proc.stdout + proc.stderr, out_dir)


#: Verdicts a requirement the profile does not name may end with.
NEUTRAL = {Verdict.PASSED.value, Verdict.NOT_APPLICABLE.value, Verdict.NOT_EVALUATED.value, Verdict.PARTIAL.value}
#: Scenario outcomes that say the run could not look (never accepted unless expected).
TROUBLE = {Outcome.ENVIRONMENT.value, Outcome.ERROR.value, Outcome.NOT_RUN.value}


def compare(run: SuiteRun, profile: Profile) -> list[str]:
    """What differs between the run's verdicts and the profile's [expect] table.

    Expected ``failed`` / ``warning`` / ``not_evaluated`` requirements must end so; every
    other requirement must not fail or warn, and none of its scenarios may end with an
    environment problem, a harness error or not run (that would hide a broken fault
    profile behind "not evaluated"). Skipped scenarios are accepted (a check whose
    precondition is another requirement's failure)."""
    expect = profile.expect
    statuses = run.statuses()
    problems = []
    if not statuses:
        return [f"the run wrote no summary (exit {run.returncode}):\n{run.output[-3000:]}"]
    problems += schema_problems(run.summary)
    if run.summary.get("exit_code") != run.returncode:
        problems.append(f"the summary says exit code {run.summary.get('exit_code')}, the run exited {run.returncode}")
    for rid, status in sorted(statuses.items()):
        want = ("failed" if rid in expect.failed else "warning" if rid in expect.warning
                else "not evaluated" if rid in expect.not_evaluated else None)
        scs = run.summary["requirements"][rid]["scenarios"]
        if want and status != want:
            problems.append(f"{rid}: expected {want}, got {status}: {_details(scs)}")
        elif not want and status not in NEUTRAL:
            problems.append(f"{rid}: expected passed (or not evaluated), got {status}: {_details(scs)}")
        elif not want and any(sc.get("outcome") in TROUBLE for sc in scs):
            problems.append(f"{rid}: a scenario could not run ({_details(scs)}); list it in [expect].not_evaluated "
                            "if the profile means that")
    for rid in list(expect.failed) + list(expect.warning) + list(expect.not_evaluated) + list(expect.passed):
        if rid not in statuses:
            problems.append(f"{rid}: expected a verdict, but no scenario of it ran")
        elif rid in expect.passed and statuses[rid] != "passed":
            problems.append(f"{rid}: expected passed, got {statuses[rid]}")
    text = run.messages()
    for m in expect.messages:
        if m not in text:
            problems.append(f"message {m!r} does not appear in the failures or warnings")
    return problems


def schema_problems(summary: dict) -> list[str]:
    """Where ``summary`` breaks ``wscard/data/summary.schema.json`` ([] when it does not)."""
    import jsonschema

    from .report.summary import SCHEMA_FILE

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [f"summary schema: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in sorted(validator.iter_errors(summary), key=str)][:10]


def _details(scenarios: list[dict]) -> str:
    out = [f"[{sc.get('outcome')}] " + (sc.get("message") or "; ".join(sc.get("warnings", [])))
           for sc in scenarios if sc.get("outcome") not in ("passed", "not applicable")]
    return " | ".join(out)[:700]


def fault_profiles(folder: Path | None = None) -> list[Path]:
    return sorted((folder or ROOT / "profiles" / "faults").glob("*.toml"))


#: Scenarios with an expensive set-up, and the profile sections their verdicts depend on.
#: A fault profile that changes none of those sections cannot change their verdicts, so
#: its self-test leaves them out (the embedded default and the profiles that do change
#: them still run them). The Samba DC costs about 0.8 s a run.
COSTLY_AREAS = {"ad": {"ad", "pki", "aws", "card"}, "hw": {"card", "pki"}}


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
    if "hw" in skip:
        # the card-edge scenarios are left out, so the card need not be a virtual one: a
        # SoftHSM token keeps the run short and off the machine's one pair of virtual readers
        extra.append("--card=softhsm")
    markers = [m for m in [profile.expect.markers] + [f"not {m}" for m in skip] if m]
    if markers:
        extra += ["-m", " and ".join(f"({m})" for m in markers)]
    run = run_suite(path, *extra)
    return run, compare(run, profile)
