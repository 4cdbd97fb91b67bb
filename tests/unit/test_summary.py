"""The verdict model (wscard.verdict) and the summary built from it: how scenario outcomes
combine into requirement verdicts and a run's exit code, and the summary's schema."""

from __future__ import annotations

import json
import stat

import pytest

from wscard.report import summary as sm
from wscard.verdict import ExitCode, Outcome, Verdict, requirement_verdict, run_exit_code

P, W, F, S, E, H, N, NA = ("passed", "warning", "failed", "skipped", "environment problem", "harness error",
                           "not run", "not applicable")


@pytest.mark.parametrize("outcomes, verdict", [
    ([P, P], Verdict.PASSED),
    ([P, W], Verdict.WARNING),
    ([W, F], Verdict.FAILED),
    ([P, E, F], Verdict.FAILED),           # a non-compliance found is a failure whatever else happened
    ([P, E], Verdict.PARTIAL),             # an environment problem is never a non-compliance...
    ([P, H], Verdict.PARTIAL),             # ...nor is a harness error, and neither is a pass
    ([S, P], Verdict.PARTIAL),             # what did not run is not passed
    ([W, N], Verdict.PARTIAL),
    ([S], Verdict.NOT_EVALUATED),
    ([E, E], Verdict.NOT_EVALUATED),
    ([H], Verdict.NOT_EVALUATED),
    ([N], Verdict.NOT_EVALUATED),
    ([], Verdict.NOT_EVALUATED),
    ([P, NA], Verdict.PASSED),             # another scenario covers the variant
    ([NA], Verdict.NOT_APPLICABLE),
    ([NA, S], Verdict.NOT_EVALUATED),
])
def test_requirement_verdict(outcomes, verdict):
    rv = requirement_verdict(outcomes)
    assert rv.verdict is verdict
    assert rv.selected == len(outcomes)
    assert sum(rv.counts.values()) == len(outcomes)


@pytest.mark.parametrize("verdicts, outcomes, interrupted, code", [
    ([Verdict.PASSED, Verdict.WARNING], [P, W], False, ExitCode.COMPLIANT),
    ([Verdict.PASSED, Verdict.NOT_APPLICABLE], [P, NA], False, ExitCode.COMPLIANT),
    ([Verdict.FAILED, Verdict.NOT_EVALUATED], [F, E], False, ExitCode.NON_COMPLIANT),
    ([Verdict.FAILED], [F, H], False, ExitCode.NON_COMPLIANT),
    ([Verdict.PARTIAL], [P, H], False, ExitCode.HARNESS_ERROR),
    ([Verdict.NOT_EVALUATED], [E], False, ExitCode.NOT_FULLY_EVALUATED),
    ([Verdict.PASSED, Verdict.PARTIAL], [P, P, S], False, ExitCode.NOT_FULLY_EVALUATED),
    ([Verdict.PASSED], [P], True, ExitCode.INTERRUPTED),
    ([], [], False, ExitCode.NOTHING_SELECTED),
])
def test_run_exit_code(verdicts, outcomes, interrupted, code):
    assert run_exit_code(verdicts, outcomes, interrupted=interrupted) is code


def test_exit_codes_are_distinct_and_keep_pytests_meanings():
    assert len({int(c) for c in ExitCode}) == len(ExitCode)
    assert (ExitCode.INTERRUPTED, ExitCode.USAGE_ERROR, ExitCode.NOTHING_SELECTED) == (
        pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)


def _scenarios():
    return [
        sm.ScenarioOutcome("a", "A", "F", ["CA-5"], P),
        sm.ScenarioOutcome("b", "B", "F", ["CA-5", "CA-4"], F,
                           "NON-COMPLIANT [CA-4] title\n  - root: expires in 60 days Fix: renew it"),
        sm.ScenarioOutcome("c", "C", "F", ["CA-8"], W, warnings=["expires soon"]),
        sm.ScenarioOutcome("d", "D", "F", ["CARD-1"], S, "the card-edge scenario needs a card in a PC/SC reader"),
        sm.ScenarioOutcome("e", "E", "F", ["UC-6"], E, "Environment problem: no pcscd"),
        sm.ScenarioOutcome("f", "F2", "F", ["UC-6"], P),
    ]


