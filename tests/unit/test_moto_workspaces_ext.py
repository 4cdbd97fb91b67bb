"""Unit tests of the moto WorkSpaces extension (wscard.aws.moto_ext), moto-style.

One test per documented behaviour; negative tests assert on the error code. One moto
world per module (the VPC, the AD Connector and the boto3 clients are built once); each
test registers its own directory's WorkSpaces through the API. Requests that botocore
would refuse before sending (Limit 0) go through a client with parameter validation off,
so that the service's own answer is tested.
"""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.workspaces.models import WorkSpacesBackend, workspaces_backends
from moto.workspaces.responses import WorkSpacesResponse

from wscard.aws import moto_ext
from wscard.aws.moto_ext import workspaces_models
from wscard.limits import workspaces_api_limits

#: Every answer these tests receive is held to botocore's service model (tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("fidelity_recorder", "model_fidelity")

REGION = "us-gov-west-1"
BUNDLE = "wsb-abcdefgh1"


@pytest.fixture(scope="module")
def aws():
    moto_ext.install()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet_ids = [
            ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")[
                "Subnet"
            ]["SubnetId"]
            for i, az in ((1, "a"), (2, "b"))
        ]
        yield SimpleNamespace(
            ds=boto3.client("ds", region_name=REGION),
            ws=boto3.client("workspaces", region_name=REGION),
            raw=boto3.client("workspaces", region_name=REGION, config=Config(parameter_validation=False)),
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            backend=workspaces_backends[DEFAULT_ACCOUNT_ID][REGION],
        )


@pytest.fixture
def ws(aws):
    return aws.ws


@pytest.fixture
def raw(aws):
    return aws.raw


@pytest.fixture
def backend(aws):
    return aws.backend


@pytest.fixture
def directory_id(aws):
    """A new AD Connector registered with WorkSpaces; deregistered and deleted afterwards."""
    directory_id = aws.ds.connect_directory(
        Name="corp.example.com",
        Password="Passw0rd!",
        Size="Small",
        ConnectSettings={
            "VpcId": aws.vpc_id,
            "SubnetIds": aws.subnet_ids,
            "CustomerDnsIps": ["10.0.1.10"],
            "CustomerUserName": "Admin",
        },
    )["DirectoryId"]
    aws.ws.register_workspace_directory(DirectoryId=directory_id)
    yield directory_id
    ids = [w.workspace_id for w in aws.backend.workspaces.values() if w.directory_id == directory_id]
    for w in ids:
        del aws.backend.workspaces[w]
    aws.ws.deregister_workspace_directory(DirectoryId=directory_id)
    aws.ds.delete_directory(DirectoryId=directory_id)


def create(ws, directory_id: str, count: int = 1, protocol: str = "PCOIP", os_name: str = "WINDOWS_SERVER_2022",
           prefix: str = "user", **properties) -> list[str]:
    ids = []
    for start in range(0, count, 25):
        answer = ws.create_workspaces(
            Workspaces=[
                {
                    "DirectoryId": directory_id,
                    "UserName": f"{prefix}{n}",
                    "BundleId": BUNDLE,
                    "WorkspaceProperties": {"Protocols": [protocol], "OperatingSystemName": os_name, **properties},
                }
                for n in range(start, min(count, start + 25))
            ]
        )
        assert answer["FailedRequests"] == []
        ids += [w["WorkspaceId"] for w in answer["PendingRequests"]]
    return ids


def describe(ws, workspace_id: str) -> dict:
    return ws.describe_workspaces(WorkspaceIds=[workspace_id])["Workspaces"][0]


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


# --------------------------------------------------------------------- install()
def test_install_is_idempotent():
    moto_ext.install()
    method = WorkSpacesResponse.modify_workspace_properties
    report = moto_ext.install_workspaces()
    assert set(report) == set(moto_ext.WORKSPACES_OPERATIONS)
    assert set(report.values()) == {moto_ext.ALREADY_INSTALLED}
    assert WorkSpacesResponse.modify_workspace_properties is method


def test_install_replaces_describe_workspaces_without_pagination():
    def describe_workspaces(self, workspace_ids, directory_id, user_name, bundle_id):
        return "moto's own"

    Backend = type("Backend", (), {"describe_workspaces": describe_workspaces})
    Response = type("Response", (), {"describe_workspaces": lambda self: "moto's own"})

    report = moto_ext.install_workspaces(backend_cls=Backend, response_cls=Response)

    assert report["DescribeWorkspaces"] == moto_ext.REPLACED
    assert Backend.describe_workspaces is vars(workspaces_models.WorkSpacesPropertiesMixin)["describe_workspaces"]
    assert report["ModifyWorkspaceProperties"] == moto_ext.INSTALLED
    assert hasattr(Backend, "restore_workspace")


