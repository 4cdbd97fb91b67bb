"""Each verdict and each exit code of the verdict model, on real runs of the features
(docs/verdicts.md): what did not run is never ``passed``, an environment problem is never a
non-compliance, an interrupted run says so, and every selected scenario appears in every
output (summary, Allure results, JUnit XML)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wscard.selftest import ROOT, run_suite, schema_problems

FAULTS = ROOT / "profiles" / "faults"
EMBEDDED = ROOT / "wscard" / "profiles" / "embedded.toml"


def _results(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (folder / "allure-results").glob("*-result.json")]


def _labels(result: dict, name: str) -> list[str]:
    return [lb["value"] for lb in result.get("labels", []) if lb["name"] == name]


def test_no_pcsc_service_is_not_evaluated_and_never_passed(tmp_path):
    """`-m hw --card pcsc` where no PC/SC service runs: every scenario ends with an
    environment problem, no requirement is passed or failed, exit 6 (not 0, not 1)."""
    run = run_suite(EMBEDDED, "-m", "hw", "--card=pcsc", out_dir=tmp_path,
                    env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")})
    s = run.summary
    assert s and not schema_problems(s), run.output[-3000:]
    assert run.returncode == 6 == s["exit_code"], run.output[-3000:]
    assert set(run.statuses().values()) == {"not evaluated"}, run.statuses()
    counts = s["scenario_counts"]
    assert counts["environment problem"] >= 1
    assert counts["environment problem"] + counts["skipped"] == sum(counts.values()), counts
    # every selected scenario is in the Allure results, with its reason
    results = _results(tmp_path)
    assert len(results) == sum(counts.values())
    broken = [r for r in results if r["status"] == "broken"]
    assert len(broken) == counts["environment problem"]
    assert all("Environment problem" in r["statusDetails"]["message"] for r in broken)


def test_scenarios_that_never_start_are_in_the_summary_and_the_report_with_their_reason(tmp_path, selftest_server):
    run = run_suite(EMBEDDED, "-m", "hw", "--card=softhsm",
                    server=selftest_server, out_dir=tmp_path)
    s = run.summary
    assert run.returncode == 6 == s["exit_code"]
    assert set(run.statuses().values()) == {"not evaluated"}
    n = sum(s["scenario_counts"].values())
    assert n == s["scenario_counts"]["skipped"] > 0
    results = _results(tmp_path)
    assert len(results) == n and {r["status"] for r in results} == {"skipped"}
    one = results[0]
    assert "PC/SC reader" in one["statusDetails"]["message"]
    assert _labels(one, "requirement") and _labels(one, "epic") and _labels(one, "story") == [one["name"]]
    for r in results:
        for e in s["requirements"].values():
            if any(sc["name"] == r["name"] for sc in e["scenarios"]):
                break
        else:
            pytest.fail(f"Allure result {r['name']!r} is not in the summary")


def test_a_warning_is_marked_at_the_top_of_its_result(tmp_path, selftest_server):
    run = run_suite(FAULTS / "aws-ca-expiring-150-days.toml", "-m", "CA-8", "--card=softhsm",
                    server=selftest_server, out_dir=tmp_path)
    assert run.statuses()["CA-8"] == "warning" and run.returncode == 0, run.output[-3000:]
    warned = [r for r in _results(tmp_path) if "warning" in _labels(r, "tag")]
    assert warned, "no Allure result carries the warning tag"
    assert all(r["statusDetails"]["message"].startswith("WARNING: ") for r in warned)


def test_non_compliance_exits_1_and_junit_has_each_property_once(tmp_path, selftest_server):
    run = run_suite(FAULTS / "aws-region-eu-central-1.toml", "-m", "REGION-3", "--card=softhsm",
                    server=selftest_server, out_dir=tmp_path)
    assert run.returncode == 1 == run.summary["exit_code"], run.output[-3000:]
    assert run.statuses()["REGION-3"] == "failed"
    tree = ET.parse(tmp_path / "junit.xml")
    for case in tree.iter("testcase"):
        names = [p.get("name") for p in case.iter("property")]
        assert len(names) == len(set(names)), f"duplicated properties: {names}"
        reqs = next(p.get("value") for p in case.iter("property") if p.get("name") == "requirements")
        assert reqs and "[" not in reqs and all(r.strip() for r in reqs.split(","))
        fail = case.find("failure")
        if fail is not None:
            assert fail.get("message").startswith("NON-COMPLIANT"), fail.get("message")[:200]


HARNESS_ERROR_PLUGIN = '''
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    if "REGION-3" in {m.name for m in request.node.iter_markers()}:
        raise RuntimeError("planted bug in the harness")
'''


def test_a_harness_error_is_neither_a_pass_nor_a_non_compliance(tmp_path):
    (tmp_path / "planted_bug.py").write_text(HARNESS_ERROR_PLUGIN)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    run = run_suite(EMBEDDED, "-m", "REGION-3 and compliance", "--card=softhsm", "-p", "planted_bug",
                    out_dir=tmp_path / "run", env=env)
    assert run.returncode == 3 == run.summary["exit_code"], run.output[-3000:]
    assert run.statuses()["REGION-3"] == "not evaluated"
    assert run.summary["scenario_counts"]["harness error"] >= 1


LOOKALIKE_SKIP_PLUGIN = '''
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    if "REGION-3" in {m.name for m in request.node.iter_markers()}:
        pytest.skip("not applicable: a plain skip whose reason only reads like one")
'''


def test_a_skip_that_only_reads_not_applicable_is_not_evaluated(tmp_path):
    """Only the harness's not-applicable skip (its type) makes a scenario not applicable:
    a plain skip whose reason starts with the same words leaves the requirement not
    evaluated, exit 6, never 0 (the verdict once came from the reason's text)."""
    (tmp_path / "lookalike.py").write_text(LOOKALIKE_SKIP_PLUGIN)
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    run = run_suite(EMBEDDED, "-m", "REGION-3 and compliance", "--card=softhsm", "-p", "lookalike",
                    out_dir=tmp_path / "run", env=env)
    assert run.statuses()["REGION-3"] == "not evaluated", run.output[-3000:]
    assert run.returncode == 6 == run.summary["exit_code"], run.output[-3000:]


def test_a_run_that_selects_nothing_says_so_and_does_not_exit_0(tmp_path, selftest_server):
    run = run_suite(EMBEDDED, "-m", "CA-3 and hw", "--card=softhsm",
                    server=selftest_server, out_dir=tmp_path)
    assert run.returncode == 5 and run.summary.get("exit_code", 5) == 5, run.output[-2000:]


@pytest.mark.parametrize("args, text", [
    (["--profile=/nonexistent/profile.toml"], "profile"),
    (["--run-dir=/proc/version/run"], "run folder"),
    (["--summary-file=/proc/version/s.json"], "summary"),
])
def test_usage_errors_exit_4_before_any_scenario_with_the_place_named(tmp_path, args, text):
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args,
                           *([] if any(a.startswith("--run-dir") for a in args) else [f"--run-dir={tmp_path}"])],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out[-2000:]
    assert text in out and "Traceback" not in out
    assert "passed" not in out


