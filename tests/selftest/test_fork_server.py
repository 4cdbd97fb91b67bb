"""The fork server that runs the fault-profile self-test (wscard.selftest.ForkServer):
every run starts from the same clean copy, a run that hangs is stopped, and the section
tracer sees what an area reads."""

from __future__ import annotations

import json

import pytest

from wscard import selftest as S

pytestmark = pytest.mark.skipif(not S.fork_available(), reason="the fork server needs os.fork (Linux, macOS)")

LEAKY = '''
import os
import wscard.profile as P

def test_starts_clean():
    assert not hasattr(P, "_left_by_an_earlier_run"), "a previous run's module state is visible"
    assert "WSCARD_LEFT_BY_AN_EARLIER_RUN" not in os.environ
    P._left_by_an_earlier_run = True
    os.environ["WSCARD_LEFT_BY_AN_EARLIER_RUN"] = "1"
'''


@pytest.fixture(scope="module")
def server():
    with S.ForkServer() as srv:
        yield srv


def test_each_run_starts_from_a_clean_copy_of_the_server(server, tmp_path):
    test_file = tmp_path / "test_leaky.py"
    test_file.write_text(LEAKY)
    for i in range(2):
        code, output = server.run(["-q", "-p", "no:cacheprovider", str(test_file)], tmp_path / f"out{i}.txt")
        assert code == 0, output


def test_a_run_that_outlives_its_time_is_stopped_and_says_so(server, tmp_path):
    test_file = tmp_path / "test_hangs.py"
    test_file.write_text("import time\n\ndef test_hangs():\n    time.sleep(120)\n")
    code, output = server.run(["-q", "-p", "no:cacheprovider", str(test_file)], tmp_path / "out.txt", timeout=2)
    assert code != 0 and "took longer than 2 s and was stopped" in output
    code, output = server.run(["-q", "-p", "no:cacheprovider", "--co", str(test_file)], tmp_path / "out2.txt")
    assert code == 0, output  # the server still serves


def test_the_tracer_records_the_keys_an_area_reads(server, tmp_path):
    """The region area reads [aws].region and never a [guest] key nor the AD Connector's
    [aws].ocsp_url; the in-session area reads [guest].build (a trap and a fault for the
    measurement the area selection rests on). The summary built at session finish reads
    [profile].baseline in every run, and the Allure labels name it on every scenario: not
    counted (they judge outcomes, they make none), so the in-session area, whose steps never
    branch on the baseline, is not run again for a baseline change. The card backend is
    looked at in collection only where there are card-edge (@hw) scenarios to skip: the
    region area, which has none and uses no card, does not read it."""
    reads, runs = {}, {}
    for area in ("region", "in_session"):
        trace = tmp_path / f"{area}.json"
        run = S.run_suite(S.ROOT / "wscard" / "profiles" / "embedded.toml", f"steps/test_{area}_bdd.py",
                          "-m", "not hw", "--card=softhsm", server=server, trace=trace, out_dir=tmp_path / area)
        assert run.returncode == 0, run.output[-2000:]
        reads[area] = set(json.loads(trace.read_text()))
        runs[area] = run
    assert "aws.region" in reads["region"], reads
    assert not {r for r in reads["region"] if r.startswith("guest")} and "aws.ocsp_url" not in reads["region"], reads
    assert "guest.build" in reads["in_session"], reads
    assert "profile.baseline" not in reads["in_session"], reads
    assert "card.backend" not in reads["region"] and "card.backend" in reads["in_session"], reads
    assert runs["in_session"].summary["baseline"] == "seed"  # the summary read it, untraced
