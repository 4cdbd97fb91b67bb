"""Organization-scale audit (issue 16 point 6): a simulated organization, audited in parallel
and serially at an injected per-call latency, then at three times the WorkSpaces.

    .venv/bin/python benchmarks/bench_org.py [--members 6] [--regions us-east-1,us-west-2,eu-west-1]
        [--directories-per-region 2] [--workspaces 16700] [--latency-ms 50] [--workers 8]

A moto server with the harness's extension runs in this process (127.0.0.1); the
organization is built by ``wscard.aws.fleet_world.build_organization`` (member accounts,
the audit role, AD Connectors registered with WorkSpaces, the test PKI's chain registered,
one account without the role, one with a Region not enabled) and its WorkSpaces with the
extension's seed hook. Then, with every answer delayed by ``--latency-ms`` (the server's
request hook: AWS's per-call latency):

1. the audit with ``--workers`` workers (T), its API calls (C) against the fewest that can
   read the scope (M, ``wscard.aws.fleet.minimum_calls``);
2. the same audit with one worker (S);
3. the audit after adding twice as many WorkSpaces again (three times the base), in
   parallel: scaling = its time / T (linear: 3).

The default base is 16,700 WorkSpaces in the readable directories, so the third run reads
about 50,000; peak is the process's max RSS (server, organization and audits together),
reached in the third run. Prints, last, one line:
``org audit: A accounts, R Regions, D directories, W WorkSpaces in T s (serial S s at L ms
per call), calls C (minimum M), peak P MB, scaling xX``. Targets: C = M, X <= 3.3,
S / T >= 4 at 50 ms, peak < 500 MB for 50,000 WorkSpaces. Asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wscard.aws import fleet  # noqa: E402
from wscard.aws.env import AwsEnvironment  # noqa: E402
from wscard.aws.fleet_world import add_workspaces, build_organization, clear_disabled_regions, facts  # noqa: E402
from wscard.errors import ProfileError  # noqa: E402
from wscard.fleet_cli import fleet_scope  # noqa: E402
from wscard.profile import load_profile  # noqa: E402

PROFILE = ROOT / "profiles" / "fleet-simulated.toml"


def rss_mb() -> float:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    except ImportError:  # Windows
        return float("nan")


def audit(env, scope, criteria, world):
    mark = env.recorder.mark()
    t0 = time.perf_counter()
    run = fleet.FleetAuditor(env, scope, criteria).run()
    seconds = time.perf_counter() - t0
    f = facts(world, run.regions)
    minimum = fleet.minimum_calls(organization_accounts=len(world.accounts) if scope.organization else None,
                                  accounts=len(world.accounts), units=f["units"], refused_units=f["refused_units"])
    calls = len(env.recorder.since(mark))
    return run, seconds, calls, minimum


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=6, help="member accounts (besides the management account)")
    ap.add_argument("--regions", default="us-east-1,us-west-2,eu-west-1")
    ap.add_argument("--directories-per-region", type=int, default=2)
    ap.add_argument("--workspaces", type=int, default=16_700, help="base WorkSpaces in the readable directories")
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from wscard.aws.moto_ext import config
    from wscard.pki import get_pki

    profile = load_profile(PROFILE)
    try:
        scope = fleet_scope(profile, workers=args.workers, organization=True, accounts=[])
    except ProfileError as exc:
        ap.error(str(exc))
    serial_scope = fleet_scope(profile, workers=1, organization=True, accounts=[])
    sim = profile.fleet.simulated
    sim.accounts = args.members
    sim.regions = args.regions.split(",")
    sim.directories_per_region = args.directories_per_region
    chain = get_pki(profile.pki).ca_chain
    criteria = fleet.Criteria.from_profile(profile, chain)
    wall0 = time.perf_counter()
    with AwsEnvironment("server", profile.aws.region) as env:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        env.recorder.keep_responses = False
        t0 = time.perf_counter()
        world = build_organization(env, sim, role_name="wscard-audit", chain_pems=[e.pem for e in chain],
                                   ocsp_url=profile.aws.ocsp_url, workspaces_per_directory=0)
        readable = [d for (a, r), ids in world.directories.items() for d in ids if a not in world.missing_role]
        per_dir = math.ceil(args.workspaces / max(1, len(readable)))
        add_workspaces(world, per_dir, readable_only=True)
        print(f"built the organization: {len(world.accounts)} accounts, "
              f"{sum(len(v) for v in world.directories.values())} directories ({len(readable)} readable), "
              f"{per_dir * len(readable)} WorkSpaces to read, in {time.perf_counter() - t0:.1f} s "
              f"(broken: no role in {len(world.missing_role)}, a Region not enabled in {len(world.disabled)})")
        config.latency_ms = args.latency_ms
        try:
            run, t, calls, minimum = audit(env, scope, criteria, world)
            print(f"parallel ({args.workers} workers): {len(run.directories)} directories, {run.workspaces} WorkSpaces "
                  f"in {t:.2f} s; calls {calls} (minimum {minimum}); not evaluated: "
                  f"{', '.join(f'{u.account} {u.region} ({u.code})' for u in run.unreadable)}")
            print(f"  calls by operation: {run.calls_by_operation}")
            srun, s, scalls, sminimum = audit(env, serial_scope, criteria, world)
            print(f"serial (1 worker): {s:.2f} s, calls {scalls} (minimum {sminimum}); speed-up x{s / t:.1f} "
                  f"(target >= 4 at 50 ms)")
            config.latency_ms = 0.0
            add_workspaces(world, 2 * per_dir, readable_only=True)
            config.latency_ms = args.latency_ms
            brun, t3, bcalls, bminimum = audit(env, scope, criteria, world)
            print(f"x3 WorkSpaces ({brun.workspaces}): {t3:.2f} s, calls {bcalls} (minimum {bminimum}); "
                  f"scaling x{t3 / t:.2f} (target <= 3.3)")
        finally:
            config.latency_ms = 0.0
            clear_disabled_regions(world)
    peak = rss_mb()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"peak memory (process max RSS, at {brun.workspaces} WorkSpaces): {peak:.0f} MB (target < 500 MB); "
          f"load average {load} on {os.cpu_count()} cores; whole benchmark {time.perf_counter() - wall0:.0f} s")
    print(f"org audit: {len(world.accounts)} accounts, {len(run.regions)} Regions, {len(run.directories)} directories, "
          f"{run.workspaces} WorkSpaces in {t:.1f} s (serial {s:.1f} s at {args.latency_ms:g} ms per call), "
          f"calls {calls} (minimum {minimum}), peak {peak:.0f} MB, scaling x{t3 / t:.2f}")


if __name__ == "__main__":
    main()
