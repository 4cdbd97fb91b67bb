"""Print how long `wscard check`'s report step takes (docs/evidence.md): both Allure
views, the executive summary and its PDF, the OSCAL assessment results, the manifests,
and `wscard verify` of the sealed folder.

    .venv/bin/python benchmarks/bench_report_step.py [RUN_FOLDER] [--rounds N]

RUN_FOLDER is a run folder with allure-results/ and compliance-summary.json (default: the
latest complete run, reports/latest). It is copied into a temporary folder each round
(its histories there too); nothing of the original is changed. Target: the report step
adds little to the run (the single Allure view it replaces took about 6 s).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wscard.report import allure_html, evidence, runs  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", nargs="?", type=Path, default=None)
    p.add_argument("--rounds", type=int, default=2)
    a = p.parse_args()
    src = a.run or runs.latest_run()
    if src is None or not (src / runs.SUMMARY_NAME).is_file():
        print("no run folder with a summary: run ./harness check first, or name one", file=sys.stderr)
        return 2
    parts: dict[str, list[float]] = {}
    totals, verifies, single = [], [], []
    for _ in range(a.rounds):
        with tempfile.TemporaryDirectory(prefix="wscard-bench-report-") as tmp:
            reports = Path(tmp)
            run = reports / "runs" / src.name
            shutil.copytree(src / runs.RESULTS_NAME, run / runs.RESULTS_NAME)
            for name in (runs.SUMMARY_NAME, runs.PLAN_NAME):
                if (src / name).is_file():
                    shutil.copy2(src / name, run / name)
            t = time.monotonic()
            allure_html.generate([run / runs.RESULTS_NAME], reports / "single.html", title="t",
                                 group_by=["epic", "feature"])
            single.append(time.monotonic() - t)
            t = time.monotonic()
            done = evidence.finish_run(run, run / runs.SUMMARY_NAME, run / runs.RESULTS_NAME, reports_dir=reports)
            totals.append(time.monotonic() - t)
            for k, v in done.timings.items():
                parts.setdefault(k, []).append(v)
            t = time.monotonic()
            problems = evidence.verify(run)
            verifies.append(time.monotonic() - t)
            files = done.manifest.get("files", 0)
            if done.problems or problems:
                print("problems:", *done.problems, *problems, sep="\n  ")
    print(f"run folder: {src} ({files} files sealed), {a.rounds} round(s), median:")
    print(f"  report step total   {statistics.median(totals):6.2f} s")
    for k, v in parts.items():
        print(f"    {k:<17} {statistics.median(v):6.2f} s")
    print(f"  wscard verify       {statistics.median(verifies):6.2f} s")
    print(f"  for comparison: the single Allure view (allure awesome) that the report step "
          f"replaced: {statistics.median(single):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
