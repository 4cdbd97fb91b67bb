"""Server mode: the WorkSpaces operations of the moto extension behind moto's HTTP server
(127.0.0.1), as the harness uses them with ``--aws server`` and in the fleet benchmark."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from wscard.aws.moto_ext.server import start_server

#: Every answer these tests receive is held to botocore's service model (tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("fidelity_recorder", "model_fidelity")

REGION = "us-gov-west-1"


@pytest.fixture(scope="module")
def clients():
    server, url = start_server()
    try:
        kw = dict(region_name=REGION, endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing")
        yield boto3.client("ec2", **kw), boto3.client("ds", **kw), boto3.client("workspaces", **kw)
    finally:
        server.stop()


def test_pages_access_and_protocol_over_http(clients):
    ec2, ds, ws = clients
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"][
        "SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    did = ds.connect_directory(Name="corp.example.com", Password="Passw0rd!", Size="Small", ConnectSettings={
        "VpcId": vpc, "SubnetIds": subnets, "CustomerDnsIps": ["10.9.1.10"], "CustomerUserName": "Admin"})["DirectoryId"]
    ws.register_workspace_directory(DirectoryId=did)
    ws.create_workspaces(Workspaces=[{"DirectoryId": did, "UserName": f"u{n}", "BundleId": "wsb-abcdefgh1",
                                      "WorkspaceProperties": {"Protocols": ["PCOIP"]}} for n in range(25)])
    ws.create_workspaces(Workspaces=[{"DirectoryId": did, "UserName": "u25", "BundleId": "wsb-abcdefgh1",
                                      "WorkspaceProperties": {"Protocols": ["PCOIP"]}}])
    pages = list(ws.get_paginator("describe_workspaces").paginate(DirectoryId=did, PaginationConfig={"PageSize": 25}))
    assert [len(p["Workspaces"]) for p in pages] == [25, 1]

    ws.modify_workspace_access_properties(ResourceId=did, WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})
    access = ws.describe_workspace_directories(DirectoryIds=[did])["Directories"][0]["WorkspaceAccessProperties"]
    assert access["DeviceTypeWindows"] == "ALLOW"

    wid = pages[1]["Workspaces"][0]["WorkspaceId"]
    ws.modify_workspace_properties(WorkspaceId=wid, WorkspaceProperties={"Protocols": ["WSP"]})
    assert ws.describe_workspaces(WorkspaceIds=[wid])["Workspaces"][0]["WorkspaceProperties"]["Protocols"] == ["WSP"]
    with pytest.raises(ClientError) as exc:
        ws.modify_workspace_properties(WorkspaceId="ws-000000000", WorkspaceProperties={"Protocols": ["WSP"]})
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
