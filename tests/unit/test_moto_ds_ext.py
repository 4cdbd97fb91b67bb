"""Unit tests of the moto Directory Service extension (wscard.aws.moto_ext), moto-style.

One test per documented behaviour; negative tests assert on the error code. One moto
world per module (VPCs and boto3 clients are built once); each test gets its own
directory, deleted afterwards.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ds.models import DirectoryServiceBackend, ds_backends
from moto.ds.responses import DirectoryServiceResponse

from wscard.aws import moto_ext
from wscard.aws.moto_ext import ds_models
from wscard.limits import ca_limits, smart_card_regions

#: Every answer these tests receive is held to botocore's service model (tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("fidelity_recorder", "model_fidelity")

REGION = "us-east-1"
OTHER_REGION = "eu-central-1"  # no smart card authentication in AD Connector there
UTC = dt.timezone.utc


# ------------------------------------------------------------- test certificates
_EC_KEY = ec.generate_private_key(ec.SECP256R1())


@functools.cache
def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_cert_pem(
    common_name: str = "Test Root CA",
    *,
    days: float = 400,
    ca: bool | None = True,
    pss: bool = False,
) -> str:
    """A self-signed certificate (EC P-256, or RSA with RSASSA-PSS when ``pss``).

    ``ca=None`` leaves out basicConstraints; ``days`` counts from now to expiry.
    """
    now = dt.datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    key = _rsa_key() if pss else _EC_KEY
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=None), critical=True
        )
    if pss:
        cert = builder.sign(
            key,
            hashes.SHA256(),
            rsa_padding=padding.PSS(
                mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH
            ),
        )
    else:
        cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def expiry_of(pem: str) -> dt.datetime:
    return x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc


# ------------------------------------------------------------------- moto world
def _network(ec2, region: str) -> tuple[str, list[str]]:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}"
        )["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    return vpc_id, subnet_ids


@pytest.fixture(scope="module")
def aws():
    moto_ext.install()
    with mock_aws():
        world = {}
        for region in (REGION, OTHER_REGION):
            ec2 = boto3.client("ec2", region_name=region)
            vpc_id, subnet_ids = _network(ec2, region)
            world[region] = SimpleNamespace(
                ds=boto3.client("ds", region_name=region),
                vpc_id=vpc_id,
                subnet_ids=subnet_ids,
                backend=ds_backends[DEFAULT_ACCOUNT_ID][region],
            )
        yield world


def _connect_directory(net) -> str:
    return net.ds.connect_directory(
        Name="corp.example.com",
        Password="Passw0rd!",
        Size="Small",
        ConnectSettings={
            "VpcId": net.vpc_id,
            "SubnetIds": net.subnet_ids,
            "CustomerDnsIps": ["10.0.1.10"],
            "CustomerUserName": "Admin",
        },
    )["DirectoryId"]


@pytest.fixture
def new_directory(aws):
    """Factory: ``new_directory(kind="ADConnector", region=REGION)``; deleted afterwards."""
    created = []

    def create(kind: str = "ADConnector", region: str = REGION) -> str:
        net = aws[region]
        if kind == "ADConnector":
            directory_id = _connect_directory(net)
        elif kind == "MicrosoftAD":
            directory_id = net.ds.create_microsoft_ad(
                Name="corp.example.com",
                Password="Passw0rd!",
                VpcSettings={"VpcId": net.vpc_id, "SubnetIds": net.subnet_ids},
            )["DirectoryId"]
        else:
            directory_id = net.ds.create_directory(
                Name="corp.example.com",
                Password="Passw0rd!",
                Size="Small",
                VpcSettings={"VpcId": net.vpc_id, "SubnetIds": net.subnet_ids},
            )["DirectoryId"]
        created.append((net, directory_id))
        return directory_id

    yield create
    for net, directory_id in created:
        net.ds.delete_directory(DirectoryId=directory_id)


@pytest.fixture
def ds(aws):
    return aws[REGION].ds


@pytest.fixture
def backend(aws):
    return aws[REGION].backend


@pytest.fixture
def directory_id(new_directory):
    return new_directory()


def register(ds, directory_id: str, pem: str | None = None, **kwargs) -> str:
    kwargs.setdefault("Type", "ClientCertAuth")
    return ds.register_certificate(
        DirectoryId=directory_id, CertificateData=pem or make_cert_pem(), **kwargs
    )["CertificateId"]


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


# --------------------------------------------------------------------- install()
def test_install_is_idempotent():
    moto_ext.install()
    method = DirectoryServiceResponse.register_certificate
    report = moto_ext.install()
    assert set(report) == set(moto_ext.OPERATIONS)
    assert set(report.values()) == {moto_ext.ALREADY_INSTALLED}
    assert DirectoryServiceResponse.register_certificate is method


def test_install_leaves_operations_that_moto_implements():
    def moto_own(self):
        return "moto's own"

    class Backend:
        describe_certificate = moto_own  # an operation moto implements on the backend

    class Response:
        list_certificates = moto_own

    report = moto_ext.install(backend_cls=Backend, response_cls=Response)

    assert report["ListCertificates"] == moto_ext.PROVIDED_BY_MOTO
    assert report["DescribeCertificate"] == moto_ext.PROVIDED_BY_MOTO
    assert Response.list_certificates is moto_own
    assert Backend.describe_certificate is moto_own
    assert not hasattr(Response, "describe_certificate")
    assert report["RegisterCertificate"] == moto_ext.INSTALLED
    assert hasattr(Backend, "register_certificate") and hasattr(Response, "register_certificate")
    assert hasattr(Backend, "restore_certificate")


def test_install_adds_nothing_when_moto_implements_every_operation():
    class Backend:
        pass

    Response = type("Response", (), {m: (lambda self: None) for m in moto_ext.OPERATIONS.values()})

    report = moto_ext.install(backend_cls=Backend, response_cls=Response)

    assert set(report.values()) == {moto_ext.PROVIDED_BY_MOTO}
    assert vars(Backend).keys() == vars(type("Backend", (), {})).keys()


def test_state_is_cleared_by_backend_reset():
    moto_ext.install()
    backend = DirectoryServiceBackend(REGION, DEFAULT_ACCOUNT_ID)
    backend.certificates["d-0123456789"] = {}
    backend.reset()
    assert backend.certificates == {}


def test_smart_card_regions_match_limits_toml():
    assert sorted(ds_models.SMART_CARD_API_REGIONS) == sorted(smart_card_regions())


def test_certificate_limits_match_limits_toml():
    limits = ca_limits()
    assert ds_models.CERTIFICATE_LIMITS["ClientCertAuth"] == limits["max_client_cert_auth_certificates"]
    assert ds_models.MIN_DAYS_TO_EXPIRY_AT_REGISTRATION == limits["min_days_to_expiry_at_registration"]
    assert ds_models.CERTIFICATE_DATA_MAX_LENGTH == limits["certificate_data_max_length"]


# ---------------------------------------------------------- RegisterCertificate
def test_register_certificate_returns_certificate_id(ds, directory_id):
    certificate_id = register(ds, directory_id)
    assert re.match(r"^c-[0-9a-f]{10}$", certificate_id)


def test_register_certificate_stores_ocsp_url(ds, directory_id):
    certificate_id = register(
        ds, directory_id, ClientCertAuthSettings={"OCSPUrl": "http://ocsp.example.com/"}
    )
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)[
        "Certificate"
    ]
    assert certificate["ClientCertAuthSettings"] == {"OCSPUrl": "http://ocsp.example.com/"}


def test_register_certificate_default_type_is_client_ldaps(ds, directory_id):
    certificate_id = ds.register_certificate(
        DirectoryId=directory_id, CertificateData=make_cert_pem()
    )["CertificateId"]
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)[
        "Certificate"
    ]
    assert certificate["Type"] == "ClientLDAPS"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            base64.b64encode(
                x509.load_pem_x509_certificate(make_cert_pem().encode()).public_bytes(
                    serialization.Encoding.DER
                )
            ).decode(),
            id="der-base64",
        ),
        pytest.param("this is not a certificate", id="garbage"),
        pytest.param(make_cert_pem()[:300] + "\n-----END CERTIFICATE-----\n", id="truncated"),
        pytest.param(make_cert_pem()[:-40], id="no-end-line"),
    ],
)
def test_register_certificate_refuses_non_pem(ds, directory_id, data):
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, data)
    assert error_code(exc) == "InvalidCertificateException"


def test_register_certificate_refuses_several_certificates(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, make_cert_pem() + make_cert_pem())
    assert error_code(exc) == "InvalidCertificateException"


@pytest.mark.parametrize("ca", [False, None], ids=["ca-false", "no-basic-constraints"])
def test_register_certificate_refuses_non_ca_certificate(ds, directory_id, ca):
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, make_cert_pem(ca=ca))
    assert error_code(exc) == "InvalidCertificateException"


def test_register_certificate_refuses_certificate_within_90_days_of_expiry(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, make_cert_pem(days=90))
    assert error_code(exc) == "InvalidCertificateException"
    assert "more than 90 days" in exc.value.response["Error"]["Message"]


def test_register_certificate_accepts_certificate_91_days_from_expiry(ds, directory_id):
    register(ds, directory_id, make_cert_pem(days=91))


def test_register_certificate_judges_90_days_at_given_date(backend, directory_id):
    pem = make_cert_pem(days=30)
    now = dt.datetime.now(UTC)
    backend.register_certificate(
        directory_id, pem, "ClientCertAuth", now=now - dt.timedelta(days=120)
    )
    with pytest.raises(ds_models.InvalidCertificateException):
        backend.register_certificate(
            directory_id, make_cert_pem(days=400), "ClientCertAuth", now=now + dt.timedelta(days=320)
        )


def test_register_certificate_refuses_rsassa_pss_signed_ca(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, make_cert_pem(pss=True))
    assert error_code(exc) == "InvalidCertificateException"


def test_register_certificate_refuses_data_over_8192_characters(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, "x" * 8193)
    assert error_code(exc) == "ValidationException"


def test_register_certificate_refuses_same_certificate_twice(ds, directory_id):
    pem = make_cert_pem()
    register(ds, directory_id, pem)
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, pem)
    assert error_code(exc) == "CertificateAlreadyExistsException"


def test_register_certificate_accepts_same_certificate_for_another_type(ds, directory_id):
    pem = make_cert_pem()
    register(ds, directory_id, pem, Type="ClientCertAuth")
    register(ds, directory_id, pem, Type="ClientLDAPS")


def test_register_certificate_refuses_101st_client_cert_auth_certificate(ds, backend, directory_id):
    pem = make_cert_pem()
    for _ in range(100):
        backend.restore_certificate(directory_id, pem)
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id)
    assert error_code(exc) == "CertificateLimitExceededException"


def test_register_certificate_refuses_6th_client_ldaps_certificate(ds, directory_id):
    for _ in range(5):
        register(ds, directory_id, Type="ClientLDAPS")
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, Type="ClientLDAPS")
    assert error_code(exc) == "CertificateLimitExceededException"


@pytest.mark.parametrize("kind", ["MicrosoftAD", "SimpleAD"])
def test_register_client_cert_auth_refused_outside_ad_connector(ds, new_directory, kind):
    directory_id = new_directory(kind)
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id)
    assert error_code(exc) == "UnsupportedOperationException"


def test_register_client_ldaps_accepted_on_microsoft_ad(ds, new_directory):
    register(ds, new_directory("MicrosoftAD"), Type="ClientLDAPS")


def test_register_certificate_unknown_directory(ds):
    with pytest.raises(ClientError) as exc:
        register(ds, "d-0123456789")
    assert error_code(exc) == "DirectoryDoesNotExistException"


def test_register_certificate_invalid_directory_id(ds):
    with pytest.raises(ClientError) as exc:
        register(ds, "d-XYZ")
    assert error_code(exc) == "ValidationException"


@pytest.mark.parametrize(
    "url",
    ["http://ocsp.example.com/" + "a" * 1001, "ocsp.example.com"],
    ids=["over-1024-characters", "no-scheme"],
)
def test_register_certificate_refuses_invalid_ocsp_url(ds, directory_id, url):
    with pytest.raises(ClientError) as exc:
        register(ds, directory_id, ClientCertAuthSettings={"OCSPUrl": url})
    assert error_code(exc) == "ValidationException"


def test_register_certificate_not_refused_outside_smart_card_regions(aws, new_directory):
    """The API reference lists no AccessDeniedException for RegisterCertificate."""
    directory_id = new_directory(region=OTHER_REGION)
    register(aws[OTHER_REGION].ds, directory_id)


# ------------------------------------------------------ states, List, Describe
def test_registration_reads_registering_until_delay_elapsed(ds, directory_id, monkeypatch):
    monkeypatch.setattr(ds_models.config, "registration_delay_seconds", 3600)
    certificate_id = register(ds, directory_id)
    listed = ds.list_certificates(DirectoryId=directory_id)["CertificatesInfo"]
    assert [c["State"] for c in listed] == ["Registering"]
    later = ds_models._now() + dt.timedelta(hours=2)
    monkeypatch.setattr(ds_models, "_now", lambda: later)
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert certificate["Certificate"]["State"] == "Registered"


def test_registration_delay_backend_override(ds, backend, directory_id, monkeypatch):
    monkeypatch.setattr(backend, "certificate_registration_delay_seconds", 3600)
    certificate_id = register(ds, directory_id)
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert certificate["Certificate"]["State"] == "Registering"


def test_registration_is_registered_at_once_by_default(ds, directory_id):
    certificate_id = register(ds, directory_id)
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert certificate["Certificate"]["State"] == "Registered"


def test_describe_certificate_returns_documented_fields(ds, directory_id):
    pem = make_cert_pem("Corp Issuing CA")
    before = dt.datetime.now(UTC).replace(microsecond=0)
    certificate_id = register(ds, directory_id, pem)
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)[
        "Certificate"
    ]
    assert certificate["CertificateId"] == certificate_id
    assert certificate["State"] == "Registered"
    assert certificate["StateReason"] == ""
    assert certificate["CommonName"] == "Corp Issuing CA"
    assert certificate["ExpiryDateTime"] == expiry_of(pem)
    assert certificate["RegisteredDateTime"] >= before
    assert certificate["Type"] == "ClientCertAuth"


def test_list_certificates_returns_certificate_info(ds, directory_id):
    pem = make_cert_pem("Corp Root CA")
    certificate_id = register(ds, directory_id, pem)
    assert ds.list_certificates(DirectoryId=directory_id)["CertificatesInfo"] == [
        {
            "CertificateId": certificate_id,
            "CommonName": "Corp Root CA",
            "State": "Registered",
            "ExpiryDateTime": expiry_of(pem),
            "Type": "ClientCertAuth",
        }
    ]


def test_list_certificates_paginates(ds, directory_id):
    ids = [register(ds, directory_id) for _ in range(3)]
    first = ds.list_certificates(DirectoryId=directory_id, Limit=2)
    second = ds.list_certificates(DirectoryId=directory_id, Limit=2, NextToken=first["NextToken"])
    assert [c["CertificateId"] for c in first["CertificatesInfo"]] == ids[:2]
    assert [c["CertificateId"] for c in second["CertificatesInfo"]] == ids[2:]
    assert "NextToken" not in second


def test_list_certificates_invalid_next_token(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.list_certificates(DirectoryId=directory_id, NextToken="not-a-token")
    assert error_code(exc) == "InvalidNextTokenException"


def test_list_certificates_limit_over_50(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.list_certificates(DirectoryId=directory_id, Limit=51)
    assert error_code(exc) == "ValidationException"


def test_list_certificates_unknown_directory(ds):
    with pytest.raises(ClientError) as exc:
        ds.list_certificates(DirectoryId="d-0123456789")
    assert error_code(exc) == "DirectoryDoesNotExistException"


def test_list_certificates_unsupported_directory_type(ds, new_directory):
    with pytest.raises(ClientError) as exc:
        ds.list_certificates(DirectoryId=new_directory("SimpleAD"))
    assert error_code(exc) == "UnsupportedOperationException"


def test_describe_certificate_unknown_certificate(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.describe_certificate(DirectoryId=directory_id, CertificateId="c-0123456789")
    assert error_code(exc) == "CertificateDoesNotExistException"


def test_describe_certificate_invalid_certificate_id(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.describe_certificate(DirectoryId=directory_id, CertificateId="cert-1")
    assert error_code(exc) == "ValidationException"


# -------------------------------------------------------- DeregisterCertificate
def test_deregister_certificate_removes_it(ds, directory_id):
    certificate_id = register(ds, directory_id)
    response = ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert set(response) == {"ResponseMetadata"}
    assert ds.list_certificates(DirectoryId=directory_id)["CertificatesInfo"] == []
    with pytest.raises(ClientError) as exc:
        ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert error_code(exc) == "CertificateDoesNotExistException"


def test_deregistration_reads_deregistering_then_deregistered_then_gone(ds, backend, directory_id, monkeypatch):
    certificate_id = register(ds, directory_id)
    monkeypatch.setattr(backend, "certificate_deregistration_delay_seconds", 3600)
    monkeypatch.setattr(ds_models.config, "deregistered_retention_seconds", 3600)
    ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    described = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert described["Certificate"]["State"] == "Deregistering"
    listed = ds.list_certificates(DirectoryId=directory_id)["CertificatesInfo"]
    assert [(c["CertificateId"], c["State"]) for c in listed] == [(certificate_id, "Deregistering")]
    with pytest.raises(ClientError) as exc:  # already on its way out
        ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert error_code(exc) == "CertificateDoesNotExistException"

    record = backend.certificates[directory_id][certificate_id]
    now = ds_models._now()
    record.deregistered_at = now - dt.timedelta(seconds=1)  # the delay has passed
    assert ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)["Certificate"][
        "State"] == "Deregistered"
    record.gone_at = now - dt.timedelta(seconds=1)  # and the retention
    assert ds.list_certificates(DirectoryId=directory_id)["CertificatesInfo"] == []
    with pytest.raises(ClientError) as exc:
        ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert error_code(exc) == "CertificateDoesNotExistException"


def test_deregistering_certificate_can_be_registered_again(ds, backend, directory_id, monkeypatch):
    pem = make_cert_pem()
    certificate_id = register(ds, directory_id, pem)
    monkeypatch.setattr(backend, "certificate_deregistration_delay_seconds", 3600)
    ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert register(ds, directory_id, pem) != certificate_id


def test_deregistering_certificate_is_not_usable_for_enable(ds, backend, directory_id, monkeypatch):
    certificate_id = register(ds, directory_id)
    monkeypatch.setattr(backend, "certificate_deregistration_delay_seconds", 3600)
    ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "NoAvailableCertificateException"


def _raw_bodies(client) -> list[bytes]:
    bodies: list[bytes] = []
    client.meta.events.register("before-parse", lambda response_dict, **_: bodies.append(response_dict["body"]))
    return bodies


def test_error_body_is_the_modeled_error_shape(aws, directory_id):
    ds = boto3.client("ds", region_name=REGION)
    bodies = _raw_bodies(ds)
    with pytest.raises(ClientError) as exc:
        ds.describe_certificate(DirectoryId=directory_id, CertificateId="c-0123456789")
    body = json.loads(bodies[-1])
    assert set(body) == {"__type", "Message", "RequestId"}
    assert body["RequestId"] == exc.value.response["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", body["RequestId"])


def test_a_non_string_parameter_is_a_validation_exception_not_a_server_error(directory_id):
    """A certificate ID that is not a string (botocore's client-side validation turned off)
    fails the ID's pattern like any other bad value: ValidationException with AWS's
    message, never an unhandled TypeError (an HTTP 500)."""
    from botocore.config import Config

    raw = boto3.client("ds", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        raw.describe_certificate(DirectoryId=directory_id, CertificateId=12345)
    assert error_code(exc) == "ValidationException"
    assert exc.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '12345' at 'certificateId' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {ds_models.CERTIFICATE_ID_PATTERN}")


def test_constraint_violation_can_answer_the_modeled_code(ds, directory_id, monkeypatch):
    monkeypatch.setattr(ds_models.config, "constraint_violations", "modeled")
    with pytest.raises(ClientError) as exc:
        ds.describe_certificate(DirectoryId=directory_id, CertificateId="cert-1")
    assert error_code(exc) == "InvalidParameterException"
    assert "failed to satisfy constraint" in exc.value.response["Error"]["Message"]


def test_deregister_only_certificate_while_enabled_is_refused(ds, directory_id):
    certificate_id = register(ds, directory_id)
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    with pytest.raises(ClientError) as exc:
        ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)
    assert error_code(exc) == "CertificateInUseException"


def test_deregister_one_of_two_certificates_while_enabled(ds, directory_id):
    certificate_id = register(ds, directory_id)
    register(ds, directory_id)
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)


def test_deregister_only_certificate_after_disable(ds, directory_id):
    certificate_id = register(ds, directory_id)
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    ds.disable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    ds.deregister_certificate(DirectoryId=directory_id, CertificateId=certificate_id)


def test_deregister_unknown_certificate(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.deregister_certificate(DirectoryId=directory_id, CertificateId="c-0123456789")
    assert error_code(exc) == "CertificateDoesNotExistException"


def test_deregister_unknown_directory(ds):
    with pytest.raises(ClientError) as exc:
        ds.deregister_certificate(DirectoryId="d-0123456789", CertificateId="c-0123456789")
    assert error_code(exc) == "DirectoryDoesNotExistException"


# --------------------------------------------------- EnableClientAuthentication
def test_enable_client_authentication_returns_empty_result(ds, directory_id):
    register(ds, directory_id)
    response = ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert set(response) == {"ResponseMetadata"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_enable_client_authentication_reports_enabled(ds, directory_id):
    register(ds, directory_id)
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    settings = ds.describe_client_authentication_settings(
        DirectoryId=directory_id, Type="SmartCard"
    )["ClientAuthenticationSettingsInfo"]
    assert [(s["Type"], s["Status"]) for s in settings] == [("SmartCard", "Enabled")]


def test_enable_smart_card_or_password(ds, directory_id):
    register(ds, directory_id)
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCardOrPassword")
    settings = ds.describe_client_authentication_settings(DirectoryId=directory_id)[
        "ClientAuthenticationSettingsInfo"
    ]
    assert {s["Type"]: s["Status"] for s in settings} == {
        "SmartCard": "Disabled",
        "SmartCardOrPassword": "Enabled",
    }


def test_enable_client_authentication_without_certificate(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "NoAvailableCertificateException"


def test_enable_client_authentication_while_certificate_registering(ds, directory_id, monkeypatch):
    monkeypatch.setattr(ds_models.config, "registration_delay_seconds", 3600)
    register(ds, directory_id)
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "NoAvailableCertificateException"


def test_enable_client_authentication_with_ldaps_certificate_only(ds, directory_id):
    register(ds, directory_id, Type="ClientLDAPS")
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "NoAvailableCertificateException"


def test_enable_client_authentication_with_expired_certificate_only(ds, backend, directory_id):
    backend.restore_certificate(
        directory_id,
        make_cert_pem(days=-1),
        registered_at=dt.datetime.now(UTC) - dt.timedelta(days=500),
    )
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "NoAvailableCertificateException"


def test_enable_client_authentication_twice(ds, directory_id):
    register(ds, directory_id)
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "InvalidClientAuthStatusException"


def test_enable_client_authentication_outside_smart_card_regions(aws, new_directory):
    net = aws[OTHER_REGION]
    directory_id = new_directory(region=OTHER_REGION)
    register(net.ds, directory_id)
    with pytest.raises(ClientError) as exc:
        net.ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "AccessDeniedException"
    assert exc.value.response["Error"]["Message"] == (
        "Client authentication is not available in this region at this time."
    )


@pytest.mark.parametrize("operation", ["disable_client_authentication", "describe_client_authentication_settings"])
def test_other_client_authentication_operations_outside_smart_card_regions(aws, new_directory, operation):
    # the model lists AccessDeniedException for all three client authentication operations
    net = aws[OTHER_REGION]
    directory_id = new_directory(region=OTHER_REGION)
    kwargs = {"Type": "SmartCard"} if operation.startswith("disable") else {}
    with pytest.raises(ClientError) as exc:
        getattr(net.ds, operation)(DirectoryId=directory_id, **kwargs)
    assert error_code(exc) == "AccessDeniedException"
    assert exc.value.response["Error"]["Message"] == (
        "Client authentication is not available in this region at this time."
    )


def test_enable_client_authentication_outside_ad_connector(ds, new_directory):
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=new_directory("MicrosoftAD"), Type="SmartCard")
    assert error_code(exc) == "UnsupportedOperationException"


def test_enable_client_authentication_unknown_type(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="Password")
    assert error_code(exc) == "ValidationException"


def test_enable_client_authentication_unknown_directory(ds):
    with pytest.raises(ClientError) as exc:
        ds.enable_client_authentication(DirectoryId="d-0123456789", Type="SmartCard")
    assert error_code(exc) == "DirectoryDoesNotExistException"


# -------------------------------------------------- DisableClientAuthentication
def test_disable_client_authentication(ds, directory_id):
    register(ds, directory_id)
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    enabled_at = ds.describe_client_authentication_settings(
        DirectoryId=directory_id, Type="SmartCard"
    )["ClientAuthenticationSettingsInfo"][0]["LastUpdatedDateTime"]
    response = ds.disable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert set(response) == {"ResponseMetadata"}
    setting = ds.describe_client_authentication_settings(
        DirectoryId=directory_id, Type="SmartCard"
    )["ClientAuthenticationSettingsInfo"][0]
    assert setting["Status"] == "Disabled"
    assert setting["LastUpdatedDateTime"] >= enabled_at


def test_disable_client_authentication_when_not_enabled(ds, directory_id):
    with pytest.raises(ClientError) as exc:
        ds.disable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert error_code(exc) == "InvalidClientAuthStatusException"


def test_disable_client_authentication_outside_ad_connector(ds, new_directory):
    with pytest.raises(ClientError) as exc:
        ds.disable_client_authentication(DirectoryId=new_directory("SimpleAD"), Type="SmartCard")
    assert error_code(exc) == "UnsupportedOperationException"


# ----------------------------------------- DescribeClientAuthenticationSettings
def test_describe_client_authentication_settings_defaults(ds, directory_id):
    settings = ds.describe_client_authentication_settings(DirectoryId=directory_id)[
        "ClientAuthenticationSettingsInfo"
    ]
    assert [(s["Type"], s["Status"]) for s in settings] == [
        ("SmartCard", "Disabled"),
        ("SmartCardOrPassword", "Disabled"),
    ]
    assert all(set(s) == {"Type", "Status", "LastUpdatedDateTime"} for s in settings)


def test_describe_client_authentication_settings_type_filter(ds, directory_id):
    settings = ds.describe_client_authentication_settings(
        DirectoryId=directory_id, Type="SmartCardOrPassword"
    )["ClientAuthenticationSettingsInfo"]
    assert [s["Type"] for s in settings] == ["SmartCardOrPassword"]


def test_describe_client_authentication_settings_paginates(ds, directory_id):
    first = ds.describe_client_authentication_settings(DirectoryId=directory_id, Limit=1)
    second = ds.describe_client_authentication_settings(
        DirectoryId=directory_id, Limit=1, NextToken=first["NextToken"]
    )
    assert [s["Type"] for s in first["ClientAuthenticationSettingsInfo"]] == ["SmartCard"]
    assert [s["Type"] for s in second["ClientAuthenticationSettingsInfo"]] == [
        "SmartCardOrPassword"
    ]
    assert "NextToken" not in second


def test_describe_client_authentication_settings_invalid_next_token(ds, directory_id):
    # The model lists InvalidNextTokenException for ListCertificates only; this operation
    # models InvalidParameterException.
    with pytest.raises(ClientError) as exc:
        ds.describe_client_authentication_settings(DirectoryId=directory_id, NextToken="nope")
    assert error_code(exc) == "InvalidParameterException"


def test_describe_client_authentication_settings_unknown_directory(ds):
    with pytest.raises(ClientError) as exc:
        ds.describe_client_authentication_settings(DirectoryId="d-0123456789")
    assert error_code(exc) == "DirectoryDoesNotExistException"


def test_describe_client_authentication_settings_outside_ad_connector(ds, new_directory):
    with pytest.raises(ClientError) as exc:
        ds.describe_client_authentication_settings(DirectoryId=new_directory("MicrosoftAD"))
    assert error_code(exc) == "UnsupportedOperationException"


# -------------------------------------------------------------------- seed hooks
def test_restore_certificate_skips_registration_rules(ds, backend, directory_id):
    pem = make_cert_pem("Old CA", days=10, ca=False)
    registered_at = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    certificate_id = backend.restore_certificate(
        directory_id, pem, ocsp_url="http://ocsp.example.com", registered_at=registered_at
    )
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)[
        "Certificate"
    ]
    assert certificate["State"] == "Registered"
    assert certificate["RegisteredDateTime"] == registered_at
    assert certificate["ExpiryDateTime"] == expiry_of(pem)
    assert certificate["ClientCertAuthSettings"] == {"OCSPUrl": "http://ocsp.example.com"}


def test_restore_certificate_with_failed_state(ds, backend, directory_id):
    certificate_id = backend.restore_certificate(
        directory_id,
        make_cert_pem(),
        registered_at=dt.datetime.now(UTC),
        state="RegisterFailed",
        state_reason="Certificate chain validation failed.",
    )
    certificate = ds.describe_certificate(DirectoryId=directory_id, CertificateId=certificate_id)[
        "Certificate"
    ]
    assert (certificate["State"], certificate["StateReason"]) == (
        "RegisterFailed",
        "Certificate chain validation failed.",
    )


def test_restore_certificate_refuses_unknown_state(backend, directory_id):
    with pytest.raises(ValueError):
        backend.restore_certificate(directory_id, make_cert_pem(), state="Valid")


def test_restore_client_authentication(ds, backend, directory_id):
    backend.restore_client_authentication(directory_id, "SmartCardOrPassword", "Enabled")
    settings = ds.describe_client_authentication_settings(
        DirectoryId=directory_id, Type="SmartCardOrPassword"
    )["ClientAuthenticationSettingsInfo"]
    assert settings[0]["Status"] == "Enabled"
