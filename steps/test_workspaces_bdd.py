"""Step glue for features/workspaces: each step calls one library function."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from wscard.aws import workspaces as wsp

from .workspaces_plugin import check_per_baseline

scenarios("workspaces")


# --- compliance (read-only) ----------------------------------------------------------

@then("every WorkSpace of the directory uses the WSP protocol, not PCoIP")
def _wsp(workspaces, profile, evidence):
    check_per_baseline(evidence, wsp.check_protocol(workspaces.snapshot, profile.profile.baseline))


@then("every WorkSpace runs Windows or Linux, and Linux WorkSpaces on WSP are in a Region the baseline documents")
def _os(workspaces, profile, evidence):
    check_per_baseline(evidence, wsp.check_operating_systems(workspaces.snapshot, profile.profile.baseline))


@then("the directory is registered with WorkSpaces and allows the device types the users connect from")
def _access(workspaces, profile, evidence):
    wanted = wsp.required_device_types(profile.workspaces.connect_from, profile.client.platform)
    evidence.check(wsp.check_device_access(workspaces.snapshot, wanted))


# --- procedure (changes state) ---------------------------------------------------------

def _open(request, aws_env, profile, **kwargs):
    try:
        sb = wsp.open_workspaces_sandbox(aws_env, procedure_region=profile.aws.procedure_region,
                                         allow_changes_for=request.config.getoption("--allow-aws-changes"), **kwargs)
    except wsp.SandboxUnavailable as exc:
        pytest.skip(str(exc))
    request.addfinalizer(sb.close)
    return sb


@pytest.fixture
def workspaces_api_calls(aws_env, evidence):
    mark = aws_env.recorder.mark()
    yield
    evidence.attach_json("AWS API calls", aws_env.calls_since(mark))


@given(parsers.re(r"a scratch WorkSpaces directory with an? (?P<protocol>PCoIP|WSP) WorkSpace(?: that is (?P<state>[A-Z_]+))?$"),
       target_fixture="sandbox")
def _sandbox_with_workspace(request, aws_env, profile, protocol, state):
    return _open(request, aws_env, profile, state=state or "AVAILABLE",
                 workspace={"Protocols": [protocol.upper()], "OperatingSystemName": "WINDOWS_SERVER_2022"})


@given("a scratch WorkSpaces directory", target_fixture="sandbox")
def _sandbox(request, aws_env, profile):
    return _open(request, aws_env, profile)


@given("a scratch directory that is not registered with WorkSpaces", target_fixture="sandbox")
def _sandbox_unregistered(request, aws_env, profile):
    return _open(request, aws_env, profile, registered=False)


@when(parsers.parse("I change the WorkSpace's protocol to {protocol}"))
def _set_protocol(sandbox, protocol, workspaces_api_calls):
    sandbox.set_protocol(protocol)


@when(parsers.parse("I allow {device_type} devices"))
def _allow(sandbox, device_type, workspaces_api_calls):
    sandbox.set_access(device_type, "ALLOW")


@when(parsers.parse('I set {device_type} devices to "{value}"'))
def _set_access(sandbox, device_type, value, workspaces_api_calls):
    sandbox.set_access(device_type, value)


@then("the request succeeds")
def _succeeds(sandbox, evidence):
    evidence.check(wsp.expect_ok(sandbox.last))


@then(parsers.parse("the request is refused with {code}"))
def _refused(sandbox, code, evidence):
    # "A or B": either code passes (the documents do not pin it); the evidence names which came
    evidence.check(wsp.expect_refused(sandbox.last, [c.strip() for c in code.split(" or ")]))


@then(parsers.parse("DescribeWorkspaces shows the WorkSpace on {protocol}"))
def _shows_protocol(sandbox, protocol, evidence):
    evidence.check(wsp.expect_protocol(sandbox, protocol))


@then(parsers.parse("the directory shows {member} {value}"))
def _shows_access(sandbox, member, value, evidence):
    device = {v: k for k, v in wsp.DEVICE_TYPE_MEMBERS.items()}[member]
    evidence.check(wsp.expect_access(sandbox, device, value))
