"""The project's own tests never write compliance results into reports/ (each run they
start has its own temporary run folder): checked over the whole test session."""

from __future__ import annotations

from pathlib import Path

import pytest

RUNS = Path(__file__).resolve().parent.parent / "reports" / "runs"


def _runs() -> set[str]:
    return {p.name for p in RUNS.glob("*")} if RUNS.is_dir() else set()


@pytest.fixture(scope="session", autouse=True)
def no_results_in_reports():
    before = _runs()
    yield
    added = _runs() - before
    assert not added, f"a test wrote a run folder into reports/runs/: {sorted(added)} (give it --run-dir=<tmp>)"
