"""Every fault profile makes exactly its requirement(s) fail (or warn), and the
embedded default passes everything: the harness catches what it claims to catch.

Runs go through a fork server (wscard.selftest.ForkServer: the harness imported once per
worker, a forked child per run) where the platform has os.fork, else one pytest process
each (WSCARD_SELFTEST_SUBPROCESS=1 forces that). A fault profile runs the areas that
read a section it changes (wscard.selftest.area_inputs, measured on the embedded default);
one profile of each family (the same changed sections) runs the whole suite. See
docs/ARCHITECTURE.md, "Self-test of the fault profiles"."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from wscard.selftest import ROOT, ForkServer, area_inputs, check_profile, family_heads, fault_profiles, fork_available

PROFILES = fault_profiles()
HEADS = family_heads(PROFILES)


@pytest.fixture(scope="session")
def selftest_server():
    if os.environ.get("WSCARD_SELFTEST_SUBPROCESS") == "1" or not fork_available():
        yield None
        return
    with ForkServer() as server:
        yield server


@pytest.fixture(scope="session")
def inputs(selftest_server):
    if selftest_server is None:
        return None  # no tracing without the fork server: every profile runs the whole suite
    return area_inputs(selftest_server, Path(tempfile.gettempdir()))


PARAMS = [pytest.param(p, id=p.stem + ("-whole-suite" if p in HEADS else "")) for p in PROFILES]


@pytest.mark.parametrize("path", PARAMS)
def test_fault_profile_fails_exactly_its_requirement(path, selftest_server, request):
    from wscard.profile import load_profile

    full = path in HEADS or selftest_server is None
    inp = None if full else request.getfixturevalue("inputs")
    run, problems = check_profile(path, server=selftest_server, inputs=inp, full=full)
    if load_profile(path).expect.failed and run.returncode != 1:
        problems.append(f"a non-compliant environment must exit 1, not {run.returncode}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems) + f"\n--- output tail ---\n{run.output[-2500:]}"


def test_embedded_default_is_compliant(selftest_server):
    """The compliant default passes every catalogue requirement, every scenario reaching a
    verdict (the virtual PIV card where the emulated stack is installed: docs/verdicts.md)."""
    from wscard.requirements import catalogue

    run, problems = check_profile(ROOT / "wscard" / "profiles" / "embedded.toml", server=selftest_server)
    assert not problems, "\n".join(problems)
    statuses = run.statuses()
    assert set(statuses) == set(catalogue()), sorted(set(catalogue()) - set(statuses))
    assert set(statuses.values()) == {"passed"}, {r: s for r, s in statuses.items() if s != "passed"}
    assert run.returncode == 0, run.output[-3000:]