def test_install_leaves_operations_that_moto_implements():
    def describe_workspaces(self, directory_id=None, limit=None):  # moto with pagination
        return "moto's own"

    def moto_own(self):
        return "moto's own"

    Backend = type("Backend", (), {"describe_workspaces": describe_workspaces,
                                   "modify_workspace_access_properties": moto_own})
    Response = type("Response", (), {"describe_workspaces": moto_own})

    report = moto_ext.install_workspaces(backend_cls=Backend, response_cls=Response)

    assert report["DescribeWorkspaces"] == moto_ext.PROVIDED_BY_MOTO
    assert report["ModifyWorkspaceAccessProperties"] == moto_ext.PROVIDED_BY_MOTO
    assert Backend.describe_workspaces is describe_workspaces
    assert Response.describe_workspaces is moto_own
    assert report["ModifyWorkspaceProperties"] == moto_ext.INSTALLED


def test_state_is_cleared_by_backend_reset():
    moto_ext.install()
    backend = WorkSpacesBackend(REGION, DEFAULT_ACCOUNT_ID)
    backend.workspace_created_protocols["ws-012345678"] = ["PCOIP"]
    backend.reset()
    assert backend.workspace_created_protocols == {}


def test_page_limit_matches_limits_toml():
    limits = workspaces_api_limits()
    assert workspaces_models.DESCRIBE_LIMIT_MAX == limits["describe_workspaces_max_limit"]


# -------------------------------------------------------- DescribeWorkspaces pages
def test_describe_workspaces_pages_of_limit_with_next_token(ws, directory_id):
    created = create(ws, directory_id, 60)
    seen, tokens = [], 0
    kwargs = {"DirectoryId": directory_id, "Limit": 25}
    while True:
        page = ws.describe_workspaces(**kwargs)
        assert len(page["Workspaces"]) <= 25
        seen += [w["WorkspaceId"] for w in page["Workspaces"]]
        if "NextToken" not in page:
            break
        tokens += 1
        kwargs["NextToken"] = page["NextToken"]
    assert seen == created  # creation order, each once
    assert tokens == 2  # 25 + 25 + 10


def test_describe_workspaces_default_page_is_25(ws, directory_id):
    create(ws, directory_id, 30)
    page = ws.describe_workspaces(DirectoryId=directory_id)
    assert len(page["Workspaces"]) == 25
    assert page["NextToken"]


def test_describe_workspaces_last_page_has_no_token(ws, directory_id):
    create(ws, directory_id, 25)
    page = ws.describe_workspaces(DirectoryId=directory_id, Limit=25)
    assert len(page["Workspaces"]) == 25
    assert "NextToken" not in page


def test_describe_workspaces_paginator(ws, directory_id):
    create(ws, directory_id, 30)
    pages = list(ws.get_paginator("describe_workspaces").paginate(
        DirectoryId=directory_id, PaginationConfig={"PageSize": 7}))
    assert [len(p["Workspaces"]) for p in pages] == [7, 7, 7, 7, 2]


@pytest.mark.parametrize("limit", [0, 26, -1])
def test_describe_workspaces_refuses_limit_outside_1_to_25(raw, directory_id, limit):
    with pytest.raises(ClientError) as exc:
        raw.describe_workspaces(DirectoryId=directory_id, Limit=limit)
    assert error_code(exc) == "ValidationException"


def test_describe_workspaces_refuses_garbage_token(ws, directory_id):
    with pytest.raises(ClientError) as exc:
        ws.describe_workspaces(DirectoryId=directory_id, NextToken="not-a-token")
    assert error_code(exc) == "InvalidParameterValuesException"


def test_describe_workspaces_refuses_token_of_another_query(ws, directory_id, aws):
    create(ws, directory_id, 30)
    token = ws.describe_workspaces(DirectoryId=directory_id, Limit=5)["NextToken"]
    with pytest.raises(ClientError) as exc:
        ws.describe_workspaces(BundleId=BUNDLE, NextToken=token)
    assert error_code(exc) == "InvalidParameterValuesException"


def test_describe_workspaces_refuses_two_filters(ws, directory_id):
    with pytest.raises(ClientError) as exc:
        ws.describe_workspaces(DirectoryId=directory_id, BundleId=BUNDLE)
    assert error_code(exc) == "InvalidParameterValuesException"


