"""A fault profile's self-test split in two runs (the card-edge scenarios on the virtual
card, the rest on SoftHSM) is judged as one run: wscard.selftest.merge_runs, compare and
which profiles are split (split_for_card)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wscard import selftest as S
from wscard.profile import load_profile
from wscard.report import summary as summary_mod
from wscard.verdict import ExitCode, run_exit_code

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = load_profile(ROOT / "wscard" / "profiles" / "embedded.toml")
FAULTS = ROOT / "profiles" / "faults"


def part(tmp_path: Path, name: str, outcomes: dict[str, tuple[list[str], str]], returncode: int | None = None):
    """A run over the scenarios ``outcomes`` (nodeid -> (requirements, outcome)), with the
    summary the harness writes (schema-valid: compare() finds nothing to say about it) and
    its exit code (``returncode`` overrides what the process exited with)."""
    scs = [summary_mod.ScenarioOutcome(nodeid=n, name=n, feature="f", requirements=reqs, outcome=o,
                                       message=f"{o}: {n}" if o != "passed" else "")
           for n, (reqs, o) in outcomes.items()]
    judged = summary_mod.build(scs, profile="embedded", baseline="seed")["requirements"].values()
    code = int(run_exit_code((e["status"] for e in judged), (s.outcome for s in scs)))
    run = {"run_id": name, "started": "2026-11-30T10:00:00+00:00", "ended": "2026-11-30T10:00:05+00:00",
           "exit_code": code, "exit_meaning": summary_mod.exit_meaning(code), "interrupted": False,
           "complete": True, "harness": {"version": "0.1.0", "git_commit": ""}, "components": {},
           "profile_path": "builtin:embedded", "profile_sha256": "0" * 64}
    data = summary_mod.build(scs, profile="embedded", baseline="seed", run=run)
    assert not S.schema_problems(data)
    return S.SuiteRun(Path("fault.toml"), code if returncode is None else returncode, data, f"{name} output",
                      tmp_path / name)


def test_a_clean_split_compares_clean(tmp_path):
    card = part(tmp_path, "card", {"card::uc5": (["UC-5"], "passed"), "card::card1": (["CARD-1"], "passed")})
    soft = part(tmp_path, "soft", {"pki::uc5": (["UC-5"], "passed"), "pki::ca1": (["CA-1", "CA-2"], "passed")})
    run = S.merge_runs([soft, card])
    assert run.returncode == 0 == run.summary["exit_code"]
    assert S.compare(run, EMBEDDED) == []


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
    problems = S.compare(run, EMBEDDED)
    assert problems and all("UC-5" in p for p in problems), problems


def test_a_half_that_could_not_run_is_not_hidden_by_the_other(tmp_path):
    card = part(tmp_path, "card", {"card::uc5": (["UC-5"], "environment problem")})
    soft = part(tmp_path, "soft", {"pki::uc5": (["UC-5"], "passed")})
    run = S.merge_runs([soft, card])
    assert run.statuses()["UC-5"] == "partially evaluated"
    problems = S.compare(run, EMBEDDED)
    assert any("UC-5" in p for p in problems), problems


@pytest.mark.parametrize("code, merged", [(ExitCode.INTERRUPTED, 2), (ExitCode.HARNESS_ERROR, 1), (254, 1)])
def test_a_half_s_own_exit_code_is_not_lost(tmp_path, code, merged):
    """An interrupted half makes the whole interrupted, whatever its scenarios say; a
    harness error (or a crash: a code that is no exit code of the harness) ranks below a
    non-compliance, as in one run (run_exit_code)."""
    card = part(tmp_path, "card", {"card::uc5": (["UC-5"], "passed")}, returncode=int(code))
    soft = part(tmp_path, "soft", {"pki::uc8": (["UC-8"], "failed")})
    assert S.merge_runs([soft, card]).returncode == merged
    clean = part(tmp_path, "clean", {"pki::ca1": (["CA-1"], "passed")})
    assert S.merge_runs([clean, card]).returncode == (2 if code == ExitCode.INTERRUPTED else 3)


def test_each_run_s_own_exit_code_is_checked_against_its_summary(tmp_path):
    card = part(tmp_path, "card", {"card::uc5": (["UC-5"], "passed")}, returncode=3)  # a crash after the summary
    soft = part(tmp_path, "soft", {"pki::ca1": (["CA-1"], "passed")})
    problems = S.compare(S.merge_runs([soft, card]), EMBEDDED)
    assert problems == ["the summary says exit code 0, the run exited 3"], problems


def test_which_profiles_are_split():
    # a [pki] fault whose certificates the card holds: the card edge on the virtual card, the rest on SoftHSM
    assert S.split_for_card(FAULTS / "pki-user-expired.toml", full=False)
    # what the card must do changes (its key's algorithm): whole on the virtual card
    assert not S.split_for_card(FAULTS / "pki-user-rsa1024.toml", full=False)
    assert not S.split_for_card(FAULTS / "pki-ec-p256.toml", full=False)
    # a [card] fault, a family head (one run guards the effects between areas), a profile with no card edge
    assert not S.split_for_card(FAULTS / "card-two-cards.toml", full=False)
    assert not S.split_for_card(FAULTS / "pki-user-expired.toml", full=True)
    assert not S.split_for_card(FAULTS / "guest-ca-missing.toml", full=False)


def test_the_card_edge_areas_are_read_from_the_features():
    assert S.hw_areas() == {"card", "in_session"}


def _recording(monkeypatch, tmp_path, card_summary: dict, card_code: int, turn_busy: bool = False):
    """check_profile with run_suite recorded (each call's arguments) and the virtual
    card's turn a no-op (``turn_busy``: another run holds it when first asked without
    waiting): what runs, on which card, with which markers, in which order."""
    import contextlib

    from wscard.errors import EnvironmentProblem

    calls = []

    def turn(wait: float = 1800):
        calls.append(f"turn wait={wait:g}")
        if turn_busy and wait == 0:
            raise EnvironmentProblem("another self-test run has held the virtual card for 0 s")
        return contextlib.nullcontext()

    def fake_run_suite(profile, *args, out_dir=None, **kw):
        calls.append(list(args))
        if "--card=auto" in args:
            return S.SuiteRun(Path(profile), card_code, card_summary, "", Path(out_dir))
        return part(tmp_path, Path(out_dir).name, {"pki::ca1": (["CA-1"], "passed")})

    monkeypatch.setattr(S, "run_suite", fake_run_suite)
    monkeypatch.setattr(S, "virtual_card_turn", turn)
    return calls


def test_the_card_half_names_its_card_and_the_rest_runs_on_softhsm(monkeypatch, tmp_path):
    """``-m hw`` without ``--card`` would take a real reader (steps/card_plugin.py): the
    card half says ``--card=auto``; the other half ``--card=softhsm`` and ``not hw``."""
    card = part(tmp_path, "virtual-card", {"card::uc5": (["UC-5"], "passed")})
    calls = _recording(monkeypatch, tmp_path, card.summary, 0)
    run, _ = S.check_profile(FAULTS / "pki-user-expired.toml", full=False, inputs=None, out_dir=tmp_path / "run")
    turn, first, second = calls
    assert turn == "turn wait=0"  # the turn was free: the card half first
    assert "--card=auto" in first and first[first.index("-m") + 1].endswith("(hw)")
    assert "--card=softhsm" in second and "(not hw)" in second[second.index("-m") + 1]
    assert len(run.parts) == 2


def test_while_another_run_holds_the_card_the_softhsm_half_runs_first(monkeypatch, tmp_path):
    """The worker does the half it can do instead of waiting for the virtual card; the
    same two runs, merged the same way."""
    card = part(tmp_path, "virtual-card", {"card::uc5": (["UC-5"], "passed")})
    calls = _recording(monkeypatch, tmp_path, card.summary, 0, turn_busy=True)
    run, problems = S.check_profile(FAULTS / "pki-user-expired.toml", full=False, inputs=None,
                                    out_dir=tmp_path / "run")
    asked, soft, waited, on_card = calls
    assert (asked, waited) == ("turn wait=0", "turn wait=1800")
    assert "--card=softhsm" in soft and "--card=auto" in on_card
    assert len(run.parts) == 2 and run.statuses() == {"CA-1": "passed", "UC-5": "passed"}


@pytest.mark.parametrize("turn_busy", [False, True])
def test_markers_that_leave_no_card_edge_scenario_run_on_softhsm_alone(monkeypatch, tmp_path, turn_busy):
    """The card half selects nothing: the SoftHSM half (run once, before or after) is the
    profile's run; nothing runs whole on the virtual card."""
    calls = _recording(monkeypatch, tmp_path, {}, int(ExitCode.NOTHING_SELECTED), turn_busy=turn_busy)
    run, _ = S.check_profile(FAULTS / "pki-uc7-upn-only.toml", full=False, inputs=None, out_dir=tmp_path / "run")
    runs = [c for c in calls if isinstance(c, list)]
    assert len(runs) == 2 and sum("--card=auto" in c for c in runs) == 1
    soft = next(c for c in runs if "--card=auto" not in c)
    assert "--card=softhsm" in soft and "(not hw)" in soft[soft.index("-m") + 1]
    assert not run.parts and run.statuses() == {"CA-1": "passed"}
