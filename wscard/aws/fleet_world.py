"""A simulated organization for the fleet audit's tests and benchmark (issue 16 point 5).

moto's Organizations (the management account is moto's default account), member
accounts created with CreateAccount, and in each member an IAM role for the audit (the
read-only policy ``docs/iam/wscard-audit-policy.json`` inline) unless the account is meant
to be broken. moto keeps one backend per account: a request acts in the account that holds
its access key (an assumed role's temporary key lives in the role's account), or in the
account of the ``x-moto-account-id`` header, which the builder uses to act as each
member's administrator. Broken on purpose:

* the last ``missing_role_accounts`` members have no audit role (AssumeRole: AccessDenied);
* the ``disabled_region_accounts`` before them have ``disabled_region`` not enabled (the
  moto server's request hook answers UnrecognizedClientException, as AWS does);
* with ``plant_findings``: a PCoIP WorkSpace (WSP-1) and smart card authentication left
  disabled (AUTH-3).

Directories are built through the API (VPC, ConnectDirectory, RegisterCertificate of the
users' CA chain, EnableClientAuthentication, RegisterWorkspaceDirectory,
ModifyWorkspaceAccessProperties); WorkSpaces with the extension's seed hook
(``restore_workspace``), as ``benchmarks/bench_fleet.py`` does, so large fleets are quick.
Needs the simulated service in this process (``[aws].mode`` embedded or server).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .env import MOTO_ACCOUNT_ID, AwsEnvironment

POLICY_FILE = Path(__file__).resolve().parents[2] / "docs" / "iam" / "wscard-audit-policy.json"


@dataclass
class OrgWorld:
    management: str
    members: list[tuple[str, str]]  # (ID, name)
    missing_role: list[str]
    disabled: dict[str, str]  # account -> Region not enabled
    directories: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (account, Region) -> IDs
    workspaces: dict[str, int] = field(default_factory=dict)  # directory -> count
    certificates: dict[str, int] = field(default_factory=dict)  # directory -> registrations
    planted: dict[str, list[str]] = field(default_factory=dict)  # directory -> requirements that must fail
    regions: list[str] = field(default_factory=list)

    @property
    def accounts(self) -> list[str]:
        """Every ACTIVE account ListAccounts shows: the management account and the members."""
        return [self.management] + [a for a, _ in self.members]


def _as(env: AwsEnvironment, account: str, service: str, region: str):
    """A client acting as ``account``'s administrator (moto's ``x-moto-account-id``)."""
    cl = env.session.client(service, region_name=region, endpoint_url=env.endpoint_url)

    def header(request, **_kw):
        request.headers["x-moto-account-id"] = account

    cl.meta.events.register("before-sign.*.*", header)
    return cl


def create_audit_role(env: AwsEnvironment, account: str, role_name: str, trusted: str = MOTO_ACCOUNT_ID) -> None:
    iam = _as(env, account, "iam", "us-east-1")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{trusted}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust),
                    Description="wscard read-only smart card audit")
    iam.put_role_policy(RoleName=role_name, PolicyName="wscard-audit",
                        PolicyDocument=POLICY_FILE.read_text(encoding="utf-8"))


def build_organization(env: AwsEnvironment, sim, *, role_name: str, chain_pems: Sequence[bytes],
                       ocsp_url: str = "", workspaces_per_directory: int | None = None) -> OrgWorld:
    """Build ``sim`` (a ``[fleet.simulated]`` section) in the simulated world of ``env``."""
    from moto.ds.models import Directory
    from moto.workspaces.models import workspaces_backends

    from .moto_ext import config

    if not env.simulated:
        raise RuntimeError("build_organization() builds simulated worlds only")
    per_dir = sim.workspaces_per_directory if workspaces_per_directory is None else workspaces_per_directory
    org = _as(env, MOTO_ACCOUNT_ID, "organizations", "us-east-1")
    try:
        org.create_organization(FeatureSet="ALL")
    except Exception:  # already an organization in this world
        pass
    members = []
    for i in range(sim.accounts):
        name = f"workspaces-{i + 1:02d}"
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        members.append((status["AccountId"], name))
    broken_role = [a for a, _ in members[len(members) - sim.missing_role_accounts:]] if sim.missing_role_accounts else []
    start = len(members) - sim.missing_role_accounts - sim.disabled_region_accounts
    disabled = {a: sim.disabled_region for a, _ in members[start:len(members) - sim.missing_role_accounts]}
    world = OrgWorld(MOTO_ACCOUNT_ID, members, broken_role, disabled, regions=list(sim.regions))
    create_audit_role(env, MOTO_ACCOUNT_ID, role_name)
    for a, _ in members:
        if a not in broken_role:
            create_audit_role(env, a, role_name)
    Directory.CONNECTED_DIRECTORIES_LIMIT = max(Directory.CONNECTED_DIRECTORIES_LIMIT, sim.directories_per_region)
    windows = {"Protocols": ["WSP"], "OperatingSystemName": "WINDOWS_SERVER_2022"}
    pcoip = {"Protocols": ["PCOIP"], "OperatingSystemName": "WINDOWS_SERVER_2022"}
    for n, (account, _) in enumerate(members):
        for r, region in enumerate(sim.regions):
            if disabled.get(account) == region:
                continue
            ids = []
            ec2 = _as(env, account, "ec2", region)
            vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
            zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
            subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
                       for i, z in enumerate(zones)]
            ds = _as(env, account, "ds", region)
            ws = _as(env, account, "workspaces", region)
            for k in range(sim.directories_per_region):
                did = ds.connect_directory(
                    Name=f"corp{k}.{account}.example.com", ShortName=f"CORP{k}",
                    Password=secrets.token_urlsafe(18) + "aA1!", Size="Small",
                    ConnectSettings={"VpcId": vpc, "SubnetIds": subnets, "CustomerDnsIps": ["10.42.0.10"],
                                     "CustomerUserName": "svc-adconnector"})["DirectoryId"]
                ids.append(did)
                settings = {"ClientCertAuthSettings": {"OCSPUrl": ocsp_url}} if ocsp_url else {}
                for pem in chain_pems:
                    ds.register_certificate(DirectoryId=did, CertificateData=pem.decode(), Type="ClientCertAuth",
                                            **settings)
                world.certificates[did] = len(chain_pems)
                planted: list[str] = []
                if sim.plant_findings and n == 1 and r == 0:
                    planted.append("AUTH-3")
                else:
                    ds.enable_client_authentication(DirectoryId=did, Type="SmartCard")
                ws.register_workspace_directory(DirectoryId=did)
                ws.modify_workspace_access_properties(ResourceId=did,
                                                      WorkspaceAccessProperties={"DeviceTypeWindows": "ALLOW"})
                backend = workspaces_backends[account][region]
                plant_pcoip = sim.plant_findings and n == 0 and r == 1 % max(1, len(sim.regions))
                for u in range(per_dir):
                    props = pcoip if plant_pcoip and u == 0 else windows
                    backend.restore_workspace(did, f"user{u:06d}", bundle_id="wsb-0fleet001",
                                              workspace_properties=dict(props))
                if plant_pcoip and per_dir:
                    planted.append("WSP-1")
                world.workspaces[did] = per_dir
                if planted:
                    world.planted[did] = planted
            world.directories[(account, region)] = ids
    for account, region in disabled.items():
        config.disabled_regions.setdefault(account, set()).add(region)
    return world


def add_workspaces(world: OrgWorld, count_per_directory: int, *, readable_only: bool = False) -> None:
    """Add Windows WSP WorkSpaces to every directory (the benchmark's larger sizes); with
    ``readable_only``, not to the directories of accounts without the audit role."""
    from moto.workspaces.models import workspaces_backends

    props = {"Protocols": ["WSP"], "OperatingSystemName": "WINDOWS_SERVER_2022"}
    for (account, region), ids in world.directories.items():
        if readable_only and account in world.missing_role:
            continue
        backend = workspaces_backends[account][region]
        for did in ids:
            have = world.workspaces.get(did, 0)
            for u in range(have, have + count_per_directory):
                backend.restore_workspace(did, f"user{u:06d}", bundle_id="wsb-0fleet001",
                                          workspace_properties=dict(props))
            world.workspaces[did] = have + count_per_directory


def clear_disabled_regions(world: OrgWorld) -> None:
    from .moto_ext import config

    for account in world.disabled:
        config.disabled_regions.pop(account, None)


def facts(world: OrgWorld, regions: Sequence[str] | None = None) -> dict[str, Any]:
    """What the audit should find, for minimum-call counts and tests."""
    from .fleet import UnitFacts

    regions = list(regions or world.regions)
    units, refused = [], 0
    for account in world.accounts:
        if account in world.missing_role:
            continue
        for region in regions:
            if world.disabled.get(account) == region:
                refused += 1
                continue
            ids = world.directories.get((account, region), [])
            units.append(UnitFacts(len(ids), sum(world.certificates.get(d, 0) for d in ids),
                                   sum(world.workspaces.get(d, 0) for d in ids)))
    return {"units": units, "refused_units": refused}