def test_describe_workspaces_user_name_needs_directory(ws):
    with pytest.raises(ClientError) as exc:
        ws.describe_workspaces(UserName="user1")
    assert error_code(exc) == "InvalidParameterValuesException"


def test_describe_workspaces_by_user(ws, directory_id):
    create(ws, directory_id, 3)
    found = ws.describe_workspaces(DirectoryId=directory_id, UserName="user1")["Workspaces"]
    assert [w["UserName"] for w in found] == ["user1"]


@pytest.mark.parametrize("kwargs", [
    {"DirectoryId": "d-XYZ"},
    {"WorkspaceIds": ["i-12345678"]},
    {"BundleId": "bundle-1"},
], ids=["directory-id", "workspace-id", "bundle-id"])
def test_describe_workspaces_refuses_malformed_ids(raw, kwargs):
    with pytest.raises(ClientError) as exc:
        raw.describe_workspaces(**kwargs)
    assert error_code(exc) == "ValidationException"


def test_describe_workspaces_refuses_more_than_25_ids(raw):
    with pytest.raises(ClientError) as exc:
        raw.describe_workspaces(WorkspaceIds=[f"ws-{n:09d}" for n in range(26)])
    assert error_code(exc) == "ValidationException"


def test_describe_workspaces_reports_protocol_and_os(ws, directory_id):
    (wid,) = create(ws, directory_id, 1, protocol="WSP", os_name="AMAZON_LINUX_2")
    props = describe(ws, wid)["WorkspaceProperties"]
    assert props["Protocols"] == ["WSP"]
    assert props["OperatingSystemName"] == "AMAZON_LINUX_2"


# ----------------------------------------------------- ModifyWorkspaceAccessProperties
def test_access_properties_default_denies_windows_for_ad_connector(ws, directory_id):
    access = ws.describe_workspace_directories(DirectoryIds=[directory_id])["Directories"][0][
        "WorkspaceAccessProperties"]
    assert access["DeviceTypeWindows"] == "DENY"


def test_modify_access_properties_allows_windows(ws, directory_id):
    answer = ws.modify_workspace_access_properties(
        ResourceId=directory_id, WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    access = ws.describe_workspace_directories(DirectoryIds=[directory_id])["Directories"][0][
        "WorkspaceAccessProperties"]
    assert access["DeviceTypeWindows"] == "ALLOW"
    assert access["DeviceTypeOsx"] == "ALLOW"  # untouched


def test_modify_access_properties_changes_only_what_is_given(ws, directory_id):
    ws.modify_workspace_access_properties(
        ResourceId=directory_id,
        WorkspaceAccessProperties={"DeviceTypeOsx": "DENY", "DeviceTypeWorkSpacesThinClient": "ALLOW"})
    access = ws.describe_workspace_directories(DirectoryIds=[directory_id])["Directories"][0][
        "WorkspaceAccessProperties"]
    assert access["DeviceTypeOsx"] == "DENY"
    assert access["DeviceTypeWorkSpacesThinClient"] == "ALLOW"
    assert access["DeviceTypeWindows"] == "DENY"


def test_modify_access_properties_refuses_value_other_than_allow_or_deny(ws, directory_id):
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_access_properties(
            ResourceId=directory_id, WorkspaceAccessProperties={"DeviceTypeWindows": "allow"})
    assert error_code(exc) == "ValidationException"


def test_modify_access_properties_unregistered_directory(ws):
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_access_properties(
            ResourceId="d-0123456789", WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})
    assert error_code(exc) == "ResourceNotFoundException"


def test_modify_access_properties_malformed_directory_id(ws):
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_access_properties(
            ResourceId="directory-1", WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})
    assert error_code(exc) == "ValidationException"


# ----------------------------------------------------------- ModifyWorkspaceProperties
def test_modify_protocol_pcoip_to_wsp(ws, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    answer = ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["WSP"]})
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert describe(ws, wid)["WorkspaceProperties"]["Protocols"] == ["WSP"]


def test_modify_protocol_back_to_pcoip_for_a_workspace_created_with_pcoip(ws, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["WSP"]})
    ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["PCOIP"]})
    assert describe(ws, wid)["WorkspaceProperties"]["Protocols"] == ["PCOIP"]


def test_modify_protocol_refused_for_workspace_created_with_wsp(ws, directory_id):
    (wid,) = create(ws, directory_id, protocol="WSP")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["PCOIP"]})
    assert error_code(exc) == "UnsupportedWorkspaceConfigurationException"
    assert describe(ws, wid)["WorkspaceProperties"]["Protocols"] == ["WSP"]


