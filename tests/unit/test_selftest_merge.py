"""A fault profile's self-test split in two runs (the card-edge scenarios on the virtual
card, the rest on SoftHSM) is judged as one run: wscard.selftest.merge_runs and compare."""

from __future__ import annotations

from pathlib import Path

from wscard import selftest as S
from wscard.profile import load_profile
from wscard.report import summary as summary_mod
from wscard.verdict import ExitCode, run_exit_code

ROOT = Path(__file__).resolve().parents[2]


def part(tmp_path: Path, name: str, outcomes: dict[str, tuple[list[str], str]], returncode: int | None = None):
    """A run over the scenarios ``outcomes`` (nodeid -> (requirements, outcome)), with the
    summary the harness writes (schema-valid) and its exit code."""
    scs = [summary_mod.ScenarioOutcome(nodeid=n, name=n, feature="f", requirements=reqs, outcome=o,
                                       message=f"{o}: {n}" if o != "passed" else "")
           for n, (reqs, o) in outcomes.items()]
    data = summary_mod.build(scs, profile="fault", baseline="seed")
    code = int(run_exit_code((e["status"] for e in data["requirements"].values()), (s.outcome for s in scs)))
    data.update({"exit_code": code})
    return S.SuiteRun(Path("fault.toml"), code if returncode is None else returncode, data, f"{name} output",
                      tmp_path / name)


def test_a_requirement_judged_in_both_runs_fails_if_either_half_fails(tmp_path):
    card = part(tmp_path, "card", {"card::uc5": (["UC-5"], "passed")})
    soft = part(tmp_path, "soft", {"pki::uc5": (["UC-5"], "failed"), "pki::ca1": (["CA-1", "CA-2"], "passed")})
    run = S.merge_runs([soft, card])
    assert run.statuses() == {"UC-5": "failed", "CA-1": "passed", "CA-2": "passed"}
    assert run.returncode == int(ExitCode.NON_COMPLIANT) == run.summary["exit_code"]
    # a scenario of two requirements is one scenario, not two
    assert run.summary["scenario_counts"]["passed"] == 2 and run.summary["scenario_counts"]["failed"] == 1
    assert "failed: pki::uc5" in run.messages()
    assert run.parts == [soft, card] and "card output" in run.output and "soft output" in run.output


def test_a_half_that_could_not_run_is_not_hidden_by_the_other(tmp_path):
    card = part(tmp_path, "card", {"card::uc5": (["UC-5"], "environment problem")})
    soft = part(tmp_path, "soft", {"pki::uc5": (["UC-5"], "passed")})
    run = S.merge_runs([soft, card])
    assert run.statuses()["UC-5"] == "partially evaluated"
    problems = S.compare(run, load_profile(ROOT / "wscard" / "profiles" / "embedded.toml"))
    assert any("UC-5" in p for p in problems), problems


def test_each_run_s_own_exit_code_is_checked_against_its_summary(tmp_path):
    card = part(tmp_path, "card", {"card::uc5": (["UC-5"], "passed")}, returncode=3)  # a crash after the summary
    soft = part(tmp_path, "soft", {"pki::ca1": (["CA-1"], "passed")})
    problems = S.compare(S.merge_runs([soft, card]), load_profile(ROOT / "wscard" / "profiles" / "embedded.toml"))
    assert any("the summary says exit code 0, the run exited 3" in p for p in problems), problems


def test_the_card_edge_areas_are_read_from_the_features():
    assert S.hw_areas() == {"card", "in_session"}
