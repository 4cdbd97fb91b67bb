"""Procedure scenarios accept what real AWS can answer (issue 19 point 2), and wait for a
deregistration (point 3), on the simulated service.

"Device access takes ALLOW or DENY only" and "The protocol names are case sensitive"
pass whether the service answers the framework's ValidationException or the modeled
InvalidParameterValuesException (the simulation can answer either:
``moto_ext.config.constraint_violations``); the evidence names the one that came. A code
that is neither still fails.
"""

from __future__ import annotations

import pytest

from wscard.aws import procedure as proc
from wscard.aws import workspaces as wsp
from wscard.aws.env import AwsEnvironment
from wscard.aws.moto_ext import config
from wscard.checks import Status

REGION = "us-gov-west-1"
EITHER = ["ValidationException", "InvalidParameterValuesException"]


@pytest.fixture(scope="module")
def env():
    with AwsEnvironment("embedded", REGION) as aws:
        yield aws


@pytest.fixture
def sandbox(env):
    sb = wsp.open_workspaces_sandbox(env, procedure_region=REGION,
                                     workspace={"Protocols": ["PCOIP"], "OperatingSystemName": "WINDOWS_SERVER_2022"})
    yield sb
    sb.close()


@pytest.mark.parametrize("style, code", [("framework", "ValidationException"),
                                         ("modeled", "InvalidParameterValuesException")])
@pytest.mark.parametrize("request_", ["access allow", "protocol wsp", "protocol DCV"])
def test_constraint_violation_passes_with_either_code(sandbox, monkeypatch, style, code, request_):
    monkeypatch.setattr(config, "constraint_violations", style)
    if request_ == "access allow":
        sandbox.set_access("windows", "allow")
    else:
        sandbox.set_protocol(request_.split()[1])
    result = wsp.expect_refused(sandbox.last, EITHER)
    assert result.status == Status.PASSED, result.findings
    assert result.evidence["observed_code"] == code
    assert result.evidence["accepted_codes"] == EITHER
    assert code in result.title


def test_another_code_still_fails(sandbox):
    sandbox.set_access("windows", "ALLOW", directory_id="d-0000000000")  # not registered
    result = wsp.expect_refused(sandbox.last, EITHER)
    assert result.status == Status.FAILED
    assert "ResourceNotFoundException" in result.findings[0].problem


def test_success_fails_a_refusal(sandbox):
    sandbox.set_access("windows", "ALLOW")
    assert wsp.expect_refused(sandbox.last, EITHER).status == Status.FAILED


def test_single_code_unchanged(sandbox):
    sandbox.set_protocol("wsp")
    result = wsp.expect_refused(sandbox.last, "ValidationException")
    assert result.status == Status.PASSED and "observed_code" not in result.evidence


# --------------------------------------------------------------- deregistration

@pytest.fixture
def ds_sandbox(env):
    sb = proc.open_sandbox(env, procedure_region=REGION)
    yield sb
    sb.close()


def test_deregistration_is_waited_for(ds_sandbox, env):
    env.ds_backend(REGION).certificate_deregistration_delay_seconds = 0.3
    assert ds_sandbox.register(proc.pem_text(proc.make_ca("Deregistration Test CA", 400))).ok
    assert ds_sandbox.deregister().ok
    result = proc.expect_deregistration_progress(ds_sandbox, 30)
    assert result.status == Status.PASSED, result.findings
    assert result.evidence["states_seen"] in (["Deregistering", "gone"], ["Deregistering", "Deregistered", "gone"])
    assert proc.expect_listed(ds_sandbox, False, timeout=30).status == Status.PASSED


def test_a_deregistration_that_never_ends_fails_within_the_bound(ds_sandbox, env):
    env.ds_backend(REGION).certificate_deregistration_delay_seconds = 3600
    assert ds_sandbox.register(proc.pem_text(proc.make_ca("Stuck Deregistration CA", 400))).ok
    assert ds_sandbox.deregister().ok
    result = proc.expect_deregistration_progress(ds_sandbox, 0.5)
    assert result.status == Status.FAILED
    assert "ended in Deregistering" in result.findings[0].problem
    assert proc.expect_listed(ds_sandbox, False, timeout=0.3).status == Status.FAILED


def test_a_simulated_deregistration_never_seen_deregistering_fails(ds_sandbox, env):
    """In the simulated world the scenario sets a delay first; a simulation that still
    answers at once (here: delay 0) is reported, as for registrations."""
    env.ds_backend(REGION).certificate_deregistration_delay_seconds = 0.0
    assert ds_sandbox.register(proc.pem_text(proc.make_ca("Instant Deregistration CA", 400))).ok
    assert ds_sandbox.deregister().ok
    result = proc.expect_deregistration_progress(ds_sandbox, 5)
    assert result.status == Status.FAILED
    assert "never Deregistering" in result.findings[0].problem


# --- judges the AD Connector steps call (issue 18: no finding built in a step) ---------------

def test_certificate_id_is_required_of_a_registration():
    ok = proc.Outcome("RegisterCertificate", response={"CertificateId": "c-1234567890"}, http_status=200)
    assert proc.expect_certificate_id(ok).status == Status.PASSED
    none = proc.Outcome("RegisterCertificate", response={}, http_status=200)
    result = proc.expect_certificate_id(none)
    assert result.status == Status.FAILED and "without a CertificateId" in result.findings[0].problem
    refused = proc.Outcome("RegisterCertificate", error_code="InvalidCertificateException")
    assert proc.expect_certificate_id(refused).status == Status.FAILED
    assert proc.expect_certificate_id(None).status == Status.FAILED


@pytest.mark.parametrize("wanted, outcome, status", [
    ("success", proc.Outcome("EnableClientAuthentication", http_status=200), Status.PASSED),
    ("success", proc.Outcome("EnableClientAuthentication", error_code="AccessDeniedException"), Status.FAILED),
    ("refused with AccessDeniedException", proc.Outcome("X", error_code="AccessDeniedException"), Status.PASSED),
    ("refused with AccessDeniedException", proc.Outcome("X", http_status=200), Status.FAILED),
    ("refused with AccessDeniedException", proc.Outcome("X", error_code="ClientException"), Status.FAILED),
    ("refused with ValidationException or InvalidParameterException",
     proc.Outcome("X", error_code="InvalidParameterException"), Status.PASSED),
])
def test_outcome_of_a_row(wanted, outcome, status):
    assert proc.expect_outcome(outcome, wanted).status == status