@pytest.mark.parametrize("props", [{"OperatingSystemName": "WINDOWS_7"}, {"ComputeTypeName": "GRAPHICSPRO"}],
                         ids=["windows-7", "gpu-bundle"])
def test_modify_protocol_refused_for_unsupported_configuration(ws, directory_id, props):
    os_name = props.pop("OperatingSystemName", "WINDOWS_SERVER_2022")
    (wid,) = create(ws, directory_id, protocol="PCOIP", os_name=os_name, **props)
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["WSP"]})
    assert error_code(exc) == "UnsupportedWorkspaceConfigurationException"


def test_modify_protocol_refused_unless_available(ws, backend, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    backend.set_workspace_state(wid, "STOPPED")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["WSP"]})
    assert error_code(exc) == "InvalidResourceStateException"


def test_modify_running_mode_allowed_when_stopped(ws, backend, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    backend.set_workspace_state(wid, "STOPPED")
    ws.modify_workspace_properties(
        WorkspaceId=wid,
        WorkspaceProperties={"RunningMode": "AUTO_STOP", "RunningModeAutoStopTimeoutInMinutes": 120})
    props = describe(ws, wid)["WorkspaceProperties"]
    assert props["RunningMode"] == "AUTO_STOP"
    assert props["RunningModeAutoStopTimeoutInMinutes"] == 120


def test_modify_refused_while_updating(ws, backend, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    backend.set_workspace_state(wid, "UPDATING")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["WSP"]})
    assert error_code(exc) == "OperationInProgressException"


@pytest.mark.parametrize("protocols", [["wsp"], ["RDP"]])
def test_modify_protocol_is_case_sensitive_enum(ws, directory_id, protocols):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": protocols})
    assert error_code(exc) == "ValidationException"


@pytest.mark.parametrize("protocols", [["WSP", "PCOIP"], []])
def test_modify_protocol_needs_exactly_one(ws, directory_id, protocols):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": protocols})
    assert error_code(exc) == "InvalidParameterValuesException"


def test_modify_auto_stop_timeout_refused_for_always_on(ws, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid,
                                       WorkspaceProperties={"RunningModeAutoStopTimeoutInMinutes": 60})
    assert error_code(exc) == "InvalidParameterValuesException"


def test_modify_auto_stop_timeout_in_60_minute_intervals(ws, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(
            WorkspaceId=wid,
            WorkspaceProperties={"RunningMode": "AUTO_STOP", "RunningModeAutoStopTimeoutInMinutes": 90})
    assert error_code(exc) == "InvalidParameterValuesException"


def test_modify_unknown_workspace(ws):
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId="ws-000000000", WorkspaceProperties={"Protocols": ["WSP"]})
    assert error_code(exc) == "ResourceNotFoundException"


def test_modify_malformed_workspace_id(ws):
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId="workspace-1", WorkspaceProperties={"Protocols": ["WSP"]})
    assert error_code(exc) == "ValidationException"


def test_modify_refuses_unknown_running_mode(ws, directory_id):
    (wid,) = create(ws, directory_id, protocol="PCOIP")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"RunningMode": "SOMETIMES"})
    assert error_code(exc) == "ValidationException"


# ------------------------------------------------------------------- seed hooks
def test_restore_workspace_needs_registered_directory(backend):
    with pytest.raises(workspaces_models.ResourceNotFoundException):
        backend.restore_workspace("d-0123456789", "user")


def test_restore_workspace_is_described(ws, backend, directory_id):
    wid = backend.restore_workspace(directory_id, "restored",
                                    workspace_properties={"Protocols": ["WSP"], "OperatingSystemName": "WINDOWS_10"})
    w = describe(ws, wid)
    assert w["UserName"] == "restored"
    assert w["State"] == "AVAILABLE"
    assert w["WorkspaceProperties"]["Protocols"] == ["WSP"]


def test_restore_workspace_refuses_unknown_state(backend, directory_id):
    with pytest.raises(ValueError):
        backend.restore_workspace(directory_id, "user", state="ASLEEP")


# ------------------------------------------------- the model's edges (issue 19)
def test_registered_directory_shows_every_device_type_of_the_model(ws, directory_id):
    import botocore.session

    model = botocore.session.get_session().get_service_model("workspaces")
    device_types = {m for m in model.shape_for("WorkspaceAccessProperties").members if m.startswith("DeviceType")}
    directory = ws.describe_workspace_directories(DirectoryIds=[directory_id])["Directories"][0]
    assert set(directory["WorkspaceAccessProperties"]) == device_types
    assert directory["WorkspaceAccessProperties"]["DeviceTypeWorkSpacesThinClient"] == "ALLOW"
    assert "CustomSecurityGroupId" not in directory["WorkspaceCreationProperties"]  # moto wrote ""


