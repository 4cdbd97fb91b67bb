"""With pytest-xdist the suite's verdicts are identical to a serial run: every worker
builds its own simulated world from the profile, and the controller writes one summary.

Compared per requirement: the status, and each scenario's node ID, outcome and message
(with the identifiers a simulated service draws at random masked)."""

from __future__ import annotations

import re

import pytest

from wscard.selftest import ROOT, area_files, changed_inputs, run_suite, schema_problems, selected_areas

PROFILES = [
    ROOT / "wscard" / "profiles" / "embedded.toml",
    ROOT / "profiles" / "faults" / "ws-pcoip-among-500-wsp.toml",
]

_RANDOM = [
    (re.compile(r"\bws-[0-9a-z]{8,63}\b"), "ws-*"),
    (re.compile(r"\bd-[0-9a-f]{10}\b"), "d-*"),
    (re.compile(r"\bc-[0-9a-f]{10}\b"), "c-*"),
    (re.compile(r"/tmp/[^\s:'\"]+"), "/tmp/*"),
    (re.compile(r"\d+\.\d+ s\b"), "* s"),
]


def _mask(text: str) -> str:
    for pattern, repl in _RANDOM:
        text = pattern.sub(repl, text)
    return text


def verdicts(summary: dict) -> dict:
    out = {}
    for rid, entry in summary.get("requirements", {}).items():
        scenarios = sorted(
            (sc["nodeid"], sc["outcome"], _mask(sc.get("message", "")), tuple(_mask(w) for w in sc.get("warnings", [])))
            for sc in entry["scenarios"]
        )
        out[rid] = (entry["status"], scenarios)
    return out


@pytest.mark.parametrize("profile", PROFILES, ids=[p.stem for p in PROFILES])
def test_two_workers_give_the_serial_verdicts(profile, selftest_server, request, tmp_path):
    # SoftHSM: the two virtual readers serve one process at a time (the card-edge scenarios
    # are then not evaluated, alike in both runs). Both runs are forked from the worker's
    # fork server (the -n 2 run's controller; its xdist workers are processes of their own).
    # The embedded default runs the whole suite; the fault profile the areas it changes
    # (wscard.selftest.selected_areas), where its failing requirement is judged.
    paths: list[str] = []
    changed = changed_inputs(profile)
    if selftest_server is not None and changed is not None:
        areas = selected_areas(changed, request.getfixturevalue("inputs")) or []
        paths = [str(f.relative_to(ROOT)) for a, f in area_files().items() if a in areas]
    serial = run_suite(profile, "--card=softhsm", *paths, server=selftest_server, out_dir=tmp_path / "serial")
    parallel = run_suite(profile, "--card=softhsm", "-n", "2", *paths, server=selftest_server,
                         out_dir=tmp_path / "parallel")
    assert serial.summary, f"serial run wrote no summary:\n{serial.output[-3000:]}"
    assert parallel.summary, f"-n 2 run wrote no summary:\n{parallel.output[-3000:]}"
    assert not schema_problems(serial.summary) and not schema_problems(parallel.summary)
    assert serial.returncode == parallel.returncode == serial.summary["exit_code"]
    a, b = verdicts(serial.summary), verdicts(parallel.summary)
    differ = {rid: (a.get(rid), b.get(rid)) for rid in set(a) | set(b) if a.get(rid) != b.get(rid)}
    assert not differ, f"serial and -n 2 verdicts differ: {differ}"
    assert serial.summary["counts"] == parallel.summary["counts"]
    assert serial.summary["not_covered_by_this_run"] == parallel.summary["not_covered_by_this_run"]
    assert "bringing up nodes" in parallel.output  # it did run on xdist workers
    if paths:  # the fault is caught in the areas run: non-compliant, in both runs
        assert serial.summary["exit_code"] == 1, serial.output[-3000:]
