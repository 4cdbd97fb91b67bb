"""The simulated world: build, from the profile's ``[aws]`` table, the directory that
the compliance scenarios then examine exactly as they would examine a live one.

Everything that the documented service allows is done through the API, so its rules
apply. What a live directory can hold only from the past (a registration made when a CA
still had more than 90 days left, a failed registration) is restored straight into the
simulated service's state with the moto extension's seed hooks; the profile says so
explicitly with ``registered_days_ago`` or ``state``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..errors import EnvironmentProblem, ProfileError
from ..sections.aws import AwsSection
from .env import AwsEnvironment, error_code


@dataclass
class World:
    directory_id: str
    region: str
    directory_type: str
    certificate_ids: dict[str, str] = field(default_factory=dict)  # source -> certificate id
    notes: list[str] = field(default_factory=list)


def to_pem(data: bytes, label: str = "certificate") -> bytes:
    """PEM text of a certificate given as PEM or DER (what an administrator converts)."""
    if b"-----BEGIN" in data:
        return data
    try:
        return x509.load_der_x509_certificate(data).public_bytes(Encoding.PEM)
    except ValueError:
        raise ProfileError(f"{label} is neither a PEM nor a DER certificate") from None


@dataclass
class Network:
    vpc_id: str
    subnet_ids: list[str]


_networks: dict[tuple[int, str], Network] = {}


def network(env: AwsEnvironment, region: str) -> Network:
    """A VPC with two subnets in different AZs (what AD Connector needs), made once.

    The network is a prerequisite of a directory, not something the harness judges, so
    in a simulated world it is made straight in moto's EC2 state (the same objects that
    CreateVpc/CreateSubnet make, which the Directory Service model then validates): an
    EC2 client would load botocore's EC2 model, the largest there is (about a second of
    start-up in every run, for two calls)."""
    key = (id(env), region)
    if key not in _networks:
        if env.simulated:
            ec2 = env.ec2_backend(region)
            vpc = ec2.create_vpc(cidr_block="10.42.0.0/16").id
            zones = [z.name for z in ec2.describe_availability_zones()][:2]
            subnets = [ec2.create_subnet(vpc_id=vpc, cidr_block=f"10.42.{i}.0/24", availability_zone=z).id
                       for i, z in enumerate(zones)]
        else:
            ec2 = env.client("ec2", region)
            vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
            zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
            subnets = [
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
                for i, z in enumerate(zones)
            ]
        _networks[key] = Network(vpc, subnets)
    return _networks[key]


def create_directory(env: AwsEnvironment, region: str, dir_type: str, name: str, short_name: str) -> str:
    """Create a directory of the given type in the simulated world; returns its ID."""
    ds = env.client("ds", region)
    net = network(env, region)
    password = secrets.token_urlsafe(18) + "aA1!"
    if dir_type == "ADConnector":
        return ds.connect_directory(
            Name=name, ShortName=short_name, Password=password, Size="Small",
            ConnectSettings={
                "VpcId": net.vpc_id, "SubnetIds": net.subnet_ids,
                "CustomerDnsIps": ["10.42.0.10"], "CustomerUserName": "svc-adconnector",
            },
        )["DirectoryId"]
    if dir_type == "MicrosoftAD":
        return ds.create_microsoft_ad(
            Name=name, ShortName=short_name, Password=password, Edition="Standard",
            VpcSettings={"VpcId": net.vpc_id, "SubnetIds": net.subnet_ids},
        )["DirectoryId"]
    return ds.create_directory(
        Name=name, ShortName=short_name, Password=password, Size="Small",
        VpcSettings={"VpcId": net.vpc_id, "SubnetIds": net.subnet_ids},
    )["DirectoryId"]


def wait_registered(ds, directory_id: str, certificate_id: str, timeout: float) -> dict:
    """Poll DescribeCertificate until the state leaves Registering (bounded)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        cert = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)["Certificate"]
        if cert["State"] != "Registering" or time.monotonic() >= deadline:
            return cert
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def seed(env: AwsEnvironment, aws: AwsSection, certificate_pem: Callable[[str], bytes]) -> World:
    """Build the profile's directory in the simulated world.

    ``certificate_pem(source)`` returns the PEM of a ``[[aws.certificates]]`` source.
    """
    if not env.simulated:
        raise RuntimeError("seed() builds simulated worlds only")
    region = aws.region
    d = aws.directory
    ds = env.client("ds", region)
    backend = env.ds_backend(region)
    backend.certificate_registration_delay_seconds = aws.registration_delay_seconds
    world = World(create_directory(env, region, d.type, d.name, d.short_name), region, d.type)
    now = datetime.now(timezone.utc)
    for spec in aws.certificates:
        pem = certificate_pem(spec.source)
        if spec.registered_days_ago > 0 or spec.state != "Registered":
            cert_id = backend.restore_certificate(
                world.directory_id, pem.decode(), cert_type=spec.type, ocsp_url=spec.ocsp_url or None,
                registered_at=now - timedelta(days=spec.registered_days_ago),
                state=spec.state, state_reason=spec.state_reason,
            )
            world.certificate_ids[spec.source] = cert_id
            world.notes.append(f"restored {spec.source} ({spec.state}, registered {spec.registered_days_ago} days ago)")
            continue
        kwargs = {}
        if spec.ocsp_url:
            kwargs["ClientCertAuthSettings"] = {"OCSPUrl": spec.ocsp_url}
        try:
            cert_id = ds.register_certificate(
                DirectoryId=world.directory_id, CertificateData=pem.decode(), Type=spec.type, **kwargs
            )["CertificateId"]
        except Exception as exc:  # botocore ClientError: the service refused, as it would live
            code = error_code(exc)
            if code is None:
                raise
            world.notes.append(f"the service refused to register {spec.source}: {code}")
            continue
        world.certificate_ids[spec.source] = cert_id
    if aws.client_authentication != "disabled":
        try:
            ds.enable_client_authentication(DirectoryId=world.directory_id, Type=aws.client_authentication)
        except Exception as exc:
            code = error_code(exc)
            if code is None:
                raise
            world.notes.append(f"the service refused to enable {aws.client_authentication}: {code}")
    return world


def seed_or_explain(env: AwsEnvironment, aws: AwsSection, certificate_pem: Callable[[str], bytes]) -> World:
    try:
        return seed(env, aws, certificate_pem)
    except ProfileError:
        raise
    except Exception as exc:
        code = error_code(exc)
        if code:
            raise EnvironmentProblem(f"building the simulated world failed: {code}: {exc}") from None
        raise
