"""The real-world cases (public inputs that the harness once judged wrongly; see
``tests/data/realworld/*/README.md``) give their right verdict through the features,
as the fault profiles do: each case's ``profile.toml`` names it in ``[expect]``."""

from __future__ import annotations

import pytest

from wscard.selftest import ROOT, check_profile

CASES = sorted((ROOT / "tests" / "data" / "realworld").glob("*/profile.toml"))


@pytest.mark.parametrize("path", CASES, ids=[p.parent.name for p in CASES])
def test_real_world_case_gets_its_verdict(path, selftest_server, request, tmp_path):
    inp = None if selftest_server is None else request.getfixturevalue("inputs")
    run, problems = check_profile(path, server=selftest_server, inputs=inp, full=inp is None, out_dir=tmp_path / "run")
    assert not problems, f"{path}:\n  " + "\n  ".join(problems) + f"\n--- output tail ---\n{run.output[-2500:]}"
    assert run.statuses(), run.output[-2500:]
