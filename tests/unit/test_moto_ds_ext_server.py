"""Server mode: the moto Directory Service extension behind moto's HTTP server (127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wscard.aws.moto_ext.server import start_server

#: Every answer these tests receive is held to botocore's service model (tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("fidelity_recorder", "model_fidelity")

REGION = "us-east-1"
CREDENTIALS = Credentials("testing", "testing")
REPO_ROOT = Path(__file__).resolve().parents[2]
_KEY = ec.generate_private_key(ec.SECP256R1())


def make_ca_pem() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Server Test Root CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=400))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(_KEY, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def server_url():
    server, url = start_server()
    try:
        yield url
    finally:
        server.stop()


def _client(service: str, url: str):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=CREDENTIALS.access_key,
        aws_secret_access_key=CREDENTIALS.secret_key,
    )


@pytest.fixture(scope="module")
def network(server_url):
    ec2 = _client("ec2", server_url)
    vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{az}"
        )["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    return vpc_id, subnet_ids


@pytest.fixture(scope="module")
def ds(server_url):
    return _client("ds", server_url)


@pytest.fixture
def directory_id(ds, network):
    vpc_id, subnet_ids = network
    directory_id = ds.connect_directory(
        Name="corp.example.com",
        Password="Passw0rd!",
        Size="Small",
        ConnectSettings={
            "VpcId": vpc_id,
            "SubnetIds": subnet_ids,
            "CustomerDnsIps": ["10.1.1.10"],
            "CustomerUserName": "Admin",
        },
    )["DirectoryId"]
    yield directory_id
    ds.delete_directory(DirectoryId=directory_id)


def raw_call(url: str, operation: str, body: dict) -> tuple[int, dict, bytes]:
    """POST one JSON-protocol request, signed, without boto3's response parsing."""
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"DirectoryService_20150416.{operation}",
        },
    )
    SigV4Auth(CREDENTIALS, "ds", REGION).add_auth(request)
    prepared = urllib.request.Request(
        url + "/", data=request.body, headers=dict(request.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_start_server_listens_on_loopback(server_url):
    assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*", server_url)


def test_register_and_list_certificate_through_server(ds, directory_id):
    certificate_id = ds.register_certificate(
        DirectoryId=directory_id,
        CertificateData=make_ca_pem(),
        Type="ClientCertAuth",
        ClientCertAuthSettings={"OCSPUrl": "http://ocsp.example.com"},
    )["CertificateId"]
    listed = ds.list_certificates(DirectoryId=directory_id)["CertificatesInfo"]
    assert [(c["CertificateId"], c["State"]) for c in listed] == [(certificate_id, "Registered")]


def test_enable_client_authentication_http_200_empty_body(server_url, ds, directory_id):
    ds.register_certificate(
        DirectoryId=directory_id, CertificateData=make_ca_pem(), Type="ClientCertAuth"
    )
    status, _, body = raw_call(
        server_url, "EnableClientAuthentication", {"DirectoryId": directory_id, "Type": "SmartCard"}
    )
    assert status == 200
    assert body.strip() in (b"", b"{}")
    settings = ds.describe_client_authentication_settings(
        DirectoryId=directory_id, Type="SmartCard"
    )["ClientAuthenticationSettingsInfo"]
    assert settings[0]["Status"] == "Enabled"


def test_disable_client_authentication_http_200_empty_body(server_url, ds, directory_id):
    ds.register_certificate(
        DirectoryId=directory_id, CertificateData=make_ca_pem(), Type="ClientCertAuth"
    )
    ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    status, _, body = raw_call(
        server_url, "DisableClientAuthentication", {"DirectoryId": directory_id, "Type": "SmartCard"}
    )
    assert status == 200
    assert body.strip() in (b"", b"{}")


def test_server_error_carries_documented_type(server_url):
    status, headers, body = raw_call(
        server_url,
        "EnableClientAuthentication",
        {"DirectoryId": "d-0123456789", "Type": "SmartCard"},
    )
    assert status == 400
    assert json.loads(body)["__type"] == "DirectoryDoesNotExistException"


def test_server_error_maps_to_botocore_exception(ds, directory_id):
    with pytest.raises(ds.exceptions.NoAvailableCertificateException) as exc:
        ds.enable_client_authentication(DirectoryId=directory_id, Type="SmartCard")
    assert isinstance(exc.value, ClientError)


def test_standalone_server_serves_extension_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "wscard.aws.moto_ext.server", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        status, _, body = raw_call(
            match.group(0), "DescribeClientAuthenticationSettings", {"DirectoryId": "d-0123456789"}
        )
        assert (status, json.loads(body)["__type"]) == (400, "DirectoryDoesNotExistException")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
