"""Wall time of the project's self-test and of the main job's pytest part, with the CPU
time and the machine's load average beside each figure (on a shared machine a wall time
means little without them).

    .venv/bin/python benchmarks/bench_selftest.py                 # main job + fault-profile self-test
    .venv/bin/python benchmarks/bench_selftest.py --old           # ... and the same the previous way
    .venv/bin/python benchmarks/bench_selftest.py -k "pki- or ws-" --old   # a subset, both ways
    .venv/bin/python benchmarks/bench_selftest.py --selftest [--old]       # all of ./harness selftest

* main job: ``pytest`` on the embedded default (what ``./harness check`` runs before it
  writes the report), in a temporary run folder.
* fault-profile self-test: ``pytest tests/selftest/test_fault_profiles.py -n N`` as
  ``tools/selftest.sh`` runs it (N: cores + 1, or each of ``--workers N [N ...]``): one fork server per xdist worker, the areas a profile
  touches, one whole-suite run per family (wscard.selftest). ``--old`` runs it again with
  ``WSCARD_SELFTEST_SUBPROCESS=1``: one ``python -m pytest`` per profile over the whole
  suite, the approach before issue 17 (the cheaper simulated world stays in both).
* ``--selftest``: ``tools/selftest.sh`` (all of ``./harness selftest`` but the set-up).

Targets (issue 17), 2 cores, warm caches: the self-test under 3 minutes, the main job's
pytest part under 10 s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def _load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(label: str, cmd: list[str], env: dict | None = None, show_steps: bool = False) -> dict:
    load_before, cpu0, t0 = _load(), _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    last = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()][-1:] or [""]
    fig = {"label": label, "wall": wall, "cpu": cpu, "load_before": load_before, "load_after": _load(),
           "exit": proc.returncode, "last": last[0][:160]}
    print(f"{label}: wall {wall:.1f} s, CPU {cpu:.1f} s, exit {proc.returncode}, load average (1/5/15 min) "
          f"{load_before} before, {fig['load_after']} after\n    {fig['last']}", flush=True)
    if show_steps:  # tools/selftest.sh prints "(<step>: <n>s)" after each step
        for ln in proc.stdout.splitlines():
            if ln.startswith("(") and ln.rstrip().endswith("s)"):
                print(f"    step {ln.strip()}")
    if proc.returncode != 0:
        print((proc.stdout + proc.stderr)[-3000:])
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", action="store_true", help="also run the previous way (one pytest process per profile)")
    ap.add_argument("-k", default="", help="only the fault profiles this pytest -k expression selects")
    ap.add_argument("--selftest", action="store_true", help="time tools/selftest.sh (all of ./harness selftest)")
    ap.add_argument("--keep-going", action="store_true",
                    help="with --selftest: run every step even after one fails (set +e), to time them all")
    ap.add_argument("--no-main", action="store_true", help="leave out the main job")
    ap.add_argument("--workers", type=int, nargs="+", default=[(os.cpu_count() or 1) + 1],
                    help="xdist workers for the fault-profile self-test; several numbers time it once each "
                         "(default: cores + 1, as tools/selftest.sh)")
    a = ap.parse_args()
    print(f"{os.cpu_count()} CPUs; load average now {_load()}")
    rows = []
    if a.selftest:
        cmd = ["bash", "tools/selftest.sh"]
        if a.keep_going:  # the same script without -e; $0 stays tools/selftest.sh (it cds from there)
            # (the exit code is then the last step's, not the first failure's)
            text = (ROOT / "tools" / "selftest.sh").read_text().replace("set -euo pipefail", "set -uo pipefail", 1)
            cmd = ["bash", "-c", text, "tools/selftest.sh"]
        rows.append(timed("./harness selftest (tools/selftest.sh)", cmd, show_steps=True))
        if a.old:
            rows.append(timed("./harness selftest, previous way", cmd, {"WSCARD_SELFTEST_SUBPROCESS": "1"},
                              show_steps=True))
    else:
        if not a.no_main:
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(timed("main job: pytest on the embedded default",
                                  [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--run-dir={tmp}/run"]))
        for n in a.workers:
            faults = [PY, "-m", "pytest", "tests/selftest/test_fault_profiles.py", "-n", str(n), "-q", "-p",
                      "no:cacheprovider", "-o", "addopts=--strict-markers"] + (["-k", a.k] if a.k else [])
            rows.append(timed(f"fault-profile self-test (fork servers, areas), {n} workers", faults))
            if a.old:
                rows.append(timed(f"fault-profile self-test, previous way (a process per profile, whole suite), "
                                  f"{n} workers", faults, {"WSCARD_SELFTEST_SUBPROCESS": "1"}))
    print("\n| what | wall (s) | CPU (s) | load before | load after | exit |\n| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['label']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['load_before']} | {r['load_after']} | {r['exit']} |")
    print("\ntargets (2 cores, warm caches): ./harness selftest under 180 s; the main job's pytest part under 10 s")


if __name__ == "__main__":
    main()
