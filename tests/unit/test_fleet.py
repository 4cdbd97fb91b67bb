"""The fleet audit (issue 16) over a simulated organization with broken accounts: per-directory
verdicts, a not-evaluated entry with the reason and the fix for each broken account,
sharded runs merged equal to one run, the fewest calls, the write guard on every assumed
session, the IAM policy covering every call, and the moto server's request hook."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from wscard.aws import fleet
from wscard.aws.env import AwsEnvironment, is_read_only
from wscard.aws.fleet_world import build_organization, clear_disabled_regions, facts
from wscard.errors import ChangeRefused, HarnessError, ProfileError
from wscard.profile import load_profile
from wscard.report import fleet as fleet_report
from wscard.sections.fleet import FleetSection
from wscard.verdict import Outcome

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "docs" / "iam" / "wscard-audit-policy.json"
PROFILE = ROOT / "profiles" / "fleet-simulated.toml"

pytestmark = [pytest.mark.usefixtures("fidelity_recorder", "model_fidelity"),
              # moto's serializer notes that AccessDenied (an AWS common error) is not in STS's model
              pytest.mark.filterwarnings(r"ignore:Exception\(AccessDenied\):UserWarning")]


@pytest.fixture(scope="module")
def org():
    from moto.moto_api._internal.models import moto_api_backend

    profile = load_profile(PROFILE)
    from wscard.pki import get_pki

    chain = get_pki(profile.pki).ca_chain
    with AwsEnvironment("server", "us-east-1") as env:
        env.recorder.keep_responses = False
        sim = profile.fleet.simulated
        world = build_organization(env, sim, role_name="wscard-audit", chain_pems=[e.pem for e in chain],
                                   ocsp_url=profile.aws.ocsp_url, workspaces_per_directory=30)
        criteria = fleet.Criteria.from_profile(profile, chain)
        try:
            yield env, world, profile, criteria
        finally:
            clear_disabled_regions(world)
            moto_api_backend.reset()


def _audit(org, shard=None, **scope):
    env, world, profile, criteria = org
    s = dataclasses.replace(profile.fleet, **scope)
    return fleet.FleetAuditor(env, s, criteria).run(shard=shard)


def _summary(run, profile, shard=None):
    return fleet_report.build_summary(run, profile=profile.label, baseline=profile.profile.baseline, shard=shard,
                                      run_info={"run_id": "test"})


def test_per_directory_verdicts_and_broken_accounts_not_evaluated(org):
    env, world, profile, _ = org
    run = _audit(org)
    # every directory of every readable account and Region was judged
    readable = {d for (a, r), ids in world.directories.items() for d in ids
                if a not in world.missing_role and world.disabled.get(a) != r}
    assert {d.directory_id for d in run.directories} == readable
    assert all(len(d.results) == len(fleet.DIRECTORY_REQUIREMENTS) for d in run.directories)
    # the broken accounts: one entry each, with the reason and the fix
    (no_role,) = world.missing_role
    (disabled_account, region), = world.disabled.items()
    by_where = {(u.account, u.region): u for u in run.unreadable}
    assert set(by_where) == {(no_role, "*"), (disabled_account, region)}
    role = by_where[(no_role, "*")]
    assert "cannot be assumed" in role.reason and role.code == "AccessDenied"
    assert "Create the role wscard-audit" in role.fix and "wscard-audit-policy.json" in role.fix
    off = by_where[(disabled_account, region)]
    assert off.code == "UnrecognizedClientException" and "not enabled" in off.reason and "Enable" in off.fix
    # the planted findings fail exactly where they were planted
    summary = _summary(run, profile)
    cells = {d["directory"]: d["verdicts"] for d in summary["fleet"]["directories"]}
    for did, reqs in world.planted.items():
        for rid in reqs:
            assert cells[did][rid] == "failed", (did, rid)
    planted = {(d, r) for d, rs in world.planted.items() for r in rs}
    failed = {(d, r) for d, v in cells.items() for r, x in v.items() if x == "failed"}
    assert failed == planted
    # a gap is never a pass: every directory requirement is at best partially evaluated
    for rid in fleet.DIRECTORY_REQUIREMENTS:
        assert summary["requirements"][rid]["status"] in ("failed", "partially evaluated"), rid
    assert summary["exit_code"] == 1
    # every result carries its account, Region and directory
    for e in summary["requirements"].values():
        for sc in e["scenarios"]:
            assert sc.get("directory"), sc
    import jsonschema

    jsonschema.validate(summary, json.loads((ROOT / "wscard" / "data" / "summary.schema.json").read_text()))
    text = fleet_report.table(summary)
    assert no_role in text and "cannot be assumed" in text


def test_sharded_runs_merged_equal_one_run(org):
    env, world, profile, _ = org
    whole = _summary(_audit(org), profile)
    # account IDs are random, so a shard may be empty: the test holds for any split
    n = 3
    shards = [_summary(_audit(org, shard=(i, n)), profile, (i, n)) for i in range(1, n + 1)]
    read = [s["fleet"]["accounts_read"] for s in shards]
    assert all(fleet.shard_of(a, n) == i for i, accounts in enumerate(read, 1) for a in accounts)
    assert sorted(a for accounts in read for a in accounts) == sorted(whole["fleet"]["accounts_read"])
    merged = fleet_report.merge(shards, run_info={"run_id": "merged"})
    assert merged["fleet"]["shards"] == {"count": n, "present": list(range(1, n + 1)), "missing": []}
    assert {rid: e["status"] for rid, e in merged["requirements"].items()} == \
        {rid: e["status"] for rid, e in whole["requirements"].items()}
    cell = lambda s: {(d["account"], d["region"], d["directory"]): d["verdicts"] for d in s["fleet"]["directories"]}
    assert cell(merged) == cell(whole)
    where = lambda s: sorted((e["account"], e["region"]) for e in s["fleet"]["not_evaluated"])
    assert where(merged) == where(whole)
    assert merged["exit_code"] == whole["exit_code"]
    # a missing shard is said, and its accounts are not evaluated: leave out the shard with most accounts
    gone_index = max(range(1, n + 1), key=lambda i: len(read[i - 1]))
    assert read[gone_index - 1], "some shard read accounts"
    partial = fleet_report.merge([s for i, s in enumerate(shards, 1) if i != gone_index], run_info={"run_id": "partial"})
    assert partial["fleet"]["shards"]["missing"] == [gone_index]
    gone = {e["account"] for e in partial["fleet"]["not_evaluated"] if e["code"] == "shard missing"}
    assert gone == set(read[gone_index - 1])
    assert f"missing {gone_index}/{n}" in fleet_report.table(partial)
    assert partial["exit_code"] in (1, 6) and all(
        partial["requirements"][rid]["status"] != "passed" for rid in fleet.DIRECTORY_REQUIREMENTS)
    with pytest.raises(HarnessError, match="given twice"):
        fleet_report.merge([shards[0], shards[0]], run_info={})


def test_calls_are_the_minimum(org):
    env, world, profile, _ = org
    run = _audit(org, organization=True)
    f = facts(world, run.regions)
    expected = fleet.minimum_calls(organization_accounts=len(world.accounts), accounts=len(world.accounts),
                                   units=f["units"], refused_units=f["refused_units"])
    assert run.calls == expected, run.calls_by_operation


def test_policy_covers_every_call_and_is_read_only(org):
    env, world, profile, _ = org
    mark = env.recorder.mark()
    _audit(org, organization=True)
    _audit(org, directory_tags={"team": "x"})  # ListTagsForResource
    _audit(org, accounts=[], organization=False)  # the credentials' own account: GetCallerIdentity
    called = {f"{c.service}:{c.operation}" for c in env.recorder.since(mark)}
    policy = json.loads(POLICY.read_text())
    allowed = {a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"]}
    assert called <= allowed, called - allowed
    assert {"organizations:ListAccounts", "sts:AssumeRole", "ds:ListTagsForResource"} <= called
    for action in allowed:
        service, operation = action.split(":")
        assert "*" not in operation and is_read_only(operation, service), action


def test_write_guard_applies_to_every_assumed_session(org):
    env, world, profile, criteria = org
    auditor = fleet.FleetAuditor(env, FleetSection(), criteria)
    auditor._loader = env.session._session.get_component("data_loader")
    account = next(a for a, _ in world.members if a not in world.missing_role)
    session = auditor._assume(account, "aws")
    ws = auditor._client(session, "workspaces", "us-east-1", account)
    assert ws.meta.config.retries["mode"] == "adaptive"
    assert auditor._client(session, "workspaces", "us-east-1", account) is ws  # reused
    env.guard.enforced = True
    try:
        ws.describe_workspaces(Limit=1)  # reads pass
        with pytest.raises(ChangeRefused):
            ws.modify_workspace_access_properties(ResourceId="d-1234567890",
                                                  WorkspaceAccessProperties={"DeviceTypeWeb": "ALLOW"})
    finally:
        env.guard.enforced = False
    assert "workspaces:ModifyWorkspaceAccessProperties" in env.guard.refused


def test_latency_hook_delays_each_answer(org):
    from wscard.aws.moto_ext import config

    env = org[0]
    ds = env.client("ds", "us-east-1")
    config.latency_ms = 120
    try:
        t0 = time.perf_counter()
        ds.describe_directories()
        assert time.perf_counter() - t0 >= 0.12
    finally:
        config.latency_ms = 0.0


def test_shard_slices_are_stable_and_cover_everything():
    accounts = [f"{n:012d}" for n in range(1000, 1040)]
    for n in (1, 2, 3, 7):
        slices = [{a for a in accounts if fleet.shard_of(a, n) == i} for i in range(1, n + 1)]
        assert set().union(*slices) == set(accounts) and sum(map(len, slices)) == len(accounts)
    assert fleet.shard_of("111122223333", 4) == fleet.shard_of("111122223333", 4)
    assert fleet.parse_shard("2/4") == (2, 4)
    for bad in ("0/2", "3/2", "x", "1-2"):
        with pytest.raises(ProfileError, match="--shard"):
            fleet.parse_shard(bad)


def test_fleet_section_refuses_bad_values(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('extends = "embedded"\n[fleet]\naccounts = ["12345"]\n')
    with pytest.raises(ProfileError, match=r"\[fleet\].accounts"):
        load_profile(p)
    p.write_text('extends = "embedded"\n[fleet]\norganization = true\naccounts = ["123456789012"]\n')
    with pytest.raises(ProfileError, match="either accounts or organization"):
        load_profile(p)


def test_a_command_line_override_is_validated_like_the_profile_key(tmp_path, capsys):
    """Fault: each value the profile's key refuses is refused as an override too, with the
    same message, naming the option (and `wscard fleet` stops with a usage error before
    anything is read)."""
    from wscard import fleet_cli
    from wscard.verdict import ExitCode

    profile = load_profile(PROFILE)
    cases = (("workers", 0), ("workers", 65), ("regions", ["us-east"]), ("directory_ids", ["d-1"]),
             ("role_name", "no spaces"), ("accounts", ["12345"]))
    for key, value in cases:
        p = tmp_path / "p.toml"
        p.write_text(f'extends = "{PROFILE.as_posix()}"\n[fleet]\norganization = false\n{key} = {json.dumps(value)}\n')
        with pytest.raises(ProfileError) as in_profile:
            load_profile(p)
        overrides = {key: value, "organization": False} if key == "accounts" else {key: value}
        with pytest.raises(ProfileError) as given:
            fleet_cli.fleet_scope(profile, **overrides)
        assert in_profile.value.key == f"[fleet].{key}", in_profile.value
        assert given.value.message == in_profile.value.message, (key, value)
        assert given.value.key == f"{fleet_cli.OPTIONS[key]} (overrides [fleet].{key})"
    for argv, said in ((["--workers", "0"], "--workers (overrides [fleet].workers): must be 1 to 64"),
                       (["--regions", "us-east-1,useast"], "--regions (overrides [fleet].regions): 'useast' is not")):
        run_dir = tmp_path / "run"
        assert fleet_cli.main(["--profile", str(PROFILE), "--run-dir", str(run_dir), *argv]) == ExitCode.USAGE_ERROR
        assert said in capsys.readouterr().err
        assert not run_dir.exists()


def test_an_override_of_none_keeps_the_profiles_value():
    """Trap: an option not given (None) leaves the profile's key as it is; one given
    replaces only its key; the loaded profile is not changed."""
    from wscard import fleet_cli

    profile = load_profile(PROFILE)
    kept = fleet_cli.fleet_scope(profile, **dict.fromkeys(fleet_cli.OPTIONS))
    assert kept == profile.fleet and kept.organization is True and kept.workers == 8
    given = fleet_cli.fleet_scope(profile, workers=3, regions=["us-west-2"], role_name=None)
    assert (given.workers, given.regions, given.organization, given.role_name) == (3, ["us-west-2"], True,
                                                                                   "wscard-audit")
    assert profile.fleet.workers == 8 and profile.fleet.regions == []
    assert fleet.scope_record(given) == {**fleet.scope_record(profile.fleet), "workers": 3, "regions": ["us-west-2"]}


def test_wscard_report_merges_shard_run_folders(org, tmp_path, capsys):
    from wscard import cli, fleet_cli

    env, world, profile, _ = org
    folders = []
    for i in (1, 2):
        folder = tmp_path / f"shard-{i}"
        folder.mkdir()
        fleet_cli.write_run(folder, _summary(_audit(org, shard=(i, 2)), profile, (i, 2)))
        folders.append(folder)
    assert (folders[0] / "fleet-table.txt").read_text().startswith("account Region directory")
    results = [json.loads(p.read_text()) for p in (folders[0] / "allure-results").glob("*-result.json")]
    labels = {lb["name"] for r in results for lb in r["labels"]}
    assert {"parentSuite", "suite", "subSuite"} <= labels  # account, Region, directory
    overview = (folders[0] / "allure-results" / "environment.properties").read_text()
    assert "fleet " in overview  # the condensed fleet table on the report's first page
    merged_dir = tmp_path / "merged"
    code = cli.main(["report", str(folders[0]), str(folders[1]), "--out", str(merged_dir)])
    merged = json.loads((merged_dir / "compliance-summary.json").read_text())
    assert code == merged["exit_code"] == 1
    assert merged["fleet"]["shards"]["missing"] == []
    assert (merged_dir / "fleet-table.txt").exists()
    code = cli.main(["report", str(folders[0]), "--out", str(tmp_path / "partial")])
    partial = json.loads((tmp_path / "partial" / "compliance-summary.json").read_text())
    assert code == partial["exit_code"] and code in (1, 6)  # shard 1's findings, or not fully evaluated
    assert "shard(s) 2/2 missing" in capsys.readouterr().err
    # a shard of another audit (another organization) is noticed
    other = json.loads((folders[1] / "compliance-summary.json").read_text())
    other["fleet"]["accounts_in_scope"].append("999999999999")
    gaps = fleet_report.merge([json.loads((folders[0] / "compliance-summary.json").read_text()), other],
                              run_info={})["fleet"]["not_evaluated"]
    assert any(g["account"] == "999999999999" for g in gaps)


def test_a_refused_read_leaves_exactly_its_requirements_not_evaluated():
    """The role lacks ds:ListCertificates (AccessDeniedException) in one Region: the CA
    requirements of its directories are environment problems naming the action and the
    policy; the others are judged."""
    from botocore.exceptions import ClientError

    class Ds:
        def describe_directories(self, **kw):
            return {"DirectoryDescriptions": [{"DirectoryId": "d-1234567890", "Type": "ADConnector",
                                               "Name": "corp.example.com", "ShortName": "CORP"}]}

        def list_certificates(self, **kw):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
                              "ListCertificates")

        def describe_client_authentication_settings(self, **kw):
            return {"ClientAuthenticationSettingsInfo": [{"Type": "SmartCard", "Status": "Enabled"}]}

    class Ws:
        def describe_workspace_directories(self, **kw):
            return {"Directories": [{"DirectoryId": "d-1234567890", "State": "REGISTERED",
                                     "WorkspaceAccessProperties": {"DeviceTypeWindows": "ALLOW"}}]}

        def describe_workspaces(self, **kw):
            return {"Workspaces": [{"WorkspaceId": "ws-abcdefgh1", "DirectoryId": "d-1234567890", "UserName": "u",
                                    "WorkspaceProperties": {"Protocols": ["WSP"],
                                                            "OperatingSystemName": "WINDOWS_SERVER_2022"}}]}

    criteria = fleet.Criteria("admin-guide", ["pre-session", "in-session"], [], "", 180, ["windows"])
    from types import SimpleNamespace

    auditor = fleet.FleetAuditor(SimpleNamespace(region="us-east-1"), FleetSection(), criteria)  # type: ignore[arg-type]
    auditor._client = lambda session, service, region, account: Ds() if service == "ds" else Ws()
    (audit,), unreadable = auditor._read_unit("111122223333", "", None, "us-east-1")
    assert unreadable == []
    assert set(audit.problems) == set(fleet.NEEDS["ListCertificates"])
    assert all("ds:ListCertificates" in p and "wscard-audit-policy.json" in p for p in audit.problems.values())
    outcomes = {r.requirement: fleet.outcome_of(r) for r in audit.results}
    assert outcomes["AUTH-3"] is Outcome.PASSED and outcomes["WSP-1"] is Outcome.PASSED


def test_live_fleet_profile_needs_no_directory_id(tmp_path):
    text = (ROOT / "profiles" / "fleet-live-template.toml").read_text().split("[pki]")[0]
    p = tmp_path / "org.toml"
    p.write_text(text)
    prof = load_profile(p)
    assert prof.aws.mode == "live" and prof.fleet.organization and prof.aws.directory.id == ""
    p.write_text(text.replace("[fleet]", "[unused]").split("[unused]")[0])  # no [fleet]: a one-directory profile
    with pytest.raises(ProfileError, match=r"\[aws.directory\].id"):
        load_profile(p)


def test_directory_filter_and_a_named_directory_not_found(org):
    env, world, profile, _ = org
    wanted = next(d for (a, r), ids in world.directories.items() for d in ids
                  if a not in world.missing_role and world.disabled.get(a) != r)
    run = _audit(org, directory_ids=[wanted, "d-0000000000"])
    assert [d.directory_id for d in run.directories] == [wanted]
    assert run.directories[0].workspaces == world.workspaces[wanted]  # read per directory when filtered
    summary = _summary(run, profile)
    missing = [e for e in summary["fleet"]["not_evaluated"] if e["code"] == "not found"]
    assert len(missing) == 1 and "d-0000000000" in missing[0]["reason"]
    assert summary["exit_code"] in (1, 6)
    # one shard alone cannot tell: the directory may be in another shard's accounts
    shard = _summary(_audit(org, shard=(1, 2), directory_ids=["d-0000000000"]), profile, (1, 2))
    assert not [e for e in shard["fleet"]["not_evaluated"] if e["code"] == "not found"]


def test_throttling_is_retried_and_changes_no_verdict(org):
    from wscard.aws.moto_ext import config

    env, world, profile, _ = org
    cells = lambda s: {(d["account"], d["region"], d["directory"]): d["verdicts"] for d in s["fleet"]["directories"]}
    calm = _summary(_audit(org), profile)
    config.throttled, config.throttle_every = 0, 4
    try:
        run = _audit(org)
    finally:
        config.throttle_every = 0
    assert config.throttled > 0
    stormy = _summary(run, profile)
    assert cells(stormy) == cells(calm) and stormy["fleet"]["not_evaluated"] == calm["fleet"]["not_evaluated"]


def test_an_audit_that_judges_no_directory_is_never_compliant(tmp_path):
    """No directory in the scope (the Regions read hold none, or a filter matches nothing):
    not evaluated with the reason, exit 6, never 0."""
    import json
    import subprocess
    import sys

    # its own process: the simulated organization is built in moto's process-wide state
    proc = subprocess.run([sys.executable, "-m", "wscard.cli", "fleet", "--run-dir", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    summary = json.loads((tmp_path / "run" / "compliance-summary.json").read_text())
    assert proc.returncode == 6 == summary["exit_code"], proc.stdout[-2000:] + proc.stderr[-2000:]
    assert any(e["code"] == "no directory" for e in summary["fleet"]["not_evaluated"])
