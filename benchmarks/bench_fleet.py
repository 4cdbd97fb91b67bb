"""Fleet-scale WorkSpaces audit: 20 AD Connector directories and 10,000 WorkSpaces.

    .venv/bin/python benchmarks/bench_fleet.py [--directories 20] [--workspaces 10000] [--runs 1]

A moto server with the harness's extension (``wscard.aws.moto_ext.server.start_server``,
127.0.0.1, in this process) is seeded: the directories through the API (VPC, ConnectDirectory,
RegisterWorkspaceDirectory), the WorkSpaces straight into the service's state with the
extension's seed hook (quick; CreateWorkspaces takes 25 at a time). A few faults are
planted so the audit has something to find. The audit itself uses the API only, over HTTP:
``wscard.aws.workspaces.audit_fleet`` (WSP-1..WSP-3 for every directory of the Region).

Prints: the audit's wall time, the API calls it made (the harness records every call) and
the minimum possible (directories and WorkSpaces in pages of 25), and the process's peak
memory (max RSS: the server, its 10,000 WorkSpaces and the audit together; and how much
the audit added). Targets (issue 5): under 30 s, calls equal to the minimum, under 500 MB.
Then the service-side paging alone (the backend's DescribeWorkspaces through every page,
no HTTP): its cost per page must not grow with the fleet (issue 16 point 5: it rebuilt the
whole list for every page). Asserts nothing. (tracemalloc is not used: it traces the in-process server as well and
slows the audit five-fold.)
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wscard.aws import workspaces as wsp  # noqa: E402
from wscard.aws.env import MOTO_ACCOUNT_ID, AwsEnvironment  # noqa: E402
from wscard.aws.world import create_directory  # noqa: E402

REGION = "us-gov-west-1"


def seed(env: AwsEnvironment, directories: int, workspaces: int) -> tuple[list[str], dict[str, list[str]]]:
    """Directories through the API, WorkSpaces with the seed hook; returns the planted faults."""
    from moto.ds.models import Directory
    from moto.workspaces.models import workspaces_backends

    # AD Connector's default quota is 10 directories per Region; a fleet this size has had
    # it raised (moto enforces the default).
    Directory.CONNECTED_DIRECTORIES_LIMIT = max(Directory.CONNECTED_DIRECTORIES_LIMIT, directories)
    ws = env.client("workspaces", REGION)
    ids = []
    for n in range(directories):
        did = create_directory(env, REGION, "ADConnector", f"corp{n}.example.com", f"CORP{n}")
        ws.register_workspace_directory(DirectoryId=did)
        if n != 1:  # directory 1 keeps the AD Connector default: Windows devices denied
            ws.modify_workspace_access_properties(ResourceId=did, WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})
        ids.append(did)
    backend = workspaces_backends[MOTO_ACCOUNT_ID][REGION]
    windows = {"Protocols": ["WSP"], "OperatingSystemName": "WINDOWS_SERVER_2022"}
    linux = {"Protocols": ["WSP"], "OperatingSystemName": "AMAZON_LINUX_2"}
    pcoip = {"Protocols": ["PCOIP"], "OperatingSystemName": "WINDOWS_SERVER_2022"}
    for i in range(workspaces):
        did = ids[i % directories]
        props = pcoip if i in (7, 5007) else (linux if i % 10 == 3 else windows)
        backend.restore_workspace(did, f"user{i:05d}", bundle_id="wsb-0bench001", workspace_properties=dict(props))
    planted = {ids[7 % directories]: ["WSP-1"], ids[1 % directories]: ["WSP-3"]}
    return ids, planted


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--directories", type=int, default=20)
    ap.add_argument("--workspaces", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=1, help="audits to time (the figures of each are printed)")
    args = ap.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

    with AwsEnvironment("server", REGION) as env:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
        t0 = time.perf_counter()
        ids, planted = seed(env, args.directories, args.workspaces)
        seeded = time.perf_counter() - t0
        print(f"seeded {len(ids)} directories and {args.workspaces} WorkSpaces in {seeded:.1f} s "
              f"(moto server at {env.endpoint_url})")
        minimum = wsp.minimum_calls(len(ids), args.workspaces)
        for run in range(1, args.runs + 1):
            client = env.client("workspaces", REGION)
            mark = env.recorder.mark()
            before = rss_mb()
            t0 = time.perf_counter()
            audit = wsp.audit_fleet(client, REGION, "seed")
            wall = time.perf_counter() - t0
            calls = env.recorder.since(mark)
            by_op: dict[str, int] = {}
            for c in calls:
                by_op[c.operation] = by_op.get(c.operation, 0) + 1
            found = audit.failed()
            pages = [c for c in calls if c.operation == "DescribeWorkspaces"]
            page_seconds = sorted(c.seconds for c in pages)
            print(f"run {run}: audit of {len(audit.snapshots)} directories, {audit.workspaces} WorkSpaces: "
                  f"{wall:.2f} s (target < 30 s)")
            print(f"  API calls: {len(calls)} ({', '.join(f'{k} {v}' for k, v in by_op.items())}); "
                  f"minimum possible: {minimum} (pages of 25); {'equal' if len(calls) == minimum else 'NOT equal'}")
            if page_seconds:
                print(f"  DescribeWorkspaces pages: {len(pages)}, {sum(page_seconds):.2f} s in all, median "
                      f"{page_seconds[len(page_seconds) // 2] * 1000:.1f} ms, slowest {page_seconds[-1] * 1000:.1f} ms "
                      "(each: request, the service's paging, answer)")
            print(f"  peak memory: process max RSS {rss_mb():.0f} MB (target < 500 MB; server, seed and audit), "
                  f"{rss_mb() - before:.0f} MB of it added during the audit")
            print(f"  findings: {found} (planted: {planted}) -> {'as planted' if found == planted else 'DIFFERENT'}")
        pages, seconds = service_paging(args.workspaces)
        print(f"service-side paging (the backend's DescribeWorkspaces, no HTTP): {pages} pages of 25 through "
              f"{args.workspaces} WorkSpaces in {seconds:.3f} s ({seconds / max(pages, 1) * 1e6:.0f} us per page)")


def service_paging(expected: int) -> tuple[int, float]:
    """Page through every WorkSpace of the Region straight on the backend (pages of 25):
    what the service itself spends on pagination, without HTTP and serialization."""
    from moto.workspaces.models import workspaces_backends

    backend = workspaces_backends[MOTO_ACCOUNT_ID][REGION]
    pages, token, seen = 0, None, 0
    t0 = time.perf_counter()
    while True:
        items, token = backend.describe_workspaces(limit=25, next_token=token)
        pages += 1
        seen += len(items)
        if not token:
            break
    seconds = time.perf_counter() - t0
    if seen != expected:
        print(f"  (paging saw {seen} WorkSpaces, expected {expected})")
    return pages, seconds


if __name__ == "__main__":
    main()
