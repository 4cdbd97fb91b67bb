"""WSP-1..WSP-3 and the fleet audit: pure functions over WorkSpaces snapshots, and the
readers against the simulated service (pages of 25, fewest calls)."""

from __future__ import annotations

import pytest

from wscard.aws import workspaces as wsp
from wscard.aws.env import AwsEnvironment
from wscard.aws.world import create_directory

REGISTERED = {"DirectoryId": "d-1234567890", "State": "REGISTERED",
              "WorkspaceAccessProperties": {"DeviceTypeWindows": "ALLOW", "DeviceTypeOsx": "ALLOW",
                                            "DeviceTypeLinux": "DENY"}}


def ws(n: int, protocol: str = "WSP", os_name: str = "WINDOWS_SERVER_2022", user: str | None = None) -> dict:
    props = {"OperatingSystemName": os_name}
    if protocol:
        props["Protocols"] = [protocol]
    return {"WorkspaceId": f"ws-{n:09d}", "UserName": user or f"user{n}", "DirectoryId": "d-1234567890",
            "WorkspaceProperties": props}


def snap(workspaces, region="us-gov-west-1", directory=REGISTERED):
    return wsp.WorkspacesSnapshot("d-1234567890", region, directory, list(workspaces))


# --- WSP-1 -------------------------------------------------------------------------------
def test_wsp_workspaces_pass():
    r = wsp.check_protocol(snap([ws(1), ws(2)]), "seed")
    assert r.status.value == "passed"
    assert r.evidence["protocols"] == {"WSP": 2}


def test_pcoip_workspace_fails_naming_id_and_user():
    r = wsp.check_protocol(snap([ws(n) for n in range(500)] + [ws(500, "PCOIP", user="pcoip.user")]), "seed")
    assert r.status.value == "failed"
    msg = r.message()
    assert "1 of 501 WorkSpaces" in msg and "ws-000000500 (user pcoip.user)" in msg
    assert r.evidence["not_wsp"] == [{"WorkspaceId": "ws-000000500", "UserName": "pcoip.user", "Protocols": ["PCOIP"]}]


def test_many_pcoip_workspaces_are_listed_in_evidence_not_all_in_message():
    r = wsp.check_protocol(snap([ws(n, "PCOIP") for n in range(40)]), "seed")
    assert "and 15 more" in r.message()
    assert len(r.evidence["not_wsp"]) == 40


def test_unreported_protocol_warns():
    r = wsp.check_protocol(snap([ws(1, protocol="")]), "seed")
    assert r.status.value == "warning"


def test_wsp1_skipped_without_workspaces_or_registration():
    assert wsp.check_protocol(snap([]), "seed").status.value == "skipped"
    assert wsp.check_protocol(snap([ws(1)], directory=None), "seed").status.value == "skipped"


# --- WSP-2 -------------------------------------------------------------------------------
@pytest.mark.parametrize("os_name, family", [("WINDOWS_10", "windows"), ("WINDOWS_SERVER_2022", "windows"),
                                             ("AMAZON_LINUX_2", "linux"), ("RHEL_8", "linux"),
                                             ("UBUNTU_22_04", "linux"), ("UNKNOWN", "unknown"), ("", "unknown")])
def test_os_family(os_name, family):
    assert wsp.os_family(ws(1, os_name=os_name)) == family


def test_unknown_os_fails():
    r = wsp.check_operating_systems(snap([ws(1), ws(2, os_name="UNKNOWN")]), "seed")
    assert r.status.value == "failed"
    assert "other than Windows or Linux (UNKNOWN)" in r.message()


def test_linux_wsp_outside_us_gov_west_1_fails_under_admin_guide_only():
    s = snap([ws(1), ws(2, os_name="AMAZON_LINUX_2")], region="us-east-1")
    admin = wsp.check_operating_systems(s, "admin-guide")
    seed = wsp.check_operating_systems(s, "seed")
    assert admin.status.value == "failed" and seed.status.value == "passed"
    assert admin.evidence["baselines_disagree"] is True
    assert "documented only in us-gov-west-1" in admin.message()
    assert "under the seed baseline it is passed" in admin.message()


def test_linux_pcoip_is_not_a_linux_wsp_workspace():
    s = snap([ws(1, "PCOIP", os_name="AMAZON_LINUX_2")], region="us-east-1")
    assert wsp.check_operating_systems(s, "admin-guide").status.value == "passed"


# --- WSP-3 -------------------------------------------------------------------------------
def test_registered_with_windows_allowed_passes():
    assert wsp.check_device_access(snap([ws(1)]), ["windows"]).status.value == "passed"


def test_windows_denied_fails_with_the_fix():
    directory = {**REGISTERED, "WorkspaceAccessProperties": {"DeviceTypeWindows": "DENY"}}
    r = wsp.check_device_access(snap([ws(1)], directory=directory), ["windows"])
    assert r.status.value == "failed"
    assert "DeviceTypeWindows = DENY" in r.message()
    assert "DeviceTypeWindows=ALLOW" in r.message()


def test_every_required_device_type_is_checked():
    r = wsp.check_device_access(snap([ws(1)]), wsp.required_device_types(["windows", "linux"], "macos"))
    assert r.status.value == "failed"
    assert "linux devices" in r.message() and "macos" not in r.message()


def test_not_registered_fails():
    r = wsp.check_device_access(snap([], directory=None), ["windows"])
    assert r.status.value == "failed"
    assert "register-workspace-directory" in r.message()


def test_required_device_types_adds_the_client_platform_once():
    assert wsp.required_device_types(["windows"], "windows") == ["windows"]
    assert wsp.required_device_types(["windows"], "macos") == ["windows", "macos"]


