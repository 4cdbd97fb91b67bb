"""The per-requirement summary: how scenario outcomes combine."""

from __future__ import annotations

import json
import stat

import pytest

from wscard.report import summary as sm


@pytest.mark.parametrize("outcomes, status", [
    (["passed", "passed"], "passed"),
    (["passed", "warning"], "warning"),
    (["warning", "failed"], "failed"),
    (["passed", "broken"], "failed"),
    (["skipped", "passed"], "passed"),
    (["skipped"], "skipped"),
    ([], "skipped"),
])
def test_requirement_status(outcomes, status):
    assert sm.requirement_status(outcomes) == status


def test_build_groups_by_requirement_and_counts(tmp_path):
    scs = [
        sm.ScenarioOutcome("a", "A", "F", ["CA-5"], "passed"),
        sm.ScenarioOutcome("b", "B", "F", ["CA-5", "CA-4"], "failed", "NON-COMPLIANT ...", kind="non-compliance"),
        sm.ScenarioOutcome("c", "C", "F", ["CA-8"], "warning", warnings=["expires soon"]),
    ]
    data = sm.build(scs, profile="p.toml", baseline="seed")
    assert {r: e["status"] for r, e in data["requirements"].items()} == {"CA-4": "failed", "CA-5": "failed",
                                                                         "CA-8": "warning"}
    assert list(data["requirements"]) == ["CA-4", "CA-5", "CA-8"]
    assert data["counts"] == {"passed": 0, "failed": 2, "warning": 1, "skipped": 0}
    assert "KCD-1" in data["not_covered_by_this_run"]
    path = sm.write(data, tmp_path / "s.json")
    assert json.loads(path.read_text())["profile"] == "p.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    table = sm.table(data)
    assert "CA-4" in table and "failed" in table and "profile p.toml, baseline seed" in table


def test_selftest_leaves_out_costly_areas_only_when_their_inputs_are_unchanged(tmp_path):
    from wscard.selftest import COSTLY_AREAS, changed_sections

    p = tmp_path / "f.toml"
    p.write_text('extends = "embedded"\n[aws]\nregion = "eu-central-1"\n[expect]\nfailed = ["REGION-3"]\n')
    assert changed_sections(p) == {"aws"}
    assert not changed_sections(p) & COSTLY_AREAS["ad"]
    p.write_text('extends = "embedded"\n[pki]\nca_days_left = 60\n')
    assert changed_sections(p) & COSTLY_AREAS["ad"]
    p.write_text('[aws]\nregion = "us-east-1"\n')
    assert changed_sections(p) is None
