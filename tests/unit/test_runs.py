"""The run layout (wscard/report/runs.py) and `wscard check` around it: one folder per run,
the latest complete run, pruning only on request, a report that fails is a non-zero exit."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from wscard import cli
from wscard.report import runs


def test_run_ids_sort_by_time_and_never_collide_within_a_second():
    t = datetime(2026, 11, 30, 5, 0, 0, tzinfo=timezone.utc)
    ids = {runs.new_run_id(t) for _ in range(200)}
    assert len(ids) == 200 and all(i.startswith("20261130T050000Z-") for i in ids)
    assert runs.new_run_id(datetime(2026, 11, 30, 5, 0, 1, tzinfo=timezone.utc)) > max(ids)


def test_ensure_writable_names_the_place(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(runs.OutputNotWritable, match="the run folder.*is a file"):
        runs.ensure_writable(f, "the run folder")
    with pytest.raises(runs.OutputNotWritable, match=r"results: cannot write in .*file/sub"):
        runs.ensure_writable(f / "sub", "results")
    assert runs.ensure_writable(tmp_path / "a" / "b", "x").is_dir()


def _run(root: Path, name: str, complete: bool) -> Path:
    d = root / "runs" / name
    d.mkdir(parents=True)
    (d / runs.SUMMARY_NAME).write_text(json.dumps({"complete": complete, "exit_code": 0, "counts": {"passed": 1}}))
    return d


def test_latest_and_prune_keep_the_latest_complete_run(tmp_path):
    latest = tmp_path / "latest"
    a = _run(tmp_path, "20261130T050000Z-aaaaaa", True)
    _run(tmp_path, "20261130T050100Z-bbbbbb", False)
    _run(tmp_path, "20261130T050200Z-cccccc", False)
    assert runs.latest_run(latest, tmp_path / "runs") is None
    runs.mark_latest(a, latest)
    assert runs.latest_run(latest, tmp_path / "runs") == a
    lines = [r.line() for r in runs.list_runs(tmp_path / "runs")]
    assert "complete" in lines[0] and "partial selection" in lines[1]
    deleted = runs.prune(1, tmp_path / "runs", latest)
    assert [d.name for d in deleted] == ["20261130T050100Z-bbbbbb"]
    assert a.is_dir() and (tmp_path / "runs" / "20261130T050200Z-cccccc").is_dir()


def test_a_report_that_cannot_be_written_is_a_non_zero_exit_with_the_reason(tmp_path, monkeypatch, capsys):
    def broken(results, out, **kwargs):
        raise cli.HarnessError("allure exited with status 1: out of memory")

    monkeypatch.setattr(cli, "build_report", broken)
    rc = cli.cmd_check(["-q", "-m", "REGION-3 and compliance", "--card=softhsm", f"--run-dir={tmp_path}"])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert "the HTML report could not be written: allure exited with status 1" in err
    assert "out of memory" in (tmp_path / "report-error.txt").read_text()
    assert not (tmp_path / runs.REPORT_NAME).exists()
    assert json.loads((tmp_path / runs.SUMMARY_NAME).read_text())["exit_code"] == 0
