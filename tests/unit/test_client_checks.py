"""CLIENT-1..CLIENT-4, version comparison, and detection from recorded machine data."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from wscard.aws.workspaces import WorkspacesSnapshot
from wscard.client import checks as cl
from wscard.client.detect import (
    RegFileReader,
    detect,
    detect_linux,
    detect_macos,
    detect_windows,
    normalize_architecture,
)
from wscard.client_version import ClientVersion, at_least
from wscard.errors import EnvironmentProblem, ProfileError
from wscard.profile import load_profile

DATA = Path(__file__).resolve().parents[1] / "data" / "client"


# --- versions --------------------------------------------------------------------------
@pytest.mark.parametrize("newer, older", [
    ("3.1.10", "3.1.9"), ("3.1.10", "3.1.1"), ("3.1.2", "3.1.1"), ("5.0", "3.1.10"), ("5.22.1.4879", "5.22.1"),
    ("10.0", "9.9.9"), ("3.10", "3.9.99"), ("2024.0", "5.22.1"),
])
def test_versions_compare_numerically(newer, older):
    assert ClientVersion(newer) > ClientVersion(older)
    assert ClientVersion(older) < newer
    assert not at_least(older, newer)


@pytest.mark.parametrize("a, b", [("3.1.1", "3.1.1.0"), ("5", "5.0.0"), ("v3.1.10", "3.1.10"),
                                  ("3.1.9 (build 1553)", "3.1.9")])
def test_equal_versions(a, b):
    assert ClientVersion(a) == ClientVersion(b)
    assert hash(ClientVersion(a)) == hash(ClientVersion(b))


def test_text_comparison_would_be_wrong_and_numeric_is_right():
    assert "3.1.10" < "3.1.9"  # why versions are not compared as text
    assert at_least("3.1.10", "3.1.9")
    assert not at_least("3.1.0", "3.1.1")


@pytest.mark.parametrize("text", ["", "latest", "x.y"])
def test_not_a_version(text):
    with pytest.raises(ValueError):
        ClientVersion(text)


def test_profile_refuses_a_bad_version(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('extends = "embedded"\n[client]\nversion = "latest"\n')
    with pytest.raises(ProfileError, match=r"\[client\].version"):
        load_profile(p)


# --- detection: Windows registry (recorded exports) ------------------------------------------
def test_reg_export_reader_reads_utf16_export():
    reader = RegFileReader(DATA / "windows-x64-client-3.1.10.reg")
    base = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
    assert len(reader.subkeys(base)) == 3
    env = reader.values(r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Session Manager\Environment")
    assert env["PROCESSOR_ARCHITECTURE"] == "AMD64"
    assert env["Path"].startswith("%SystemRoot%")  # hex(2) expandable string


def test_detect_windows_client_3_1_10_on_64_bit():
    found = detect_windows(RegFileReader(DATA / "windows-x64-client-3.1.10.reg"))
    assert (found.platform, found.version, found.architecture) == ("windows", "3.1.10.1561", "x86_64")
    assert found.details["client_build"] == "native"


def test_detect_windows_picks_the_latest_of_two_entries():
    found = detect_windows(RegFileReader(DATA / "windows-x64-client-5.22.1-and-3.1.9.reg"))
    assert found.version == "5.22.1.4879"
    assert len(found.details["entries"]) == 2


def test_detect_windows_32_bit_os():
    found = detect_windows(RegFileReader(DATA / "windows-x86-client-3.1.10.reg"))
    assert found.architecture == "x86"


def test_detect_windows_arm64():
    assert detect_windows(RegFileReader(DATA / "windows-arm64-client-5.22.1.reg")).architecture == "arm64"


def test_detect_windows_client_in_wow6432node():
    found = detect_windows(RegFileReader(DATA / "windows-x64-client-wow6432.reg"))
    assert found.version == "3.1.10.1561"
    assert found.details["client_build"] == "32-bit (WOW6432Node)"


def test_detect_windows_without_client():
    found = detect_windows(RegFileReader(DATA / "windows-x64-no-client.reg"))
    assert found.version is None and found.architecture == "x86_64"


def test_reg_reader_refuses_other_files(tmp_path):
    p = tmp_path / "x.reg"
    p.write_text("not a registry export")
    with pytest.raises(EnvironmentProblem, match="not a registry export"):
        RegFileReader(p)


def test_detect_uses_the_registry_export_of_the_profile():
    section = SimpleNamespace(registry_export=str(DATA / "windows-x64-client-3.1.0.reg"),
                              macos_app="", dpkg_status="")
    found = detect(section, system="Linux")
    assert found.version == "3.1.0.1439"


# --- detection: macOS and Linux --------------------------------------------------------------
@pytest.mark.parametrize("plist, version", [("macos-WorkSpaces-5.22.1.plist", "5.22.1"),
                                            ("macos-WorkSpaces-3.1.4.plist", "3.1.4")])
def test_detect_macos_bundle(tmp_path, plist, version):
    app = tmp_path / "WorkSpaces.app"
    (app / "Contents").mkdir(parents=True)
    shutil.copy(DATA / plist, app / "Contents" / "Info.plist")
    found = detect_macos(app, machine="arm64")
    assert (found.platform, found.version, found.architecture) == ("macos", version, "arm64")


def test_detect_macos_not_installed(tmp_path):
    assert detect_macos(tmp_path / "WorkSpaces.app", machine="x86_64").version is None


def test_detect_linux_package():
    found = detect_linux(DATA / "dpkg-status", machine="x86_64")
    assert (found.platform, found.version) == ("linux", "2024.8.5191")


def test_detect_linux_not_installed(tmp_path):
    status = tmp_path / "status"
    status.write_text("Package: opensc\nStatus: install ok installed\nVersion: 1\n")
    assert detect_linux(status).version is None


@pytest.mark.parametrize("raw, arch", [("AMD64", "x86_64"), ("x86", "x86"), ("ARM64", "arm64"), ("aarch64", "arm64"),
                                       ("i686", "x86"), ("x86_64", "x86_64")])
def test_normalize_architecture(raw, arch):
    assert normalize_architecture(raw) == arch


# --- the checks ----------------------------------------------------------------------------
def client(platform="windows", version="5.22.1", architecture="x86_64", user="testuser"):
    return cl.ClientUnderTest(platform, version, architecture, user)


@pytest.mark.parametrize("version, status", [("3.1.0", "failed"), ("3.1.1", "passed"), ("3.1.10", "passed"),
                                             ("5.22.1", "passed"), (None, "failed")])
def test_client1_windows_version(version, status):
    assert cl.check_windows_client_version(client(version=version), "seed").status.value == status


def test_client1_skipped_for_other_clients():
    assert cl.check_windows_client_version(client("macos"), "seed").status.value == "skipped"


@pytest.mark.parametrize("arch, status", [("x86_64", "passed"), ("arm64", "passed"), ("x86", "failed"),
                                          ("arm", "failed")])
def test_client2_64_bit_windows(arch, status):
    assert cl.check_windows_64bit(client(architecture=arch), "seed").status.value == status


@pytest.mark.parametrize("platform, version, baseline, status", [
    ("windows", "3.1.1", "seed", "passed"),
    ("windows", "3.1.0", "seed", "passed"),  # the Windows client's version is CLIENT-1's
    ("macos", "3.1.5", "seed", "failed"),
    ("macos", "3.1.5", "admin-guide", "passed"),
    ("macos", "3.1.4", "admin-guide", "failed"),
    ("macos", "5.22.1", "admin-guide", "passed"),
    ("linux", "2024.8", "seed", "failed"),
    ("linux", "2024.8", "admin-guide", "failed"),
])
def test_client3_platform_per_baseline(platform, version, baseline, status):
    assert cl.check_client_platform(client(platform, version), baseline).status.value == status


def test_client3_shows_both_baselines():
    r = cl.check_client_platform(client("macos", "3.1.5"), "seed")
    assert r.evidence["baselines"]["admin-guide"]["status"] == "passed"
    assert r.evidence["baselines_disagree"] is True


def _snapshot(os_name="AMAZON_LINUX_2", protocol="WSP", user="testuser"):
    return WorkspacesSnapshot("d-1234567890", "us-gov-west-1", {"DirectoryId": "d-1234567890", "State": "REGISTERED"},
                              [{"WorkspaceId": "ws-000000001", "UserName": user,
                                "WorkspaceProperties": {"Protocols": [protocol], "OperatingSystemName": os_name}}])


@pytest.mark.parametrize("platform, os_name, protocol, status", [
    ("windows", "AMAZON_LINUX_2", "WSP", "passed"),
    ("macos", "AMAZON_LINUX_2", "WSP", "failed"),
    ("macos", "WINDOWS_10", "WSP", "passed"),
    ("macos", "AMAZON_LINUX_2", "PCOIP", "passed"),
])
def test_client4_linux_wsp_needs_the_windows_client(platform, os_name, protocol, status):
    r = cl.check_linux_workspaces_client(client(platform), _snapshot(os_name, protocol), "admin-guide")
    assert r.status.value == status


def test_client4_skipped_without_a_user_or_workspace():
    assert cl.check_linux_workspaces_client(client(user=""), _snapshot(), "seed").status.value == "skipped"
    assert cl.check_linux_workspaces_client(client(user="nobody"), _snapshot(), "seed").status.value == "skipped"


def test_client_under_test_from_profile_and_detection():
    p = load_profile()
    c = cl.client_under_test(p.client)
    assert (c.platform, c.version, c.user, c.source) == ("windows", "5.22.1", "testuser", "profile [client]")
    section = SimpleNamespace(detect=True, user="u", registry_export=str(DATA / "windows-x86-client-3.1.10.reg"),
                              macos_app="", dpkg_status="")
    c = cl.client_under_test(section)
    assert (c.version, c.architecture) == ("3.1.10.1561", "x86")
    assert c.source.startswith("detected: registry export")
    assert cl.check_windows_64bit(c, "seed").status.value == "failed"


# --- the current baseline ----------------------------------------------------------------
@pytest.mark.parametrize("version, status", [("3.1.1", "failed"), ("5.1.0.328", "failed"), ("5.1.0.329", "passed"),
                                             ("5.22.1", "passed")])
def test_client1_current_judges_against_the_higher_dcv_minimum(version, status):
    r = cl.check_windows_client_version(client(version=version), "current")
    assert r.status.value == status
    assert [s["versions"]["windows"] for s in r.evidence["minimum_version_sources"]] == ["3.1.1", "5.1.0.329"]


def test_client1_current_message_shows_both_sources():
    r = cl.check_windows_client_version(client(version="3.5.0"), "current")
    msg = r.message()
    assert "older than 5.1.0.329" in msg and "3.1.1 (https://docs.aws.amazon.com/workspaces/latest/userguide" in msg
    assert "5.1.0.329 (https://docs.aws.amazon.com/workspaces/latest/adminguide/amazon-workspaces-protocols.html" in msg
    # seed and admin-guide pass 3.5.0: the baselines disagree, side by side
    assert r.evidence["baselines"]["seed"]["status"] == "passed"


@pytest.mark.parametrize("platform, version, release, status", [
    ("macos", "5.5.0", "", "passed"),
    ("macos", "5.4.9", "", "failed"),
    ("linux", "2024.8", "Ubuntu 22.04", "passed"),
    ("linux", "2024.8", "Ubuntu 24.04", "passed"),
    ("linux", "2024.8", "Ubuntu 20.04", "failed"),
    ("linux", "2024.8", "", "warning"),
    ("linux", "2024.8", "Ubuntu", "warning"),
    ("linux", "2024.8", "Fedora 40", "failed"),
])
def test_client3_current_windows_macos_and_ubuntu_clients(platform, version, release, status):
    c = cl.ClientUnderTest(platform, version, "x86_64", "testuser", os_release=release)
    r = cl.check_client_platform(c, "current")
    assert r.status.value == status, r.message()
    if status == "failed" and platform == "linux":
        assert "only on Ubuntu 22.04 or later" in r.message()


def test_client3_linux_client_fails_under_the_older_baselines_side_by_side():
    c = cl.ClientUnderTest("linux", "2024.8", "x86_64", "testuser", os_release="Ubuntu 22.04")
    r = cl.check_client_platform(c, "current")
    assert r.evidence["baselines"]["seed"]["status"] == "failed"
    assert r.evidence["baselines"]["admin-guide"]["status"] == "failed"


def test_client4_current_lets_macos_reach_linux_workspaces():
    r = cl.check_linux_workspaces_client(client("macos"), _snapshot(), "current")
    assert r.status.value == "passed"


# --- CLIENT-5 ------------------------------------------------------------------------------
def _web_snapshot(web="DENY", **extra):
    d = {"DirectoryId": "d-1234567890", "State": "REGISTERED",
         "WorkspaceAccessProperties": {"DeviceTypeWindows": "ALLOW", "DeviceTypeWeb": web}, **extra}
    return WorkspacesSnapshot("d-1234567890", "us-gov-west-1", d, [])


SMART_CARD = {"Type": "SmartCard", "Status": "Enabled"}


def test_client5_web_access_allowed_on_a_smart_card_directory_warns_with_the_alternative():
    r = cl.check_web_access(_web_snapshot("ALLOW"), SMART_CARD, "current")
    assert r.status.value == "warning"
    msg = " ".join(f.render() for f in r.warnings())
    assert "DeviceTypeWeb = ALLOW" in msg and "not supported with the web browser client" in msg
    assert "Windows client 5.1.0.329 or later, macOS client 5.5.0 or later, Linux client on Ubuntu 22.04" in msg
    assert "DeviceTypeWeb=DENY" in msg


def test_client5_web_access_denied_passes():
    assert cl.check_web_access(_web_snapshot("DENY"), SMART_CARD, "seed").status.value == "passed"


def test_client5_not_judged_without_smart_cards_or_out_of_scope():
    assert cl.check_web_access(_web_snapshot("ALLOW"), None, "seed").status.value == "skipped"
    r = cl.check_web_access(_web_snapshot("ALLOW", WorkspaceType="POOLS"), SMART_CARD, "seed")
    assert r.status.value == "skipped" and "out of scope" in r.skipped_because
    assert cl.check_web_access(WorkspacesSnapshot("d-1", "us-gov-west-1", None), SMART_CARD, "seed"
                               ).status.value == "skipped"
