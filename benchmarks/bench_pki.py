"""Print test PKI generation times (cold, warm key pool, cached) and OCSP round trips.

    .venv/bin/python benchmarks/bench_pki.py [--rounds N] [--queries N]

Targets (issue 4): cached PKI load under 100 ms, OCSP check under 50 ms on loopback.
Everything happens in a temporary cache folder and on 127.0.0.1; nothing is kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wscard.pki import clear_memory_cache, get_pki  # noqa: E402
from wscard.pki import ocsp as O  # noqa: E402
from wscard.pki.resolver import Endpoint, simulated_resolver  # noqa: E402
from wscard.pki.responder import ResponderProcess  # noqa: E402
from wscard.sections.pki import PkiSection  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _whole(sec, **kw):
    """get_pki builds the base; the test user's certificate is built when first asked for."""
    pki = get_pki(sec, **kw)
    pki.get("user")
    return pki


def bench_generation(rounds: int) -> None:
    print("PKI generation (15 certificates: the base and the test user's; keys from a per-machine pool)")
    for key_type in ("rsa2048", "ec-p256"):
        sec = dataclasses.replace(PkiSection(), key_type=key_type)
        colds, warms, cached, memory = [], [], [], []
        for r in range(rounds):
            with tempfile.TemporaryDirectory() as d:
                now = datetime.now(timezone.utc)
                clear_memory_cache()
                _, t = timed(lambda: _whole(sec, now=now, cache_dir=Path(d)))
                colds.append(t)
                clear_memory_cache()
                _, t = timed(lambda: _whole(sec, now=now + timedelta(days=1), cache_dir=Path(d)))
                warms.append(t)
                for _ in range(5):
                    clear_memory_cache()
                    _, t = timed(lambda: _whole(sec, now=now, cache_dir=Path(d)))
                    cached.append(t)
                _, t = timed(lambda: _whole(sec, now=now, cache_dir=Path(d)))
                memory.append(t)
                pki = get_pki(sec, now=now, cache_dir=Path(d))
                _, t = timed(lambda: pki.extra_cas(100))
        print(f"  {key_type:8}  cold (keys generated): {ms(statistics.median(colds))}"
              f"   new day (keys reused): {ms(statistics.median(warms))}"
              f"   cached on disk: {ms(statistics.median(cached))}"
              f"   in process: {ms(statistics.median(memory))}"
              f"   100 extra CAs: {ms(t)}")


def bench_ocsp(queries: int) -> None:
    print("OCSP on loopback (responder process on 127.0.0.1)")
    with tempfile.TemporaryDirectory() as d:
        pki = get_pki(PkiSection(), cache_dir=Path(d) / "cache")
        proc = ResponderProcess.for_pki(pki, Path(d) / "responder")
        _, t_start = timed(proc.start)
        try:
            res = simulated_resolver({"ocsp.pki.example.com": "responder", "ocsp-silent.pki.example.com": "silent"},
                                     Endpoint("127.0.0.1", proc.port), Endpoint("127.0.0.1", proc.silent_port))
            user, issuer = pki.get("user-good").cert, pki.get("intermediate").cert
            ctx = O.OcspContext(res)
            O.query(ctx, "http://ocsp.pki.example.com/", user, issuer)  # warm-up
            rtts, checks = [], []
            for _ in range(queries):
                ex, t = timed(lambda: O.query(ctx, "http://ocsp.pki.example.com/", user, issuer))
                assert ex.cert_status is O.RevocationResult.GOOD, ex.as_evidence()
                rtts.append(t)
            for _ in range(queries):
                tr, t = timed(lambda: O.check_revocation(ctx, user, issuer, "http://ocsp.pki.example.com/"))
                assert tr.result is O.RevocationResult.GOOD
                checks.append(t)
            fb, t_fb = timed(lambda: O.check_revocation(ctx, pki.get("user-aia-unresolvable").cert, issuer,
                                                        "http://ocsp.pki.example.com/"))
            short = dataclasses.replace(ctx, timeout=0.5)
            silent, t_silent = timed(lambda: O.check_revocation(short, pki.get("user-aia-silent").cert, issuer,
                                                                "http://ocsp.pki.example.com/"))
        finally:
            _, t_stop = timed(proc.stop)
    q = sorted(rtts)
    print(f"  responder start {ms(t_start)}, stop {ms(t_stop)}")
    print(f"  query round trip ({queries}x): median {ms(statistics.median(q))}, "
          f"p95 {ms(q[int(len(q) * 0.95) - 1])}, max {ms(q[-1])}")
    print(f"  full documented check, AIA branch: median {ms(statistics.median(checks))}")
    print(f"  full check, fallback branch ({fb.branch}): {ms(t_fb)}")
    print(f"  full check, unresponsive AIA ({silent.branch}, timeout 0.5 s): {ms(t_silent)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()
    bench_generation(args.rounds)
    bench_ocsp(args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
