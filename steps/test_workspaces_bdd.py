"""Step glue for features/workspaces: each step calls one library function."""

from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from wscard.aws import workspaces as wsp

from .glue import check_per_baseline

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

# open_scratch, aws_api_calls, "the request succeeds" and "the request is refused with
# {code}" are shared with the AD Connector procedures (steps/conftest.py).

@given(parsers.re(r"a scratch WorkSpaces directory with an? (?P<protocol>PCoIP|WSP) WorkSpace(?: that is (?P<state>[A-Z_]+))?$"),
       target_fixture="sandbox")
def _sandbox_with_workspace(open_scratch, protocol, state):
    return open_scratch(wsp.open_workspaces_sandbox, state=state or "AVAILABLE",
                        workspace={"Protocols": [protocol.upper()], "OperatingSystemName": "WINDOWS_SERVER_2022"})


@given("a scratch WorkSpaces directory", target_fixture="sandbox")
def _sandbox(open_scratch):
    return open_scratch(wsp.open_workspaces_sandbox)


@given("a scratch directory that is not registered with WorkSpaces", target_fixture="sandbox")
def _sandbox_unregistered(open_scratch):
    return open_scratch(wsp.open_workspaces_sandbox, registered=False)


@when(parsers.parse("I change the WorkSpace's protocol to {protocol}"))
def _set_protocol(sandbox, protocol, aws_api_calls):
    sandbox.set_protocol(protocol)


@when(parsers.parse("I allow {device_type} devices"))
def _allow(sandbox, device_type, aws_api_calls):
    sandbox.set_access(device_type, "ALLOW")


@when(parsers.parse('I set {device_type} devices to "{value}"'))
def _set_access(sandbox, device_type, value, aws_api_calls):
    sandbox.set_access(device_type, value)


@then(parsers.parse("DescribeWorkspaces shows the WorkSpace on {protocol}"))
def _shows_protocol(sandbox, protocol, evidence):
    evidence.check(wsp.expect_protocol(sandbox, protocol))


@then(parsers.parse("the directory shows {member} {value}"))
def _shows_access(sandbox, member, value, evidence):
    device = {v: k for k, v in wsp.DEVICE_TYPE_MEMBERS.items()}[member]
    evidence.check(wsp.expect_access(sandbox, device, value))
