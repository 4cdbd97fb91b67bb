"""Step glue for features/client: each step calls one library function."""

from __future__ import annotations

from pytest_bdd import given, scenarios, then

from wscard.client import checks as cl

from .glue import check_per_baseline, shown

scenarios("client")


@given("the WorkSpaces client under test", target_fixture="client_app")
def _client(client, evidence):
    return shown(evidence, "WorkSpaces client under test", client.as_evidence(), client)


@then("the Windows client is version 3.1.1 or later")
def _version(client_app, profile, evidence):
    check_per_baseline(evidence, cl.check_windows_client_version(client_app, profile.profile.baseline))


@then("the Windows client runs on a 64-bit version of Windows")
def _bits(client_app, profile, evidence):
    check_per_baseline(evidence, cl.check_windows_64bit(client_app, profile.profile.baseline))


@then("the client application supports smart cards under the selected baseline")
def _platform(client_app, profile, evidence):
    check_per_baseline(evidence, cl.check_client_platform(client_app, profile.profile.baseline))


@then("the client user's Linux WorkSpaces on WSP are reached with the Windows client")
def _linux(client_app, workspaces, profile, evidence):
    check_per_baseline(evidence, cl.check_linux_workspaces_client(client_app, workspaces.snapshot,
                                                                  profile.profile.baseline))


@then("a smart card directory that allows Web Access is reported with the clients that support smart cards")
def _web(workspaces, directory_under_test, profile, evidence):
    evidence.check(cl.check_web_access(workspaces.snapshot, directory_under_test.snapshot.enabled_smart_card(),
                                       profile.profile.baseline))
