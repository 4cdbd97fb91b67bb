"""Every fault profile makes exactly its requirement(s) fail (or warn), and the
embedded default passes everything: the harness catches what it claims to catch."""

from __future__ import annotations

import pytest

from wscard.selftest import ROOT, check_profile, fault_profiles

PROFILES = fault_profiles()


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_fault_profile_fails_exactly_its_requirement(path):
    run, problems = check_profile(path)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems) + f"\n--- output tail ---\n{run.output[-2500:]}"


def test_embedded_default_is_compliant():
    run, problems = check_profile(ROOT / "wscard" / "profiles" / "embedded.toml")
    assert not problems, "\n".join(problems)
    statuses = run.statuses()
    assert statuses and set(statuses.values()) <= {"passed", "skipped"}, statuses
    assert run.returncode == 0, run.output[-3000:]
