"""Wall time of the AD Connector suite and the median time per scenario.

    .venv/bin/python benchmarks/bench_suite.py [--aws server] [--runs 3] [--path steps/test_ad_connector_bdd.py]

Target (issue: harness backbone): the whole embedded suite of the AD Connector area under
10 s on a 2-core machine. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(path: str, extra: list[str]) -> tuple[float, list[float], int]:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", path, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
               f"--alluredir={tmp}/allure", f"--summary-file={tmp}/summary.json", *extra]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode not in (0, 1):
            sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
        cases = ET.parse(junit).getroot().iter("testcase")
        times = [float(c.get("time", 0)) for c in cases]
    return wall, times, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", default="steps/test_ad_connector_bdd.py")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--aws", default="embedded")
    a = ap.parse_args()
    walls = []
    for i in range(a.runs):
        wall, times, rc = run(a.path, ["--aws", a.aws])
        walls.append(wall)
        print(f"run {i + 1}: wall {wall:.2f} s, {len(times)} scenarios, median {statistics.median(times) * 1000:.0f} ms, "
              f"slowest {max(times) * 1000:.0f} ms, sum {sum(times):.2f} s, exit {rc}")
    print(f"\n{a.path} (--aws {a.aws}): wall time median {statistics.median(walls):.2f} s over {a.runs} runs "
          f"(target: under 10 s)")


if __name__ == "__main__":
    main()
