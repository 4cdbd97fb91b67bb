"""The run layout: every compliance run has its own folder, and a pointer names the latest
complete one (docs/verdicts.md, "Runs and where results go").

::

    reports/runs/<run id>/            one run: nothing else ever writes here
        allure-results/               the raw Allure results (merge several with `wscard report`)
        compliance-summary.json       the summary (wscard.report.summary)
        compliance-report.html        the single-file report (`wscard check`)
        plan.json                     the scenarios the run selected (written at collection)
    reports/latest                    a text file: the folder name of the latest complete run

A run is *complete* when it selected the whole suite (no ``-m``, ``-k``, no paths, nothing
deselected) and was not interrupted. Only a complete run moves ``reports/latest``; nothing
a run does deletes another run's folder; old runs go only by ``wscard prune``.

Never imports pytest.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import HarnessError

ROOT = Path(__file__).resolve().parents[2]
#: Where runs/ and latest live: reports/ of the checkout, or $WSCARD_RESULTS_DIR (a lab PC
#: that keeps results on another disk; the self-tests' private folders).
REPORTS = Path(os.environ.get("WSCARD_RESULTS_DIR") or ROOT / "reports")
RUNS = REPORTS / "runs"
LATEST = REPORTS / "latest"
SUMMARY_NAME = "compliance-summary.json"
REPORT_NAME = "compliance-report.html"
RESULTS_NAME = "allure-results"
PLAN_NAME = "plan.json"


class OutputNotWritable(HarnessError):
    """An output place cannot be written: the message names it and the fix."""


def new_run_id(now: datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-xxxxxx``: sorts by start time; the random part keeps two runs
    started in the same second apart."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def ensure_writable(folder: Path, what: str) -> Path:
    """Create ``folder`` if needed and prove a file can be written in it (a probe file is
    written, then removed). Raises :class:`OutputNotWritable` naming ``what`` and the path."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputNotWritable(f"{what}: {folder} is a file, not a folder: choose another path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".wscard-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputNotWritable(
            f"{what}: cannot write in {folder} ({exc.strerror or exc}): choose a writable path "
            "(or fix its permissions) before the run") from None
    return folder


RUN_LOCK_NAME = ".running.lock"


def ensure_new_run_folder(folder: Path) -> None:
    """Refuse a run folder that already holds a run (a summary, a plan, results) or runs:
    a run never writes into another run's folder. Raises :class:`OutputNotWritable`."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    held = [n for n in (SUMMARY_NAME, PLAN_NAME) if (folder / n).exists()]
    results = folder / RESULTS_NAME
    if results.is_dir() and any(results.iterdir()):
        held.append(RESULTS_NAME + "/")
    if any((sub / PLAN_NAME).exists() or (sub / SUMMARY_NAME).exists() for sub in folder.iterdir() if sub.is_dir()):
        held.append("other runs' folders")
    if held:
        raise OutputNotWritable(
            f"the run folder (--run-dir): {folder} already holds a run ({', '.join(held)}): a run never writes into "
            "another run's folder; give a new folder, or leave --run-dir out (reports/runs/<run id>)")


def remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` if it exists and is empty (a run refused before it started)."""
    try:
        Path(folder).rmdir()
    except OSError:
        pass


def hold_run(folder: Path):
    """The lock a live run holds on its folder (released at its end, or when the process
    dies); :func:`prune` leaves a folder whose lock is held alone."""
    from .. import locks

    return locks.acquire(Path(folder) / RUN_LOCK_NAME, timeout=5, busy=f"another process runs in {folder}")


def is_running(folder: Path) -> bool:
    """True while a process holds the folder's run lock."""
    from .. import locks
    from ..errors import EnvironmentProblem

    lock_file = Path(folder) / RUN_LOCK_NAME
    if not lock_file.exists():
        return False
    try:
        locks.acquire(lock_file, timeout=0, busy="running").release()
    except EnvironmentProblem:
        return True
    return False


def write_json_atomic(path: Path, obj) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=2)
            fh.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def mark_latest(run_folder: Path, latest: Path = LATEST) -> None:
    """Point ``latest`` at ``run_folder`` (atomic: readers see the old or the new name)."""
    fd, tmp = tempfile.mkstemp(prefix=".latest-", dir=latest.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{Path(run_folder).name}\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, latest)


def latest_run(latest: Path = LATEST, runs: Path = RUNS) -> Path | None:
    """The folder of the latest complete run, or None."""
    try:
        name = latest.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = runs / name
    return folder if name and folder.is_dir() else None


@dataclass
class RunInfo:
    folder: Path
    summary: dict

    @property
    def complete(self) -> bool:
        return bool(self.summary.get("complete"))

    def line(self) -> str:
        s = self.summary
        if not s:
            state = "running" if is_running(self.folder) else "no summary: stopped before the end (killed?)"
            return f"{self.folder.name}  ({state})"
        state = "complete" if self.complete else ("interrupted" if s.get("interrupted") else "partial selection")
        counts = ", ".join(f"{n} {v}" for v, n in s.get("counts", {}).items() if n)
        return f"{self.folder.name}  exit {s.get('exit_code', '?')}  {state:<17}  {counts}"


def list_runs(runs: Path = RUNS) -> list[RunInfo]:
    """Every run folder, oldest first, with its summary ({} when it has none)."""
    out = []
    for folder in sorted(p for p in runs.glob("*") if p.is_dir()):
        try:
            summary = json.loads((folder / SUMMARY_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            summary = {}
        out.append(RunInfo(folder, summary))
    return out


def prune(keep: int, runs: Path = RUNS, latest: Path = LATEST) -> list[Path]:
    """Delete all but the ``keep`` newest run folders; the latest complete run and runs still
    running are always kept. Returns the folders deleted. Only ``wscard prune`` calls this."""
    if keep < 0:
        raise ValueError("keep must be 0 or more")
    keep_latest = latest_run(latest, runs)
    folders = [r.folder for r in list_runs(runs)]
    doomed = [f for f in folders[: max(0, len(folders) - keep)] if f != keep_latest and not is_running(f)]
    for f in doomed:
        shutil.rmtree(f, ignore_errors=True)
    return doomed
