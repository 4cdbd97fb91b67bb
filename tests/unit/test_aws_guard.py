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


def test_every_endpoint_is_guarded_unless_declared_a_simulation(live):
    # a port-forward on 127.0.0.1 may reach real AWS: loopback is no proof of a simulation
    assert live(mode="endpoint", endpoint="https://ds-fips.us-gov-west-1.amazonaws.com").guard.enforced
    local = live(mode="endpoint", endpoint="http://127.0.0.1:5000")
    assert local.guard.enforced
    ds = local.client("ds")
    with Stubber(ds), pytest.raises(ChangeRefused, match="endpoint http://127.0.0.1:5000.*--simulated-endpoint"):
        ds.delete_directory(DirectoryId=SANDBOX)
    env = AwsEnvironment("endpoint", "us-gov-west-1", endpoint_url="http://127.0.0.1:5000", endpoint_simulated=True)
    assert not env.guard.enforced


def test_server_mode_started_by_the_harness_is_not_guarded():
    env = AwsEnvironment("server", "us-gov-west-1")
    assert not env.guard.enforced and env.simulated


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


# --- the allow-list: every mutating operation of ds and workspaces is refused unless allowed ---

import botocore.session  # noqa: E402
from botocore import xform_name  # noqa: E402

from wscard.aws.env import SANDBOX_OPERATIONS  # noqa: E402

SERVICES = ("ds", "workspaces")


def _model(service):
    return botocore.session.get_session().get_service_model(service)


def _mutating(service):
    return [op for op in _model(service).operation_names if not is_read_only(op)]


def _sandbox_params(service, op):
    """Every input member that can name a directory or WorkSpace names the sandbox's:
    the strongest case for letting a call through."""
    shape = _model(service).operation_model(op).input_shape
    members = shape.members if shape is not None else {}
    params = {}
    for name in members:
        if name in ("DirectoryId", "ResourceId"):
            params[name] = SANDBOX
        elif name == "WorkspaceId":
            params[name] = SANDBOX_WS
    return params


def test_read_only_means_describe_list_get_and_nothing_else():
    """What counts as read-only: the AWS verbs Describe, List, Get, as a whole word. Verbs
    that change nothing visible but act (VerifyTrust, CancelSchemaExtension,
    DeployWorkspaceApplications) count as mutating."""
    for service in SERVICES:
        ops = _model(service).operation_names
        assert len(_mutating(service)) > 40
        for op in ops:
            assert is_read_only(op) == op.startswith(("Describe", "List", "Get")), op
    assert not is_read_only("VerifyTrust") and not is_read_only("Getaway")


def test_allow_list_names_real_operations_and_parameters():
    for (service, op), rule in SANDBOX_OPERATIONS.items():
        assert service in SERVICES
        model = _model(service)
        assert op in model.operation_names, f"{service} {op} is not in botocore's model"
        members = set(model.operation_model(op).input_shape.members)
        assert rule.parameters <= members, f"{op}: {rule.parameters - members} not in the model"
        assert rule.target in rule.parameters and not is_read_only(op)


@pytest.mark.parametrize("service", SERVICES)
def test_every_mutating_operation_is_refused_without_allowance(live, service):
    env = live()
    client = env.client(service)
    with Stubber(client):
        for op in _mutating(service):
            with pytest.raises(ChangeRefused, match="--allow-aws-changes"):
                client._make_api_call(op, _sandbox_params(service, op))
    assert env.recorder.calls == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_mutating_operation_outside_the_allow_list_is_refused_on_the_sandbox(live, service):
    env = live(allow=SANDBOX)
    client = env.client(service)
    outside = [op for op in _mutating(service) if (service, op) not in SANDBOX_OPERATIONS]
    with Stubber(client):  # nothing is answered: not even a lookup may be sent
        for op in outside:
            with pytest.raises(ChangeRefused, match="not one of the calls the procedure scenarios make"):
                client._make_api_call(op, _sandbox_params(service, op))
    assert env.recorder.calls == []
    assert len(env.guard.refused) == len(outside)


def test_the_issue_s_three_calls_are_refused_on_the_sandbox(live):
    env = live(allow=SANDBOX)
    ds = env.client("ds")
    with Stubber(ds):
        for call, kwargs in [
            (ds.delete_directory, {"DirectoryId": SANDBOX}),
            (ds.share_directory, {"DirectoryId": SANDBOX, "ShareMethod": "HANDSHAKE",
                                  "ShareTarget": {"Id": "210987654321", "Type": "ACCOUNT"}}),
            (ds.create_log_subscription, {"DirectoryId": SANDBOX, "LogGroupName": "/aws/directoryservice/x"}),
        ]:
            with pytest.raises(ChangeRefused, match=f"even on the sandbox directory {SANDBOX}"):
                call(**kwargs)


ALLOWED_CALLS = {
    ("ds", "RegisterCertificate"): {"DirectoryId": SANDBOX, "CertificateData": PEM, "Type": "ClientCertAuth",
                                    "ClientCertAuthSettings": {"OCSPUrl": "http://ocsp.example.com/"}},
    ("ds", "DeregisterCertificate"): {"DirectoryId": SANDBOX, "CertificateId": "c-1234567890"},
    ("ds", "EnableClientAuthentication"): {"DirectoryId": SANDBOX, "Type": "SmartCard"},
    ("ds", "DisableClientAuthentication"): {"DirectoryId": SANDBOX, "Type": "SmartCard"},
    ("workspaces", "ModifyWorkspaceAccessProperties"): {"ResourceId": SANDBOX,
                                                        "WorkspaceAccessProperties": {"DeviceTypeWindows": "ALLOW"}},
    ("workspaces", "ModifyWorkspaceProperties"): {"WorkspaceId": SANDBOX_WS,
                                                  "WorkspaceProperties": {"Protocols": ["WSP"]}},
}


