"""Every fault profile makes exactly its requirement(s) fail (or warn), and the
embedded default passes everything: the harness catches what it claims to catch."""

from __future__ import annotations

import pytest

from wscard.selftest import ROOT, check_profile, fault_profiles

PROFILES = fault_profiles()


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_fault_profile_fails_exactly_its_requirement(path):
    from wscard.profile import load_profile

    run, problems = check_profile(path)
    expect = load_profile(path).expect
    if expect.failed and run.returncode != 1:
        problems.append(f"a non-compliant environment must exit 1, not {run.returncode}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems) + f"\n--- output tail ---\n{run.output[-2500:]}"


def test_embedded_default_is_compliant():
    """The compliant default passes every catalogue requirement, every scenario reaching a
    verdict (the virtual PIV card where the emulated stack is installed: docs/verdicts.md)."""
    from wscard.requirements import catalogue

    run, problems = check_profile(ROOT / "wscard" / "profiles" / "embedded.toml")
    assert not problems, "\n".join(problems)
    statuses = run.statuses()
    assert set(statuses) == set(catalogue()), sorted(set(catalogue()) - set(statuses))
    assert set(statuses.values()) == {"passed"}, {r: s for r, s in statuses.items() if s != "passed"}
    assert run.returncode == 0, run.output[-3000:]
