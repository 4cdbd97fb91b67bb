"""Every fault profile makes exactly its requirement(s) fail (or warn): the harness
catches what it claims to catch. (That the embedded default passes everything is
tests/selftest/test_main_job.py's first test: the main job as a user runs it.)

Runs go through a fork server (wscard.selftest.ForkServer: the harness imported once per
worker, a forked child per run) where the platform has os.fork, else one pytest process
each (WSCARD_SELFTEST_SUBPROCESS=1 forces that). A fault profile runs the areas that
read a section it changes (wscard.selftest.area_inputs, measured on the embedded default);
one profile of each family (the same changed sections) runs the whole suite. See
docs/ARCHITECTURE.md, "Self-test of the fault profiles"."""

from __future__ import annotations

import pytest

from wscard.selftest import check_profile, family_heads, fault_profiles

PROFILES = fault_profiles()
HEADS = family_heads(PROFILES)


PARAMS = [pytest.param(p, id=p.stem + ("-whole-suite" if p in HEADS else "")) for p in PROFILES]


@pytest.mark.parametrize("path", PARAMS)
def test_fault_profile_fails_exactly_its_requirement(path, selftest_server, request, tmp_path):
    from wscard.profile import load_profile

    full = path in HEADS or selftest_server is None
    inp = None if full else request.getfixturevalue("inputs")
    run, problems = check_profile(path, server=selftest_server, inputs=inp, full=full, out_dir=tmp_path / "run")
    if load_profile(path).expect.failed and run.returncode != 1:
        problems.append(f"a non-compliant environment must exit 1, not {run.returncode}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems) + f"\n--- output tail ---\n{run.output[-2500:]}"