def test_build_groups_by_requirement_counts_and_gives_reasons(tmp_path):
    data = sm.build(_scenarios(), profile="p.toml", baseline="seed", run={"run_id": "r1", "exit_code": 1})
    assert sm.verdicts(data) == {"CA-4": F, "CA-5": F, "UC-6": "partially evaluated", "CARD-1": "not evaluated",
                                 "CA-8": W}
    assert list(data["requirements"]) == ["CA-4", "CA-5", "CA-8", "UC-6", "CARD-1"]
    assert data["counts"] == {P: 0, W: 1, F: 2, "partially evaluated": 1, "not evaluated": 1, NA: 0}
    assert data["scenario_counts"][E] == 1 and data["scenario_counts"][S] == 1
    assert data["requirements"]["CA-4"]["reasons"] == ["failed: root: expires in 60 days Fix: renew it"]
    assert data["requirements"]["UC-6"]["reasons"] == ["environment problem: no pcscd"]
    assert data["requirements"]["UC-6"]["selected"] == 2
    assert data["run_id"] == "r1" and data["schema_version"] == sm.SCHEMA_VERSION
    assert "KCD-1" in data["not_covered_by_this_run"]
    path = sm.write(data, tmp_path / "s.json")
    assert json.loads(path.read_text())["profile"] == "p.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_table_has_a_reason_for_everything_not_passed():
    data = sm.build(_scenarios(), profile="p.toml", baseline="seed", run={"exit_code": 1, "interrupted": True})
    table = sm.table(data)
    line = {ln.split()[0]: ln for ln in table.splitlines() if ln.split() and ln.split()[0] in data["requirements"]}
    assert "expires in 60 days Fix: renew it" in line["CA-4"]
    assert "warning: expires soon" in line["CA-8"]
    assert "PC/SC reader" in line["CARD-1"] and "0/1" in line["CARD-1"]
    assert "no pcscd" in line["UC-6"] and "1/2" in line["UC-6"]
    assert "INTERRUPTED" in table and "exit code 1: non-compliant" in table


def test_summary_validates_against_its_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(sm.SCHEMA_FILE.read_text())
    data = sm.build(_scenarios(), profile="p.toml", baseline="seed", run=_run())
    jsonschema.validate(data, schema)
    broken = dict(data, counts={**data["counts"], "skipped": 1})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    wrong = json.loads(json.dumps(data))
    wrong["requirements"]["CA-4"]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)


def _run() -> dict:
    return {"run_id": "20261130T000000Z-abcdef", "run_folder": "/tmp/x", "started": "2026-11-30T00:00:00+00:00",
            "ended": "2026-11-30T00:00:10+00:00", "exit_code": 1, "exit_meaning": sm.exit_meaning(1),
            "interrupted": False, "complete": True, "command": ["-q"],
            "harness": {"version": "0.1.0", "git_commit": "abc"}, "components": {"moto": "5.2.5"},
            "profile_path": "builtin:embedded", "profile_sha256": "0" * 64,
            "environment": {"aws mode": "embedded"}}


def test_write_with_fallback_keeps_the_summary_when_the_place_is_unwritable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    data = sm.build(_scenarios(), profile="p", baseline="seed")
    where, note = sm.write_with_fallback(data, blocker / "s.json", [tmp_path / "run"])
    assert where == tmp_path / "run" / "s.json" and json.loads(where.read_text())["profile"] == "p"
    assert "could not write the summary" in note and str(where) in note


def test_reason_line_starts_with_the_problem():
    assert sm.reason_line("NON-COMPLIANT [CA-3] CA certificates are PEM\n  - ca.der: not PEM Fix: x") == \
        "ca.der: not PEM Fix: x"
    assert sm.reason_line("Skipped: no reader") == "no reader"
    assert sm.reason_line("Environment problem: AWS unreachable") == "AWS unreachable"


def test_outcome_values_are_the_schema_enum():
    schema = json.loads(sm.SCHEMA_FILE.read_text())
    assert set(schema["$defs"]["outcome"]["enum"]) == {o.value for o in Outcome}
    assert set(schema["$defs"]["verdict"]["enum"]) == {v.value for v in Verdict}


def test_selftest_leaves_out_costly_areas_only_when_their_inputs_are_unchanged(tmp_path):
    from wscard.selftest import COSTLY_AREAS, changed_sections

    p = tmp_path / "f.toml"
    p.write_text('extends = "embedded"\n[client]\nversion = "3.1.0"\n[expect]\nfailed = ["CLIENT-1"]\n')
    assert changed_sections(p) == {"client"}
    assert not changed_sections(p) & COSTLY_AREAS["ad"]
    assert not changed_sections(p) & COSTLY_AREAS["hw"]
    p.write_text('extends = "embedded"\n[aws]\nregion = "eu-central-1"\n')
    assert changed_sections(p) & COSTLY_AREAS["ad"]  # KCD-5 reads AD Connector's account name
    p.write_text('extends = "embedded"\n[pki]\nca_days_left = 60\n')
    assert changed_sections(p) & COSTLY_AREAS["ad"]
    p.write_text('[aws]\nregion = "us-east-1"\n')
    assert changed_sections(p) is None


@pytest.mark.parametrize("act, outcome", [
    (lambda r: None, Outcome.PASSED),
    (lambda r: r.warn("x", "y"), Outcome.WARNING),
    (lambda r: (r.warn("x", "y"), r.fail("x", "y")), Outcome.FAILED),
    (lambda r: r.skip("no reader"), Outcome.SKIPPED),
    (lambda r: r.not_applicable("no Linux WorkSpace"), Outcome.NOT_APPLICABLE),
])
def test_a_check_results_outcome_is_mapped_once(act, outcome):
    from wscard.checks import CheckResult
    from wscard.verdict import outcome_of

    r = CheckResult("CA-5", "t")
    act(r)
    assert outcome_of(r) is outcome
