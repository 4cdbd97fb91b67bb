"""GSA ICAM card table: the wall time of the self-test (tests/selftest/test_gsa_icam_cards.py)
and, per card, the time to load the card folder, insert the card, judge it and remove it.

    .venv/bin/python benchmarks/bench_gsa_icam.py [--no-suite]

Needs the emulated stack (Linux: pcscd, vsmartcard-vpcd, OpenSC, pyscard; root to start
pcscd in a private network namespace). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "selftest"))


def per_card() -> None:
    import pytest  # noqa: F401  (the test module imports it)

    import test_gsa_icam_cards as T
    from hardware.virtual.card_folder import load_card_folder

    directory_gen = T.directory.__wrapped__()
    directory = next(directory_gen)

    class _Factory:
        def mktemp(self, name):
            import tempfile

            return Path(tempfile.mkdtemp(prefix=name))

    responder_gen = T.responder.__wrapped__(_Factory())
    resolver = next(responder_gen)
    print(f"{'card':45} {'load ms':>8} {'judge s':>8}  mismatches")
    total = 0.0
    try:
        for card in T.CARDS:
            t0 = time.perf_counter()
            load_card_folder(T.DATA / "cards" / card.folder)
            load_ms = (time.perf_counter() - t0) * 1000
            t1 = time.perf_counter()
            got = T.judge(card, directory, resolver)
            judge_s = time.perf_counter() - t1
            total += judge_s
            wrong = [rid for rid in T.REQUIREMENTS if got[rid][0] != card.expect[rid][0]]
            print(f"{card.folder:45} {load_ms:8.1f} {judge_s:8.2f}  {', '.join(wrong) or '-'}")
    finally:
        for gen in (responder_gen, directory_gen):
            gen.close()
    print(f"{len(T.CARDS)} cards judged in {total:.1f} s ({total / len(T.CARDS):.2f} s a card)")


def suite() -> None:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
                           "addopts=--strict-markers", "tests/selftest/test_gsa_icam_cards.py"],
                          cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
    print(f"self-test wall time: {wall:.1f} s ({last})")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-suite", action="store_true", help="only the per-card figures")
    args = ap.parse_args(argv)
    per_card()
    if not args.no_suite:
        suite()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