def test_every_allowed_operation_is_tested():
    assert set(ALLOWED_CALLS) == set(SANDBOX_OPERATIONS)


@pytest.mark.parametrize("key", sorted(ALLOWED_CALLS), ids=lambda k: k[1])
def test_allowed_operation_passes_only_bound_to_the_sandbox(live, key):
    service, op = key
    params = ALLOWED_CALLS[key]
    env = live(allow=SANDBOX)
    env.guard.registered_certificates.add("c-1234567890")  # as if this run had registered it
    client = env.client(service)
    with Stubber(client) as stub:
        if op == "ModifyWorkspaceProperties":
            _owners(stub, {SANDBOX_WS: SANDBOX})
        stub.add_response(xform_name(op), {}, params)
        client._make_api_call(op, params)  # passes the guard and is answered
        stub.assert_no_pending_responses()
        # the same call on another directory (or a WorkSpace of one) is refused
        other = dict(params)
        target = SANDBOX_OPERATIONS[key].target
        other[target] = OTHER_WS if target == "WorkspaceId" else OTHER
        if op == "ModifyWorkspaceProperties":
            _owners(stub, {OTHER_WS: OTHER})
        with pytest.raises(ChangeRefused, match="only for the sandbox directory"):
            client._make_api_call(op, other)
        # and with a parameter the procedure does not use
        with pytest.raises(ChangeRefused, match="parameters the procedure does not use"):
            client._make_api_call(op, {**params, "ClientToken": "x"})


def test_register_certificate_only_as_client_cert_auth(live):
    env = live(allow=SANDBOX)
    ds = env.client("ds")
    with Stubber(ds), pytest.raises(ChangeRefused, match="Type 'ClientLDAPS'"):
        ds.register_certificate(DirectoryId=SANDBOX, CertificateData=PEM, Type="ClientLDAPS")


def test_deregister_only_what_this_run_registered(live):
    env = live(allow=SANDBOX)
    ds = env.client("ds")
    with Stubber(ds) as stub:
        with pytest.raises(ChangeRefused, match="which this run did not register"):
            ds.deregister_certificate(DirectoryId=SANDBOX, CertificateId="c-0000000001")
        stub.add_response("register_certificate", {"CertificateId": "c-1111111111"},
                          {"DirectoryId": SANDBOX, "CertificateData": PEM, "Type": "ClientCertAuth"})
        ds.register_certificate(DirectoryId=SANDBOX, CertificateData=PEM, Type="ClientCertAuth")
        stub.add_response("deregister_certificate", {}, {"DirectoryId": SANDBOX, "CertificateId": "c-1111111111"})
        ds.deregister_certificate(DirectoryId=SANDBOX, CertificateId="c-1111111111")
        stub.assert_no_pending_responses()


def test_the_live_procedure_runs_within_the_allow_list(live):
    """The procedure's own calls on a live sandbox (open, register, enable, disable,
    deregister, put back) all pass the guard: the allow-list is not narrower than the
    procedure."""
    from wscard.aws import procedure as proc

    env = live(allow=SANDBOX)
    ds = env.client("ds")
    settings = {"DirectoryId": SANDBOX}
    with Stubber(ds) as stub:
        stub.add_response("describe_client_authentication_settings", {"ClientAuthenticationSettingsInfo": []}, settings)
        sb = proc.open_sandbox(env, procedure_region="us-gov-west-1", allow_changes_for=SANDBOX)
        stub.add_response("register_certificate", {"CertificateId": "c-2222222222"},
                          {"DirectoryId": SANDBOX, "CertificateData": PEM, "Type": "ClientCertAuth"})
        assert sb.register(PEM).ok
        stub.add_response("enable_client_authentication", {}, {"DirectoryId": SANDBOX, "Type": "SmartCard"})
        assert sb.enable().ok
        stub.add_response("describe_client_authentication_settings",
                          {"ClientAuthenticationSettingsInfo": [{"Type": "SmartCard", "Status": "Enabled"}]}, settings)
        stub.add_response("disable_client_authentication", {}, {"DirectoryId": SANDBOX, "Type": "SmartCard"})
        stub.add_response("deregister_certificate", {}, {"DirectoryId": SANDBOX, "CertificateId": "c-2222222222"})
        sb.close()
        stub.assert_no_pending_responses()
    assert env.guard.refused == []


def test_allowed_operations_may_change_only_what_the_procedure_changes():
    """ModifyWorkspaceProperties may set the protocol, not volumes, compute or running mode;
    RegisterCertificate's settings only the OCSP URL (costly or irreversible otherwise)."""
    from wscard.aws.env import WriteGuard
    from wscard.errors import ChangeRefused

    g = WriteGuard(enforced=True, allowed_directory="d-1234567890",
                   workspace_directories=lambda region, ids: {i: "d-1234567890" for i in ids})
    g.check("workspaces", "ModifyWorkspaceProperties", {"WorkspaceId": "ws-1", "WorkspaceProperties":
                                                       {"Protocols": ["WSP"]}})
    with pytest.raises(ChangeRefused, match="RootVolumeSizeGib"):
        g.check("workspaces", "ModifyWorkspaceProperties", {"WorkspaceId": "ws-1", "WorkspaceProperties": {
            "ComputeTypeName": "GRAPHICSPRO", "RootVolumeSizeGib": 2000, "RunningMode": "ALWAYS_ON"}})
    with pytest.raises(ChangeRefused, match="Foo"):
        g.check("ds", "RegisterCertificate", {"DirectoryId": "d-1234567890", "CertificateData": "x",
                                              "Type": "ClientCertAuth", "ClientCertAuthSettings": {"Foo": 1}})
