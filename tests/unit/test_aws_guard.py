"""Live AWS is read-only: every mutating call outside the sandbox allowance is refused
in code, before anything is signed or sent."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from wscard.aws.env import AwsEnvironment, is_read_only
from wscard.errors import ChangeRefused

SANDBOX = "d-1234567890"
OTHER = "d-0987654321"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture
def live(monkeypatch):
    # fake credentials: nothing may reach AWS in this test (the stubber answers reads)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)

    def make(allow=None, mode="live", endpoint=""):
        env = AwsEnvironment(mode, "us-gov-west-1", allow_changes_for=allow, endpoint_url=endpoint)
        env.start()
        return env

    return make


@pytest.mark.parametrize("op, ro", [("DescribeDirectories", True), ("ListCertificates", True),
                                    ("GetDirectoryLimits", True), ("RegisterCertificate", False),
                                    ("EnableClientAuthentication", False), ("DeleteDirectory", False)])
def test_read_only_classification(op, ro):
    assert is_read_only(op) is ro


def test_live_refuses_every_mutating_call_without_allowance(live):
    env = live()
    ds = env.client("ds")
    with Stubber(ds):  # the stubber would fail the test if a request got as far as sending
        for call, kwargs in [
            (ds.register_certificate, {"DirectoryId": SANDBOX, "CertificateData": PEM, "Type": "ClientCertAuth"}),
            (ds.enable_client_authentication, {"DirectoryId": SANDBOX, "Type": "SmartCard"}),
            (ds.disable_client_authentication, {"DirectoryId": SANDBOX, "Type": "SmartCard"}),
            (ds.deregister_certificate, {"DirectoryId": SANDBOX, "CertificateId": "c-1234567890"}),
            (ds.delete_directory, {"DirectoryId": SANDBOX}),
        ]:
            with pytest.raises(ChangeRefused, match="--allow-aws-changes"):
                call(**kwargs)
    assert len(env.guard.refused) == 5
    assert env.recorder.calls == []  # nothing was sent


def test_live_allows_changes_only_to_the_named_sandbox(live):
    env = live(allow=SANDBOX)
    ds = env.client("ds")
    with Stubber(ds) as stub:
        stub.add_response("enable_client_authentication", {}, {"DirectoryId": SANDBOX, "Type": "SmartCard"})
        ds.enable_client_authentication(DirectoryId=SANDBOX, Type="SmartCard")
        with pytest.raises(ChangeRefused, match=f"only for the sandbox directory {SANDBOX}"):
            ds.enable_client_authentication(DirectoryId=OTHER, Type="SmartCard")
        with pytest.raises(ChangeRefused):
            ds.connect_directory(Name="x.example.com", Password="P@ssw0rd-not-sent", Size="Small",
                                 ConnectSettings={"VpcId": "vpc-1", "SubnetIds": ["subnet-1", "subnet-2"],
                                                  "CustomerDnsIps": ["10.0.0.1"], "CustomerUserName": "u"})
    # another service's mutating call is refused as well
    ec2 = env.client("ec2")
    with Stubber(ec2), pytest.raises(ChangeRefused):
        ec2.create_vpc(CidrBlock="10.0.0.0/16")


def test_reads_pass_the_guard(live):
    env = live()
    ds = env.client("ds")
    with Stubber(ds) as stub:
        stub.add_response("describe_directories", {"DirectoryDescriptions": []}, {"DirectoryIds": [SANDBOX]})
        assert ds.describe_directories(DirectoryIds=[SANDBOX])["DirectoryDescriptions"] == []


def test_non_loopback_endpoint_is_guarded_loopback_is_not(live):
    assert live(mode="endpoint", endpoint="https://ds-fips.us-gov-west-1.amazonaws.com").guard.enforced
    assert not live(mode="endpoint", endpoint="http://127.0.0.1:5000").guard.enforced


def test_simulated_world_is_not_guarded_and_records_calls_without_secrets():
    with AwsEnvironment("embedded", "us-gov-west-1") as env:
        from wscard.aws.world import create_directory

        create_directory(env, "us-gov-west-1", "ADConnector", "corp.example.com", "CORP")
        calls = env.calls_since(0)
    connect = [c for c in calls if c["operation"] == "ConnectDirectory"][0]
    assert connect["request"]["Password"] == "***redacted***"
    assert connect["http_status"] == 200


# --- WorkSpaces: calls name WorkSpace IDs, looked up with a read-only DescribeWorkspaces ----

SANDBOX_WS = "ws-sandbox01"
OTHER_WS = "ws-other0001"


def _owners(stub, ids_to_dirs):
    stub.add_response(
        "describe_workspaces",
        {"Workspaces": [{"WorkspaceId": w, "DirectoryId": d} for w, d in ids_to_dirs.items()]},
        {"WorkspaceIds": sorted(ids_to_dirs)},
    )


def test_workspaces_change_allowed_for_a_workspace_of_the_sandbox(live):
    env = live(allow=SANDBOX)
    ws = env.client("workspaces")
    with Stubber(ws) as stub:
        _owners(stub, {SANDBOX_WS: SANDBOX})
        stub.add_response("modify_workspace_properties", {},
                          {"WorkspaceId": SANDBOX_WS, "WorkspaceProperties": {"Protocols": ["WSP"]}})
        ws.modify_workspace_properties(WorkspaceId=SANDBOX_WS, WorkspaceProperties={"Protocols": ["WSP"]})
        stub.assert_no_pending_responses()
    assert [c.operation for c in env.recorder.calls] == ["DescribeWorkspaces", "ModifyWorkspaceProperties"]


def test_workspaces_change_refused_for_a_workspace_of_another_directory(live):
    env = live(allow=SANDBOX)
    ws = env.client("workspaces")
    with Stubber(ws) as stub:  # only the lookup is answered: the change must not be sent
        _owners(stub, {OTHER_WS: OTHER})
        with pytest.raises(ChangeRefused, match=f"{OTHER_WS} \\({OTHER}\\)"):
            ws.modify_workspace_properties(WorkspaceId=OTHER_WS, WorkspaceProperties={"Protocols": ["WSP"]})
    assert env.guard.refused == ["workspaces:ModifyWorkspaceProperties"]
    assert [c.operation for c in env.recorder.calls] == ["DescribeWorkspaces"]


def test_workspaces_change_refused_for_an_unknown_workspace(live):
    env = live(allow=SANDBOX)
    ws = env.client("workspaces")
    with Stubber(ws) as stub:
        stub.add_response("describe_workspaces", {"Workspaces": []}, {"WorkspaceIds": [SANDBOX_WS]})
        with pytest.raises(ChangeRefused, match="not found"):
            ws.modify_workspace_properties(WorkspaceId=SANDBOX_WS, WorkspaceProperties={"Protocols": ["WSP"]})


def test_workspaces_batch_refused_when_one_workspace_is_outside(live):
    env = live(allow=SANDBOX)
    ws = env.client("workspaces")
    with Stubber(ws) as stub:
        _owners(stub, {SANDBOX_WS: SANDBOX, OTHER_WS: OTHER})
        with pytest.raises(ChangeRefused):
            ws.reboot_workspaces(RebootWorkspaceRequests=[{"WorkspaceId": SANDBOX_WS}, {"WorkspaceId": OTHER_WS}])


def test_workspaces_access_properties_allowed_only_for_the_sandbox_directory(live):
    env = live(allow=SANDBOX)
    ws = env.client("workspaces")
    with Stubber(ws) as stub:
        stub.add_response("modify_workspace_access_properties", {},
                          {"ResourceId": SANDBOX, "WorkspaceAccessProperties": {"DeviceTypeWindows": "ALLOW"}})
        ws.modify_workspace_access_properties(ResourceId=SANDBOX,
                                              WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})
        with pytest.raises(ChangeRefused, match=f"directory {OTHER}"):
            ws.modify_workspace_access_properties(ResourceId=OTHER,
                                                  WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})


def test_workspaces_operations_outside_the_allow_list_are_refused(live):
    env = live(allow=SANDBOX)
    ws = env.client("workspaces")
    with Stubber(ws):  # nothing is answered: nothing may be sent, not even a lookup
        with pytest.raises(ChangeRefused):
            ws.terminate_workspaces(TerminateWorkspaceRequests=[{"WorkspaceId": SANDBOX_WS}])
        with pytest.raises(ChangeRefused):
            ws.create_workspace_image(Name="img", Description="d", WorkspaceId=SANDBOX_WS)
        with pytest.raises(ChangeRefused):
            ws.create_workspaces(Workspaces=[{"DirectoryId": SANDBOX, "UserName": "u", "BundleId": "wsb-abcdefgh1"}])
        with pytest.raises(ChangeRefused):
            ws.create_tags(ResourceId="wsi-abcdefgh1", Tags=[{"Key": "k", "Value": "v"}])
    assert env.recorder.calls == []


def test_workspaces_changes_refused_without_allowance(live):
    env = live()
    ws = env.client("workspaces")
    with Stubber(ws):
        with pytest.raises(ChangeRefused, match="--allow-aws-changes"):
            ws.modify_workspace_properties(WorkspaceId=SANDBOX_WS, WorkspaceProperties={"Protocols": ["WSP"]})
    assert env.recorder.calls == []


def test_workspaces_targets_are_found_at_any_depth():
    from wscard.aws.env import workspaces_targets

    d, w, o = workspaces_targets({"RebootWorkspaceRequests": [{"WorkspaceId": "ws-a"}, {"WorkspaceId": "ws-b"}],
                                  "ResourceId": "wsi-image1"})
    assert (d, w, o) == (set(), {"ws-a", "ws-b"}, {"wsi-image1"})
