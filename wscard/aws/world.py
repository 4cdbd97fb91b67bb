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

from ..errors import EnvironmentProblem, ProfileError
from ..pki import certs as C
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
    """The PEM text to register for a certificate file (what an administrator pastes):
    the file's one PEM block as written (text around it left out), or the PEM of a DER
    certificate (what an administrator converts). Raises :class:`ProfileError` naming
    ``label`` when the data cannot be read or holds more than one certificate (one
    registration takes one certificate)."""
    found = C.read_certificates(data, label)
    if found.unreadable or not found.certificates:
        raise ProfileError(f"{label} cannot be read as a certificate: "
                           f"{'; '.join(found.unreadable) or 'it holds no certificate'}. Fix: give a PEM or DER "
                           "certificate file.")
    if len(found.certificates) > 1:
        raise ProfileError(f"{label} holds {len(found.certificates)} certificates; a registration takes one. Fix: "
                           "give one file per [[aws.certificates]] entry (openssl x509 -in bundle.pem -out one.pem "
                           "writes the first).")
    one = found.certificates[0]
    return one.data if one.encoding == "pem" else one.pem


def certificate_pem(profile, source: str) -> bytes:
    """The PEM of a ``[[aws.certificates]]`` source: ``pki:<name>`` (a certificate of the
    profile's PKI) or a file (relative to the profile's folder). Raises
    :class:`ProfileError` naming the source when there is no such certificate or file."""
    from pathlib import Path

    from ..pki import get_pki

    if source.startswith("pki:"):
        try:
            return get_pki(profile.pki).get(source[4:]).pem
        except KeyError as exc:
            raise ProfileError(f"source {source!r}: {exc.args[0]}. Fix: name a certificate file instead "
                               "(source = \"path/to/ca.pem\") or one of the names listed.",
                               key="[aws].certificates") from None
    p = Path(source)
    if not p.is_absolute() and getattr(profile, "path", None) is not None:
        p = Path(profile.path).parent / p
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ProfileError(f"cannot read certificate file {p}: {exc.strerror}", key="[aws].certificates") from None
    return to_pem(data, str(p))


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


def create_directory(env: AwsEnvironment, region: str, dir_type: str, name: str, short_name: str,
                     customer_user_name: str = "svc-adconnector") -> str:
    """Create a directory of the given type in the simulated world; returns its ID.
    ``customer_user_name``: the service account user name an AD Connector is given
    (ConnectSettings.CustomerUserName; moto applies the API's pattern to it)."""
    ds = env.client("ds", region)
    net = network(env, region)
    password = secrets.token_urlsafe(18) + "aA1!"
    if dir_type == "ADConnector":
        return ds.connect_directory(
            Name=name, ShortName=short_name, Password=password, Size="Small",
            ConnectSettings={
                "VpcId": net.vpc_id, "SubnetIds": net.subnet_ids,
                "CustomerDnsIps": ["10.42.0.10"], "CustomerUserName": customer_user_name,
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


def seed(env: AwsEnvironment, aws: AwsSection, certificate_pem: Callable[[str], bytes],
         customer_user_name: str = "") -> World:
    """Build the profile's directory in the simulated world.

    ``certificate_pem(source)`` returns the PEM of a ``[[aws.certificates]]`` source;
    ``customer_user_name`` the AD Connector's service account user name (default:
    ``[aws.directory].customer_user_name``, else :func:`create_directory`'s;
    ``wscard.profile.directory_user_name`` works it out from the whole profile).
    """
    if not env.simulated:
        raise RuntimeError("seed() builds simulated worlds only")
    region = aws.region
    d = aws.directory
    ds = env.client("ds", region)
    backend = env.ds_backend(region)
    backend.certificate_registration_delay_seconds = aws.registration_delay_seconds
    backend.certificate_deregistration_delay_seconds = aws.deregistration_delay_seconds
    user = customer_user_name or d.customer_user_name
    world = World(create_directory(env, region, d.type, d.name, d.short_name, *([user] if user else [])),
                  region, d.type)
    now = datetime.now(timezone.utc)
    for spec in aws.certificates:
        pem = certificate_pem(spec.source)
        if spec.registered_days_ago > 0 or spec.state != "Registered":
            try:
                cert_id = backend.restore_certificate(
                    world.directory_id, pem.decode(), cert_type=spec.type, ocsp_url=spec.ocsp_url or None,
                    registered_at=now - timedelta(days=spec.registered_days_ago),
                    state=spec.state, state_reason=spec.state_reason,
                )
            except ValueError as exc:  # the seed hook's parser refuses the certificate
                raise registration_refused(spec.source, pem, "seed hook", str(exc)) from None
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
            if code == "UnsupportedOperationException" and d.type != "ADConnector":
                # the directory type is the profile's fault (AUTH-4 judges it): the service
                # refuses smart card registrations on it, as AWS would; nothing else to set up
                world.notes.append(f"the service refused to register {spec.source} on a {d.type} directory: {code}")
                continue
            raise registration_refused(spec.source, pem, code, str(exc)) from None
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


def registration_refused(source: str, pem: bytes, code: str, message: str) -> EnvironmentProblem:
    """The set-up cannot make a registration the profile asks for: the simulated world is
    not what the profile describes, so the set-up stops, naming the certificate, the
    service's answer and what to do (issue: nothing the profile asks for disappears).

    Where the simulation's own parser (``cryptography``, as the moto extension models the
    service) is what refuses a certificate openssl reads, the message says so: whether
    AWS accepts it is not known to the harness."""
    found = C.read_certificates(pem, source)
    tolerant = next((c for c in found.certificates if c.cert is None), None)
    if tolerant is not None:
        return EnvironmentProblem(
            f"the simulated service cannot register {source} ({code}): the parser it is modelled with "
            f"(cryptography) refuses the certificate: {tolerant.parse_problem}. openssl and asn1crypto read it, so "
            "the certificate-side checks (CA-3, CA-4, CA-5, CA-7) judge it; whether AWS registers it is not known to "
            "the harness. Fix: leave it out of [[aws.certificates]] for the simulated world, or check the "
            "registration on live AWS (--aws live, read-only).")
    from ..pki.checks import aws_refusal_reasons

    reasons = aws_refusal_reasons(pem)
    why = f" By AWS's documented rules {'; '.join(reasons)}." if reasons else ""
    return EnvironmentProblem(
        f"the simulated set-up cannot register {source} as the profile asks: the service refused it: {code}: "
        f"{message}.{why} Fix: register a certificate the service accepts, or describe a registration made in the "
        "past with registered_days_ago / state in [[aws.certificates]].")


def seed_or_explain(env: AwsEnvironment, aws: AwsSection, certificate_pem: Callable[[str], bytes],
                    customer_user_name: str = "") -> World:
    try:
        return seed(env, aws, certificate_pem, customer_user_name)
    except ProfileError:
        raise
    except Exception as exc:
        code = error_code(exc)
        if code:
            raise EnvironmentProblem(f"building the simulated world failed: {code}: {exc}") from None
        raise