def test_constraint_violation_can_answer_the_modeled_code(ws, directory_id, monkeypatch):
    from wscard.aws.moto_ext import ds_models

    monkeypatch.setattr(ds_models.config, "constraint_violations", "modeled")
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_access_properties(ResourceId=directory_id,
                                              WorkspaceAccessProperties={"DeviceTypeWindows": "allow"})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValuesException"


def _all_pages(ws, **kwargs) -> list[str]:
    seen, token = [], None
    while True:
        page = ws.describe_workspaces(Limit=25, **kwargs, **({"NextToken": token} if token else {}))
        seen += [w["WorkspaceId"] for w in page["Workspaces"]]
        token = page.get("NextToken")
        if not token:
            return seen


def test_pages_through_many_workspaces_in_creation_order(ws, backend, directory_id):
    created = [backend.restore_workspace(directory_id, f"bulk{n:04d}") for n in range(2000)]
    assert _all_pages(ws, DirectoryId=directory_id) == created  # each once, in creation order
    by_user = ws.describe_workspaces(DirectoryId=directory_id, UserName="bulk1234")["Workspaces"]
    assert [w["WorkspaceId"] for w in by_user] == [created[1234]]


def test_paging_survives_workspaces_coming_and_going(ws, backend, directory_id):
    created = [backend.restore_workspace(directory_id, f"churn{n:03d}") for n in range(60)]
    first = ws.describe_workspaces(DirectoryId=directory_id, Limit=25)
    assert [w["WorkspaceId"] for w in first["Workspaces"]] == created[:25]
    del backend.workspaces[created[3]]  # already seen: gone
    del backend.workspaces[created[30]]  # not yet seen: gone
    late = backend.restore_workspace(directory_id, "churn-late")
    seen, token = [], first["NextToken"]
    while token:
        page = ws.describe_workspaces(DirectoryId=directory_id, Limit=25, NextToken=token)
        seen += [w["WorkspaceId"] for w in page["Workspaces"]]
        token = page.get("NextToken")
    assert seen == [w for w in created[25:] if w != created[30]] + [late]


def test_restore_workspace_never_replaces_one_on_an_id_collision(backend, directory_id, monkeypatch):
    from moto.moto_api._internal import mock_random

    ids = iter(["000000001", "000000001", "000000002"])
    monkeypatch.setattr(mock_random, "get_random_hex", lambda length=8: next(ids))
    first = backend.restore_workspace(directory_id, "collide1")
    second = backend.restore_workspace(directory_id, "collide2")
    assert (first, second) == ("ws-000000001", "ws-000000002")
    assert backend.workspaces[first].user_name == "collide1"


def test_describe_workspaces_page_equals_the_model_serializer(ws, backend, directory_id):
    """DescribeWorkspaces writes its pages as JSON directly (speed, issue 16): the answer
    must equal what moto's model-driven serializer writes for the same WorkSpaces."""
    import json

    from moto.core.responses import ActionResult

    create(ws, directory_id, 3, protocol="WSP", RunningMode="AUTO_STOP", RunningModeAutoStopTimeoutInMinutes=60,
           RootVolumeSizeGib=80, UserVolumeSizeGib=50, ComputeTypeName="STANDARD")
    backend.restore_workspace(directory_id, "restored", workspace_properties={"Protocols": ["PCOIP"]}, state="STOPPED")
    workspaces, token = backend.describe_workspaces(directory_id=directory_id, limit=2)
    response = WorkSpacesResponse()
    response._get_action = lambda: "DescribeWorkspaces"  # type: ignore[method-assign]
    response.headers = {"Content-Type": "application/x-amz-json-1.1"}  # what botocore sends
    response.response_headers = {}
    modeled = ActionResult({"Workspaces": [w.to_dict_pending() for w in workspaces], "NextToken": token})
    _status, _headers, body = response.serialized(modeled)
    from wscard.aws.moto_ext.workspaces_responses import plain

    fast = {"Workspaces": [plain(w.to_dict_pending()) for w in workspaces], "NextToken": token}
    assert json.loads(body) == json.loads(json.dumps(fast))
    assert ws.describe_workspaces(DirectoryId=directory_id, Limit=2)["Workspaces"][0]["WorkspaceProperties"]
