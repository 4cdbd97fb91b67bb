"""``[expect] passed``: a trap names the requirements that must pass outright, so a trap
whose scenario was skipped (the false "not installed" it exists to catch) fails."""

from __future__ import annotations

import pytest

from wscard.errors import ProfileError
from wscard.profile import load_profile
from wscard.selftest import SuiteRun, compare


def _run(outcomes: dict[str, str]) -> SuiteRun:
    """A run whose one scenario per requirement ended with ``outcomes[rid]``."""
    from wscard.report import summary as sm

    scs = [sm.ScenarioOutcome(f"n{i}", rid, "F", [rid], out, "skipped on purpose" if out == "skipped" else "")
           for i, (rid, out) in enumerate(outcomes.items())]
    from tests.unit.test_summary import _run as run_identity

    code = 0 if all(o == "passed" for o in outcomes.values()) else 6
    run = {**run_identity(), "exit_code": code, "exit_meaning": sm.exit_meaning(code)}
    return SuiteRun(None, code, sm.build(scs, profile="p", baseline="seed", run=run), "", None)


def _trap(tmp_path, passed: list[str]):
    p = tmp_path / "trap.toml"
    p.write_text('extends = "embedded"\n[expect]\nfailed = []\npassed = ' + repr(passed).replace("'", '"') + "\n")
    return load_profile(p)


def test_a_skipped_requirement_does_not_satisfy_passed(tmp_path):
    profile = _trap(tmp_path, ["SESSION-4"])
    assert compare(_run({"SESSION-4": "passed"}), profile) == []
    assert compare(_run({"SESSION-4": "skipped"}), profile) == ["SESSION-4: expected passed, got not evaluated"]
    assert compare(_run({"SESSION-3": "passed"}), profile) == ["SESSION-4: expected a verdict, but no scenario of it ran"]


def test_passed_and_failed_together_is_refused(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('extends = "embedded"\n[expect]\nfailed = ["SESSION-4"]\npassed = ["SESSION-4"]\n')
    with pytest.raises(ProfileError, match="cannot both pass and fail"):
        load_profile(p)
