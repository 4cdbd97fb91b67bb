"""Card benchmarks: APDUs per scenario, the time of a signature through OpenSC on the
virtual PIV card, and the wall time of the -m hw run on each virtual card.

    .venv/bin/python benchmarks/bench_card.py [--signatures 200] [--no-suite]

Needs the emulated stack (Linux: pcscd, vsmartcard-vpcd, OpenSC, pyscard; root to start
pcscd in a private network namespace). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def suite(backend: str, marker: str | None) -> tuple[float, list[tuple[str, int, float]], str]:
    """Run the card features in a subprocess; per scenario: APDUs seen by the card, seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "steps/test_card_bdd.py",
               "--card", backend, f"--junitxml={junit}", f"--alluredir={tmp}/allure",
               f"--summary-file={tmp}/summary.json"]
        if marker:
            cmd += ["-m", marker]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        rows = []
        for case in ET.parse(junit).getroot().iter("testcase"):
            props = {p.get("name"): p.get("value") for p in case.iter("property")}
            status = "skipped" if case.find("skipped") is not None else (
                "failed" if case.find("failure") is not None or case.find("error") is not None else "passed")
            rows.append((case.get("name"), int(props.get("wscard:card_apdus", 0) or 0),
                         float(case.get("time", 0)), status))
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
        return wall, rows, last


def sign_times(n: int, quickack: bool = True) -> dict:
    from wscard.pki import get_pki
    from wscard.profile import load_profile

    from hardware import pkcs11 as p11
    from hardware.backends import make_backend
    from hardware.piv import PivCard
    from hardware.session import CardSession

    profile = load_profile()
    section = dataclasses.replace(profile.card, backend="virtual-piv")
    backend = make_backend(section, get_pki(profile.pki).get)
    backend.quickack = quickack
    s = CardSession(backend)
    s.start()
    try:
        login = s.login("benchmark")
        assert login.status == "ok", login.summary()
        cert, key_id = s.logon_certificate()
        pub = cert.cert.public_key()
        card = backend.cards[0]
        a0 = card.apdu_count
        times = []
        for _ in range(n):
            msg = os.urandom(32)
            t0 = time.perf_counter()
            p11.Pkcs11Card.sign(login.session, key_id, msg, pub)
            times.append((time.perf_counter() - t0) * 1000)
        apdus_per_sign = (card.apdu_count - a0) / n
        conn = backend.connect()
        try:
            piv = PivCard(conn)
            piv.select()
            rt = []
            for _ in range(max(20, n // 4)):
                t0 = time.perf_counter()
                piv.pin_status()
                rt.append((time.perf_counter() - t0) * 1000)
        finally:
            conn.close()
    finally:
        s.stop()
    times.sort()
    return {
        "median_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))],
        "apdus_per_signature": apdus_per_sign, "apdu_roundtrip_median_ms": statistics.median(rt),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signatures", type=int, default=200)
    ap.add_argument("--no-suite", action="store_true", help="only the signature timing")
    args = ap.parse_args()

    r = sign_times(args.signatures)
    print(f"Signature through OpenSC PKCS#11 on the virtual PIV card (RSA 2048, CKM_RSA_PKCS, {args.signatures} runs):")
    print(f"  median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms (target: under 20 ms); "
          f"{r['apdus_per_signature']:.1f} APDUs per signature; one APDU round trip (VERIFY, no data) "
          f"{r['apdu_roundtrip_median_ms']:.2f} ms")
    slow = sign_times(max(10, args.signatures // 20), quickack=False)
    print(f"  without TCP_QUICKACK on the card's socket: median {slow['median_ms']:.1f} ms per signature, "
          f"{slow['apdu_roundtrip_median_ms']:.1f} ms per APDU")
    if args.no_suite:
        return
    for backend in ("virtual-piv", "virtual-cac"):
        for marker in ("hw", None):
            wall, rows, last = suite(backend, marker)
            label = "-m hw" if marker else "all card scenarios"
            print(f"\n{backend}, {label}: {wall:.2f} s wall ({last})")
            for name, apdus, secs, status in rows:
                if status == "skipped":
                    continue
                print(f"  {apdus:5d} APDUs {secs * 1000:8.1f} ms  {status:7s} {name}")


if __name__ == "__main__":
    main()