# --- readers against the simulated service ----------------------------------------------
@pytest.fixture(scope="module")
def env():
    with AwsEnvironment("embedded", "us-gov-west-1") as e:
        yield e


def _directory(env, n: int, region="us-gov-west-1", protocol="WSP"):
    did = create_directory(env, region, "ADConnector", "corp.example.com", "CORP")
    client = env.client("workspaces", region)
    client.register_workspace_directory(DirectoryId=did)
    for start in range(0, n, 25):
        client.create_workspaces(Workspaces=[
            {"DirectoryId": did, "UserName": f"{did}-u{i}", "BundleId": "wsb-abcdefgh1",
             "WorkspaceProperties": {"Protocols": [protocol], "OperatingSystemName": "WINDOWS_10"}}
            for i in range(start, min(n, start + 25))])
    return did


def test_read_workspaces_in_pages_of_25(env):
    did = _directory(env, 60)
    mark = env.recorder.mark()
    s = wsp.read_workspaces(env.client("workspaces"), did, "us-gov-west-1")
    calls = [c.operation for c in env.recorder.since(mark)]
    assert len(s.workspaces) == 60
    assert calls == ["DescribeWorkspaceDirectories"] + ["DescribeWorkspaces"] * 3


def test_read_workspaces_of_unregistered_directory(env):
    did = create_directory(env, "us-gov-west-1", "ADConnector", "corp.example.com", "CORP")
    s = wsp.read_workspaces(env.client("workspaces"), did, "us-gov-west-1")
    assert s.directory is None and not s.registered


def test_fleet_audit_makes_the_minimum_number_of_calls():
    with AwsEnvironment("embedded", "eu-west-1") as e:
        ids = [_directory(e, n, "eu-west-1") for n in (30, 20, 0)]
        bad = _directory(e, 3, "eu-west-1", protocol="PCOIP")
        mark = e.recorder.mark()
        audit = wsp.audit_fleet(e.client("workspaces", "eu-west-1"), "eu-west-1", "seed")
        calls = len(e.recorder.since(mark))
    assert {s.directory_id for s in audit.snapshots} == set(ids + [bad])
    assert audit.workspaces == 53
    assert calls == wsp.minimum_calls(4, 53) == 1 + 3
    assert audit.failed()[bad] == ["WSP-1", "WSP-3"]  # PCoIP; Windows denied by default


def test_minimum_calls():
    assert wsp.minimum_calls(20, 10_000) == 1 + 400
    assert wsp.minimum_calls(26, 0) == 2 + 1


# --- WSP-1 with the API's new protocol name (real input: tests/data/workspaces/) ------------
import json  # noqa: E402
from pathlib import Path  # noqa: E402

DCV_PAGE = Path(__file__).resolve().parents[1] / "data" / "workspaces" / "describe-workspaces-dcv.json"


def _dcv_snapshot(extra=()):
    page = json.loads(DCV_PAGE.read_text())
    return wsp.WorkspacesSnapshot("d-906700dead", "us-gov-west-1",
                                  {**REGISTERED, "DirectoryId": "d-906700dead"}, page["Workspaces"] + list(extra))


@pytest.mark.parametrize("baseline", ["seed", "admin-guide", "current"])
def test_dcv_protocol_is_the_renamed_wsp_under_every_baseline(baseline):
    r = wsp.check_protocol(_dcv_snapshot(), baseline)
    assert r.status.value == "passed", r.message()
    assert r.evidence["protocols"] == {"DCV": 1}
    assert "DCV, the current name of WSP" in r.evidence["protocol_names"]
    assert wsp.is_wsp(_dcv_snapshot().workspaces[0])
    assert wsp.protocol_shown(_dcv_snapshot().workspaces[0]) == "DCV (the renamed WSP)"


def test_pcoip_next_to_dcv_fails_naming_the_value_the_api_returned():
    r = wsp.check_protocol(_dcv_snapshot([ws(2, "PCOIP", user="pc.user")]), "current")
    assert r.status.value == "failed"
    msg = r.message()
    assert "stream with PCOIP (WorkspaceProperties.Protocols as DescribeWorkspaces returned it)" in msg
    assert "called DCV in the current guides" in msg and "ws-000000002 (user pc.user)" in msg
    assert "ws-dcv000001" not in msg


def test_linux_dcv_workspace_counts_as_linux_on_wsp():
    r = wsp.check_operating_systems(snap([ws(1, "DCV", "AMAZON_LINUX_2")], region="us-east-1"), "admin-guide")
    assert r.evidence["linux_wsp_workspaces"] == 1
    assert r.status.value == "failed"  # the admin guide of 2021: Linux on WSP in us-gov-west-1 only


# --- out of scope: WorkSpaces Pools, certificate-based authentication ---------------------
@pytest.mark.parametrize("directory,words", [
    ({**REGISTERED, "WorkspaceType": "POOLS"}, "WorkSpaces Pools directory"),
    ({**REGISTERED, "CertificateBasedAuthProperties": {"Status": "ENABLED", "CertificateAuthorityArn": "arn:x"}},
     "certificate-based authentication"),
])
def test_pools_and_certificate_based_auth_are_out_of_scope_never_a_pass(directory, words):
    s = snap([ws(1)], directory=directory)
    for r in (wsp.check_protocol(s, "current"), wsp.check_operating_systems(s, "current"),
              wsp.check_device_access(s, ["windows"])):
        assert r.status.value == "skipped", r.requirement
        assert words in r.skipped_because and "out of scope, not evaluated" in r.skipped_because


def test_personal_directory_with_cba_disabled_is_in_scope():
    s = snap([ws(1)], directory={**REGISTERED, "WorkspaceType": "PERSONAL",
                                 "CertificateBasedAuthProperties": {"Status": "DISABLED"}})
    assert wsp.check_protocol(s, "current").status.value == "passed"