def _default_sigint() -> None:
    """In the child before exec: Ctrl-C's default action. A test session started in the
    background of a non-interactive shell inherits SIGINT ignored, and Python keeps an
    ignored SIGINT ignored, so the run under test would never see the signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("entry", ["pytest", "wscard check"])
def test_an_interrupted_run_is_marked_and_never_the_latest(tmp_path, entry):
    """Ctrl-C in the middle (SIGINT to the whole process group, as a terminal sends it):
    exit 2, `interrupted` in the summary and the report's environment, what did not run is
    `not run` (a scenario interrupted while it ran included), the run is not complete, and
    `wscard check` still writes the summary and the report of what ran."""
    out = tmp_path / "run"
    head = ([sys.executable, "-m", "pytest", "-p", "no:xdist"] if entry == "pytest"
            else [sys.executable, "-m", "wscard.cli", "check"])
    cmd = [*head, "-q", "-p", "no:cacheprovider", "--card=softhsm", f"--run-dir={out}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_default_sigint)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / "plan.json").exists() and len(list((out / "allure-results").glob("*-result.json"))) >= 3:
            break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=180)
    s = json.loads((out / "compliance-summary.json").read_text())
    assert proc.returncode == 2 == s["exit_code"], output[-3000:]
    assert s["interrupted"] is True and s["complete"] is False
    assert s["scenario_counts"]["not run"] > 0
    assert not schema_problems(s)
    plan = json.loads((out / "plan.json").read_text())
    assert sum(s["scenario_counts"].values()) == len(plan["scenarios"])
    # every scenario the summary counts passed is passed in the report, but one: the scenario
    # whose teardown the signal hit may be written by Allure as interrupted
    allure_passed = len([1 for r in _results(tmp_path / "run") if r["status"] == "passed"])
    assert s["scenario_counts"]["passed"] - 1 <= allure_passed <= s["scenario_counts"]["passed"]
    assert "passed" not in {e["status"] for e in s["requirements"].values()
                            if e["counts"].get("not run")}
    env = (out / "allure-results" / "environment.properties").read_text()
    assert "interrupted=YES" in env.replace(" ", "").replace("\\", "")
    assert "INTERRUPTED" in output
    if entry == "wscard check":
        assert (out / "compliance-report.html").exists() and "Traceback" not in output


def test_a_folder_that_holds_a_run_is_refused(tmp_path, selftest_server):
    first = run_suite(EMBEDDED, "-m", "REGION-3 and compliance", "--card=softhsm", server=selftest_server,
                      out_dir=tmp_path / "run")
    assert first.returncode == 0
    before = sorted(p.name for p in (tmp_path / "run" / "allure-results").iterdir())
    again = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "CA-3",
                            f"--run-dir={tmp_path / 'run'}"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 4 and "already holds a run" in again.stdout + again.stderr
    assert sorted(p.name for p in (tmp_path / "run" / "allure-results").iterdir()) == before


def test_later_runs_never_replace_the_latest_complete_run(tmp_path):
    """A full run, then `-m CA-3`, then a run killed with SIGKILL: the full run's folder is
    intact and still reports/latest (here $WSCARD_RESULTS_DIR)."""
    env = {**os.environ, "WSCARD_RESULTS_DIR": str(tmp_path)}
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--card=softhsm"]
    full = subprocess.run(base, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert full.returncode in (0, 6), full.stdout[-3000:]  # 6: the @hw scenarios on SoftHSM
    first = (tmp_path / "latest").read_text().strip()
    folder = tmp_path / "runs" / first
    files_before = sorted(p.name for p in (folder / "allure-results").iterdir())
    summary_before = (folder / "compliance-summary.json").read_text()
    assert json.loads(summary_before)["complete"] is True

    part = subprocess.run([*base, "-m", "CA-3"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert part.returncode == 0, part.stdout[-3000:]
    killed = subprocess.Popen(base, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((tmp_path / "runs").iterdir())) < 3:
        time.sleep(0.1)
    time.sleep(2)
    killed.kill()
    killed.wait(timeout=30)

    assert (tmp_path / "latest").read_text().strip() == first
    assert sorted(p.name for p in (folder / "allure-results").iterdir()) == files_before
    assert (folder / "compliance-summary.json").read_text() == summary_before
    assert len(list((tmp_path / "runs").iterdir())) == 3  # each run its own folder


def test_two_runs_at_once_in_one_checkout_never_mix(tmp_path):
    env = {**os.environ, "WSCARD_RESULTS_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--card=softhsm", "-m",
           "compliance and not hw"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[-2000:] for o in outs]
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 2
    for f in folders:
        s = json.loads((f / "compliance-summary.json").read_text())
        plan = json.loads((f / "plan.json").read_text())
        n = sum(s["scenario_counts"].values())
        assert n == len(plan["scenarios"]) > 0
        assert len(list((f / "allure-results").glob("*-result.json"))) == n, f"{f.name}: results mixed or lost"
