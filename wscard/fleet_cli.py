"""``wscard fleet``: the organization-scale audit (docs/fleet.md), and the merge of its
shards by ``wscard report``.

    wscard fleet [--profile P] [--accounts ID,ID | --organization] [--role-name NAME]
                 [--regions R,R] [--directory-id ID ...] [--workers N] [--shard I/N]
                 [--run-dir DIR] [--latency-ms MS]

Each run has its own folder (reports/runs/<run id>/, docs/verdicts.md): the summary with
its ``fleet`` section, ``fleet-table.txt``, the Allure results and the HTML report. The
run is never "complete" (it is not the feature suite), so it does not move reports/latest.
Exit codes as ``wscard check``'s: 0 compliant, 1 non-compliant, 3 harness error,
4 usage error, 6 not fully evaluated (something could not be read).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import EnvironmentProblem, HarnessError, ProfileError
from .verdict import ExitCode

TABLE_NAME = "fleet-table.txt"
#: The option of ``wscard fleet`` that overrides each ``[fleet]`` key.
OPTIONS = {"accounts": "--accounts", "organization": "--organization", "role_name": "--role-name",
           "regions": "--regions", "directory_ids": "--directory-id", "workers": "--workers"}


def _err(msg: str) -> None:
    print(f"wscard fleet: {msg}", file=sys.stderr)


def _csv(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def _run_info(run_dir: Path, started: datetime, argv: list[str]) -> dict[str, Any]:
    from . import __version__
    from .report.environment import git_commit

    root = Path(__file__).resolve().parent.parent
    return {"run_id": run_dir.name, "run_folder": str(run_dir), "started": started.isoformat(timespec="seconds"),
            "ended": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": ["wscard", *argv],
            "harness": {"version": __version__, "git_commit": git_commit(root)}}


def fleet_scope(profile, **overrides: Any):
    """The ``[fleet]`` section (:class:`wscard.sections.fleet.FleetSection`) the audit runs
    with: ``profile.fleet`` with each override that is not None in its key (keyed by the
    ``[fleet]`` key, :data:`OPTIONS`; ``dataclasses.replace`` through
    :meth:`wscard.profile.Profile.replace`), validated as the profile loader validates the
    profile (the section's ``validate``, then the rules across sections). An override of
    None keeps the profile's value. Raises ProfileError naming the option when an
    overridden key is refused (``--workers (overrides [fleet].workers): must be 1 to 64``),
    and naming the profile's file and key when the profile's own value is."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return profile.replace("fleet", **given).fleet
    except ProfileError as exc:
        key = (exc.key or "").removeprefix("[fleet].")
        if key in given:
            raise ProfileError(exc.message, key=f"{OPTIONS.get(key, key)} (overrides [fleet].{key})") from None
        raise


def write_run(run_dir: Path, summary: dict[str, Any]) -> str:
    """Summary, table, Allure results and HTML report into the run folder; returns the table."""
    from .cli import build_report
    from .report import fleet as fleet_report
    from .report import runs

    summary_path = run_dir / runs.SUMMARY_NAME
    from .report.summary import write

    write(summary, summary_path)
    text = fleet_report.table(summary)
    (run_dir / TABLE_NAME).write_text(text + "\n", encoding="utf-8")
    results = run_dir / runs.RESULTS_NAME
    fleet_report.write_allure(results, summary)
    try:
        build_report([results], run_dir / runs.REPORT_NAME)
    except (HarnessError, OSError) as exc:
        (run_dir / "report-error.txt").write_text(f"the HTML report could not be written: {exc}\n", encoding="utf-8")
        _err(f"the HTML report could not be written: {exc} (the summary and the table are in {run_dir})")
    return text


def cmd_fleet(argv: list[str]) -> int:
    from .aws import fleet as fleet_mod
    from .aws.env import AwsEnvironment
    from .profile import load_profile
    from .report import fleet as fleet_report
    from .report import runs

    p = argparse.ArgumentParser(prog="wscard fleet", description="audit every AD Connector of accounts and Regions")
    p.add_argument("--profile", default="embedded", help="the profile ([aws], [fleet], [pki], [profile])")
    p.add_argument("--aws", choices=("embedded", "server", "endpoint", "live"), default=None,
                   help="overrides [aws].mode (a simulated world runs as a moto server in this process)")
    p.add_argument("--accounts", help="account IDs, comma-separated (overrides [fleet].accounts)")
    p.add_argument("--organization", action="store_true", help="every ACTIVE account of the organization")
    p.add_argument("--role-name", help="the role assumed in each account (overrides [fleet].role_name)")
    p.add_argument("--regions", help="Regions, comma-separated (overrides [fleet].regions)")
    p.add_argument("--directory-id", action="append", help="only this directory (repeatable)")
    p.add_argument("--workers", type=int, help="parallel workers (overrides [fleet].workers)")
    p.add_argument("--shard", help="I/N: run the I-th of N stable slices of the accounts (a CI matrix of N jobs)")
    p.add_argument("--run-dir", type=Path, help="the run folder (default reports/runs/<run id>/)")
    p.add_argument("--latency-ms", type=float, default=None,
                   help="simulated world only: wait this long before each answer (AWS's per-call latency)")
    a = p.parse_args(argv)
    try:
        profile = load_profile(a.profile)
        shard = fleet_mod.parse_shard(a.shard) if a.shard else None
        overrides: dict[str, Any] = {"accounts": _csv(a.accounts), "role_name": a.role_name,
                                     "regions": _csv(a.regions), "directory_ids": a.directory_id,
                                     "workers": a.workers}
        if a.organization:
            overrides.update(organization=True, accounts=[])
        scope = fleet_scope(profile, **overrides)
    except ProfileError as exc:
        _err(str(exc))
        return ExitCode.USAGE_ERROR
    mode = a.aws or profile.aws.mode
    if mode == "embedded":
        mode = "server"  # the simulated organization needs the server's request hook (disabled Regions)
    run_dir = a.run_dir or runs.RUNS / runs.new_run_id()
    try:
        runs.ensure_writable(run_dir, "--run-dir")
    except runs.OutputNotWritable as exc:
        _err(str(exc))
        return ExitCode.USAGE_ERROR
    started = datetime.now(timezone.utc)
    from .pki import get_pki

    chain = get_pki(profile.pki).ca_chain
    criteria = fleet_mod.Criteria.from_profile(profile, chain)
    try:
        with AwsEnvironment(mode, profile.aws.region, endpoint_url=profile.aws.endpoint_url) as env:
            env.recorder.keep_responses = False
            if env.simulated:
                from .aws.fleet_world import build_organization, clear_disabled_regions
                from .aws.moto_ext import config

                world = build_organization(env, profile.fleet.simulated, role_name=scope.role_name,
                                           chain_pems=[e.pem for e in chain], ocsp_url=profile.aws.ocsp_url)
                print(f"simulated organization: {len(world.accounts)} accounts, "
                      f"{sum(len(v) for v in world.directories.values())} directories, "
                      f"{sum(world.workspaces.values())} WorkSpaces; broken: no role in {', '.join(world.missing_role) or 'none'}, "
                      f"Region not enabled in {', '.join(f'{k} ({v})' for k, v in world.disabled.items()) or 'none'}")
                if a.latency_ms is not None:
                    config.latency_ms = a.latency_ms
            try:
                run = fleet_mod.FleetAuditor(env, scope, criteria).run(shard=shard)
            finally:
                if env.simulated:
                    clear_disabled_regions(world)
                    config.latency_ms = 0.0
    except EnvironmentProblem as exc:
        _err(str(exc))
        return ExitCode.NOT_FULLY_EVALUATED
    summary = fleet_report.build_summary(run, profile=profile.label, baseline=profile.profile.baseline, shard=shard,
                                         run_info=_run_info(run_dir, started, argv))
    print(write_run(run_dir, summary))
    print(f"exit code {summary['exit_code']}: {summary['exit_meaning']}")
    print(f"run:     {run_dir}")
    return summary["exit_code"]


def is_fleet_run(folder: Path) -> bool:
    from .report import runs

    try:
        return "fleet" in json.loads((folder / runs.SUMMARY_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def merge_report(folders: list[Path], out: Path | None = None) -> int:
    """``wscard report`` on fleet run folders: merge the shards into a new run folder
    (summary, table, Allure results, HTML report), say if a shard is missing, and return
    the merged summary's exit code."""
    from .report import fleet as fleet_report
    from .report import runs

    summaries = [json.loads((f / runs.SUMMARY_NAME).read_text(encoding="utf-8")) for f in folders]
    run_dir = out.parent if out is not None and out.suffix == ".html" else (out or runs.RUNS / runs.new_run_id())
    started = datetime.now(timezone.utc)
    try:
        runs.ensure_writable(run_dir, "--out")
        merged = fleet_report.merge(summaries, run_info=_run_info(run_dir, started,
                                                                 ["report", *map(str, folders)]))
    except (HarnessError, runs.OutputNotWritable) as exc:
        print(f"wscard report: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    print(write_run(run_dir, merged))
    missing = merged["fleet"]["shards"]["missing"]
    if missing:
        count = merged["fleet"]["shards"]["count"]
        print(f"wscard report: shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing: their accounts are "
              "not evaluated", file=sys.stderr)
    print(f"merged {len(folders)} fleet runs into {run_dir}")
    return merged["exit_code"]


def main(argv: list[str] | None = None) -> int:
    return cmd_fleet(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
