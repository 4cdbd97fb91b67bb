"""The simulated AWS held to botocore's service models (``wscard.aws.fidelity``).

* The harness's own calls, in-process (``mock_aws``) and over HTTP (the moto server):
  every input it sends fits the input shape, every answer it reads (the extension's ten
  operations, DescribeDirectories, DescribeWorkspaceDirectories, DescribeWorkspaces) fits
  the output shape, every error code is modeled for the operation (or a framework error)
  and every error body has the modeled members.
* A planted wrong answer is reported (the test can fail), and a changed shape in a newer
  botocore is named (against ``tests/data/aws-models/shapes.json``).

The extension's own unit tests are judged the same way, test by test
(``tests/unit/conftest.py``: ``model_fidelity``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from wscard.aws import fidelity
from wscard.aws import procedure as proc
from wscard.aws import workspaces as wsp
from wscard.aws.ad_connector import read_directory
from wscard.aws.env import AwsEnvironment
from wscard.aws.moto_ext import ds_models, ds_responses

REGION = "us-gov-west-1"  # smart card authentication and WSP both exist there
NO_SMART_CARD_REGION = "eu-central-1"
SHAPES = Path(__file__).resolve().parents[1] / "data" / "aws-models" / "shapes.json"


def _ca_pem(cn: str = "Fidelity Root CA") -> str:
    return proc.pem_text(proc.make_ca(cn, 400))


def run_harness_calls(env: AwsEnvironment) -> None:
    """What the harness asks AWS, in the order a run does: the procedure (DS and
    WorkSpaces), then the compliance reads; only requests that fit the model."""
    sb = proc.open_sandbox(env, procedure_region=REGION)
    try:
        first = sb.register(_ca_pem("Fidelity Root CA"), ocsp_url="http://ocsp.example.com/")
        assert first.ok, first.describe()
        assert sb.register(_ca_pem("Fidelity Second CA")).ok
        sb.wait_registered(sb.last_certificate_id, 5)
        assert sb.describe_certificate(first.response["CertificateId"]).ok
        sb.list_certificates()
        assert sb.enable().ok
        sb.client_auth_settings()
        snapshot = read_directory(sb.ds, sb.directory_id, sb.region)  # DescribeDirectories & co.
        assert snapshot.certificates and snapshot.client_auth
        assert sb.disable().ok
        assert sb.deregister().ok
    finally:
        sb.close()
    wsb = wsp.open_workspaces_sandbox(env, procedure_region=REGION,
                                      workspace={"Protocols": ["PCOIP"], "OperatingSystemName": "WINDOWS_SERVER_2022"})
    try:
        assert wsb.set_protocol("WSP").ok
        assert wsb.set_access("windows", "ALLOW").ok
        snap = wsp.read_workspaces(wsb.ws, wsb.directory_id, REGION)
        assert snap.registered and snap.workspaces
        assert wsp.read_fleet(wsb.ws, REGION, page_size=1)
    finally:
        wsb.close()
    # the WorkSpaces side of the embedded profile's world, as the compliance run builds it
    from wscard.aws.world import create_directory
    from wscard.profile import load_profile

    section = load_profile("embedded").workspaces
    did = create_directory(env, REGION, "ADConnector", "fidelity.example.com", "FIDELITY")
    world = wsp.seed_workspaces(env, did, REGION, section)
    assert world.workspace_ids
    assert wsp.read_workspaces(env.client("workspaces", REGION), did, REGION).workspaces


def run_refusals(env: AwsEnvironment) -> None:
    """Documented refusals, including requests that break the input shape on purpose."""
    sb = proc.open_sandbox(env, procedure_region=REGION)
    try:
        assert sb.enable().error_code == "NoAvailableCertificateException"
        assert sb.describe_certificate("c-0123456789").error_code == "CertificateDoesNotExistException"
        assert sb.deregister("c-0123456789").error_code == "CertificateDoesNotExistException"
        assert sb.register("not a certificate").error_code == "InvalidCertificateException"
        assert sb.call("ListCertificates", NextToken="garbage").error_code == "InvalidNextTokenException"
        assert sb.call("DescribeClientAuthenticationSettings", NextToken="garbage").error_code == "InvalidParameterException"
        assert sb.call("DescribeCertificate", CertificateId="cert-1").error_code == "ValidationException"
    finally:
        sb.close()
    far = proc.open_sandbox(env, procedure_region=REGION, region=NO_SMART_CARD_REGION)
    try:
        for call in (far.enable, far.disable):
            assert call().error_code == "AccessDeniedException"
        assert far.call("DescribeClientAuthenticationSettings").error_code == "AccessDeniedException"
    finally:
        far.close()
    wsb = wsp.open_workspaces_sandbox(env, procedure_region=REGION,
                                      workspace={"Protocols": ["WSP"], "OperatingSystemName": "WINDOWS_SERVER_2022"})
    try:
        assert wsb.set_protocol("PCOIP").error_code == "UnsupportedWorkspaceConfigurationException"
        assert wsb.set_protocol("wsp").error_code == "ValidationException"
        assert wsb.set_access("windows", "allow").error_code == "ValidationException"
        assert wsb.call("DescribeWorkspaces", DirectoryId=wsb.directory_id, NextToken="garbage").error_code == \
            "InvalidParameterValuesException"
    finally:
        wsb.close()


@pytest.fixture(params=["embedded", "server"])
def recorded_env(request):
    """An AwsEnvironment (moto in-process, or the moto server over HTTP) whose calls are recorded."""
    recorder = fidelity.ExchangeRecorder(label=request.param).attach_to_new_sessions()
    env = AwsEnvironment(request.param, REGION)
    try:
        env.start()
        yield env, recorder
    finally:
        env.stop()
        recorder.detach()


def test_harness_calls_fit_the_model(recorded_env):
    env, recorder = recorded_env
    run_harness_calls(env)
    exchanges = recorder.exchanges
    problems = fidelity.check_exchanges(exchanges, judge_input=True)
    assert not problems, "\n" + fidelity.report(problems)
    # nothing judged vacuously: every judged operation answered at least once, on JSON
    answered = {(e.service, e.operation) for e in exchanges if not e.is_error}
    wanted = {(s, op) for s, ops in fidelity.judged_operations().items() for op in ops}
    assert wanted <= answered, f"not exercised: {sorted(wanted - answered)}"
    assert {e.protocol for e in exchanges} == {"json"}
    assert all(e.params is not None for e in exchanges)


def test_refusals_fit_the_model(recorded_env):
    env, recorder = recorded_env
    run_refusals(env)
    errors = [e for e in recorder.exchanges if e.is_error]
    assert len(errors) >= 13
    problems = fidelity.check_exchanges(recorder.exchanges)
    assert not problems, "\n" + fidelity.report(problems)
    # the refusals of requests that break the input shape are told apart by the judge
    broken = [e for e in recorder.exchanges if fidelity.check_input(e.service, e.operation, e.params)]
    assert {e.operation for e in broken} >= {"DescribeCertificate", "ModifyWorkspaceProperties",
                                             "ModifyWorkspaceAccessProperties"}


# --------------------------------------------------------------- planted wrong answers

def test_planted_wrong_output_is_reported(recorded_env, monkeypatch):
    """ListCertificates answering a state outside the enum (wrong case) and an ID that
    breaks its pattern: each is named.  (Members the shape lacks and timestamps as text
    never reach the wire here: moto serializes ActionResult answers from the model; see
    test_extra_members_and_text_timestamps_are_reported for those.)"""
    env, recorder = recorded_env
    original = ds_responses._certificate_info

    def wrong(certificate):
        info = original(certificate)
        info["State"] = "registered"  # wrong case
        info["CertificateId"] = "cert-" + info["CertificateId"]
        return info

    monkeypatch.setattr(ds_responses, "_certificate_info", wrong)
    sb = proc.open_sandbox(env, procedure_region=REGION)
    try:
        assert sb.register(_ca_pem()).ok
        sb.list_certificates()
    finally:
        sb.close()
    problems = [str(p) for p in fidelity.check_exchanges(recorder.exchanges)]
    assert any("CertificatesInfo[0].State: 'registered' is not a value of the enum CertificateState" in p
               for p in problems), problems
    assert any("CertificatesInfo[0].CertificateId" in p and "does not match the pattern ^c-[0-9a-f]{10}$" in p
               for p in problems), problems


def test_extra_members_and_text_timestamps_are_reported():
    body = {"CertificatesInfo": [{"CertificateId": "c-0123456789", "State": "Registered",
                                  "ExpiryDateTime": "2030-01-01", "Fingerprint": "00"}]}
    found = [str(p) for p in fidelity.check_exchange(_exchange("ds", "ListCertificates", 200, body))]
    assert any("CertificatesInfo[0].Fingerprint: not a member of CertificateInfo" in p for p in found), found
    assert any("CertificatesInfo[0].ExpiryDateTime" in p and "epoch seconds" in p for p in found), found
    body["CertificatesInfo"][0].update({"ExpiryDateTime": 1893456000.0})
    del body["CertificatesInfo"][0]["Fingerprint"]
    assert fidelity.check_exchange(_exchange("ds", "ListCertificates", 200, body)) == []


def test_planted_unmodeled_error_code_is_reported(recorded_env, monkeypatch):
    """The old answer to a bad NextToken on DescribeClientAuthenticationSettings
    (InvalidNextTokenException, which the model lists for ListCertificates only)."""
    env, recorder = recorded_env
    from wscard.aws.moto_ext.ds_exceptions import InvalidNextTokenException

    def refuse(self, *args, **kwargs):
        raise InvalidNextTokenException()

    monkeypatch.setattr(ds_models.DirectoryServiceCertificatesMixin, "describe_client_authentication_settings", refuse)
    from moto.ds.models import DirectoryServiceBackend

    monkeypatch.setattr(DirectoryServiceBackend, "describe_client_authentication_settings", refuse)
    sb = proc.open_sandbox(env, procedure_region=REGION)
    try:
        assert sb.call("DescribeClientAuthenticationSettings").error_code == "InvalidNextTokenException"
    finally:
        sb.close()
    problems = [str(p) for p in fidelity.check_exchanges(recorder.exchanges)]
    assert any("InvalidNextTokenException is neither a modeled error of DescribeClientAuthenticationSettings" in p
               for p in problems), problems


def _exchange(service, operation, status, body, headers=None):
    return fidelity.Exchange(service, operation, None, status, headers or {}, json.dumps(body).encode(), "json")


def test_error_body_members_are_judged_as_modeled():
    # Directory Service models Message and RequestId; moto's own bodies had "message"
    lower = _exchange("ds", "DescribeCertificate", 400, {"__type": "CertificateDoesNotExistException", "message": "x"})
    found = [str(p) for p in fidelity.check_exchange(lower)]
    assert any("$.message: not a member of CertificateDoesNotExistException (the model spells it 'Message')" in p
               for p in found), found
    assert any("RequestId" in p for p in found)
    rid = "0c4f5d44-6a43-4b1b-9d2c-2f0e6b1a7c11"
    right = _exchange("ds", "DescribeCertificate", 400,
                      {"__type": "CertificateDoesNotExistException", "Message": "x", "RequestId": rid},
                      {"x-amzn-RequestId": rid})
    assert fidelity.check_exchange(right) == []
    # WorkSpaces models message in lower case
    ws_upper = _exchange("workspaces", "ModifyWorkspaceProperties", 400,
                         {"__type": "ResourceNotFoundException", "Message": "x"})
    assert any("'message'" in str(p) for p in fidelity.check_exchange(ws_upper))
    # a framework error is judged on its code only; an unknown code is not accepted
    assert fidelity.check_exchange(_exchange("workspaces", "DescribeWorkspaces", 400,
                                             {"__type": "ValidationException", "message": "x"})) == []
    assert fidelity.check_exchange(_exchange("workspaces", "DescribeWorkspaces", 400,
                                             {"__type": "ResourceNotFoundException", "message": "x"}))


def test_empty_answers_must_be_empty():
    assert fidelity.check_exchange(_exchange("ds", "EnableClientAuthentication", 200, {})) == []
    found = fidelity.check_exchange(_exchange("ds", "EnableClientAuthentication", 200, {"Status": "Enabled"}))
    assert [p.path for p in found] == ["$"]


def test_input_checks_go_beyond_botocore_param_validation():
    # botocore's ParamValidator checks types, required members and minima only
    assert fidelity.check_input("workspaces", "ModifyWorkspaceAccessProperties",
                                {"ResourceId": "d-1234567890", "WorkspaceAccessProperties": {"DeviceTypeWindows": "ALLOW"}}) == []
    found = [str(p) for p in fidelity.check_input(
        "workspaces", "ModifyWorkspaceAccessProperties",
        {"ResourceId": "x", "WorkspaceAccessProperties": {"DeviceTypeWindows": "allow"}})]
    assert any("'allow' is not a value of the enum AccessPropertyValue" in p for p in found), found
    assert any("ResourceId" in p and "pattern" in p for p in found), found
    found = [str(p) for p in fidelity.check_input("ds", "ListCertificates", {"DirectoryId": "d-1234567890", "Limit": 51})]
    assert any("above the maximum 50" in p for p in found), found
    found = [str(p) for p in fidelity.check_input("ds", "ListCertificates", {})]
    assert any("DirectoryId" in p for p in found), found  # botocore's own report


# --------------------------------------------------------------- a newer botocore

def test_model_shapes_are_the_ones_the_extension_was_checked_against():
    """A newer botocore that changes a shape the extension answers with fails here, naming
    the shape and the trait; review the extension, then store the new summary with
    ``.venv/bin/python -m wscard.aws.fidelity --write tests/data/aws-models/shapes.json``."""
    stored = json.loads(SHAPES.read_text(encoding="utf-8"))
    changes = fidelity.diff_shape_summaries(stored, fidelity.shape_summary())
    assert not changes, (
        f"botocore {fidelity.botocore_version()} changed shapes since botocore {stored['botocore']}:\n"
        + "\n".join(changes)
    )


def test_shape_changes_are_named():
    old = fidelity.shape_summary()
    new = copy.deepcopy(old)
    ws = new["services"]["workspaces"]["shapes"]
    ws["AccessPropertyValue"]["enum"].append("ALLOW_ONCE")
    ws["WorkspaceAccessProperties"]["members"]["DeviceTypeCar"] = "AccessPropertyValue"
    new["services"]["ds"]["operations"]["DescribeClientAuthenticationSettings"]["errors"].append(
        "InvalidNextTokenException")
    changes = fidelity.diff_shape_summaries(old, new)
    assert "workspaces shape AccessPropertyValue: enum added ['ALLOW_ONCE']" in changes
    assert "workspaces shape WorkspaceAccessProperties: member DeviceTypeCar added" in changes
    assert ("ds operation DescribeClientAuthenticationSettings: error InvalidNextTokenException newly modeled"
            in changes)
