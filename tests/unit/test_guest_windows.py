"""Windows in-session probes (SESSION-1, SESSION-2, SESSION-7): one interface over the
live registry (winreg, here through a fake module), .reg exports and JSON dumps."""

from __future__ import annotations

from pathlib import Path

import pytest

from wscard.checks import Status
from wscard.errors import EnvironmentProblem
from wscard.guest import build, windows
from wscard.guest.windows import DictRegistry, RegValue, WindowsGuestConfig

DATA = Path(__file__).resolve().parents[1] / "data" / "guest" / "windows"
TEMPLATES = (build.FIXTURE_ADMX, build.FIXTURE_ADML)
WINDOWS_VARIANTS = {
    "compliant": [],
    "windows-no-smartcard-redirection": ["SESSION-1"],
    "windows-no-firefox-policy": ["SESSION-2"],
    "windows-no-disconnect-on-lock": ["SESSION-7"],
}


def run_all(cfg):
    return [windows.check_chrome_windows(cfg), windows.check_firefox_windows(cfg), windows.check_lock_windows(cfg)]


@pytest.mark.parametrize("variant", list(WINDOWS_VARIANTS))
def test_each_variant_fails_exactly_its_requirement(tmp_path, variant):
    reg = windows.load_file(build.build_windows(tmp_path, variant))
    results = run_all(WindowsGuestConfig(reg))
    assert sorted(r.requirement for r in results if r.status is Status.FAILED) == WINDOWS_VARIANTS[variant], [
        f.render() for r in results for f in r.findings]


def test_reg_export_recorded_format():
    reg = windows.load_file(DATA / "policies-export.reg")
    devs = windows.firefox_devices(reg)
    assert (r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Mozilla\Firefox\SecurityDevices", "OpenSC",
            r"C:\Program Files\OpenSC Project\OpenSC\pkcs11\onepin-opensc-pkcs11.dll") in devs
    add = [d for d in devs if d[0].endswith("\\Add")]
    assert add == [(r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Mozilla\Firefox\SecurityDevices\Add", "CAC",
                    r"%ProgramFiles%\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll")]
    wsp = reg.values(r"HKLM\software\policies\amazon\wsp")
    assert wsp["wscard_fixture_disconnect_on_lock"] == RegValue("REG_DWORD", 0)


def test_reg_export_cannot_tell_whether_the_library_exists():
    cfg = WindowsGuestConfig(windows.load_file(DATA / "policies-export.reg").with_templates(TEMPLATES))
    r = windows.check_firefox_windows(cfg)
    assert r.status is Status.WARNING and "cannot be told" in r.warnings()[0].render()
    assert windows.check_chrome_windows(cfg).status is Status.PASSED
    lock = windows.check_lock_windows(cfg)
    assert lock.status is Status.FAILED and "is disabled" in lock.message()
    assert "Enable/disable disconnect session on screen lock" in lock.message()


def test_json_dump_recorded_format_needs_templates_or_names():
    reg = windows.load_file(DATA / "registry-dump.json")
    r = windows.check_chrome_windows(WindowsGuestConfig(reg))
    assert r.status is Status.SKIPPED and "wsp.admx" in r.skipped_because
    named = WindowsGuestConfig(reg, smartcard_redirection_value="wscard_fixture_smart_card_redirection",
                               disconnect_on_lock_value="wscard_fixture_disconnect_on_lock")
    assert windows.check_chrome_windows(named).status is Status.PASSED
    assert windows.check_lock_windows(named).status is Status.FAILED
    assert windows.check_firefox_windows(named).status is Status.PASSED  # the dump records the file


def test_templates_from_a_folder(tmp_path):
    (tmp_path / "en-US").mkdir()
    (tmp_path / "wsp.admx").write_text(build.FIXTURE_ADMX)
    (tmp_path / "en-US" / "wsp.adml").write_bytes(b"\xff\xfe" + build.FIXTURE_ADML.encode("utf-16-le"))
    t = windows.read_templates(tmp_path)
    defs = windows.parse_templates(*t)
    sc = windows.find_policy(defs, windows.SMARTCARD_POLICY)
    assert (sc.key, sc.value_name, sc.enabled.value) == (r"SOFTWARE\Policies\Amazon\WSP",
                                                          "wscard_fixture_smart_card_redirection", 1)
    assert windows.find_policy(defs, "enable/disable   DISCONNECT session on screen lock").value_name == \
        "wscard_fixture_disconnect_on_lock"


def test_not_configured_policy_fails_with_the_gpo_path():
    reg = DictRegistry("empty", {}, admx=TEMPLATES)
    r = windows.check_chrome_windows(WindowsGuestConfig(reg))
    assert r.status is Status.FAILED
    assert "is not configured" in r.message()
    assert "Administrative Templates > Amazon > WSP" in r.message()


def test_firefox_policy_naming_a_missing_dll():
    reg = DictRegistry("dump", {r"HKLM\SOFTWARE\Policies\Mozilla\Firefox\SecurityDevices":
                                {"OpenSC": RegValue("REG_SZ", r"C:\OpenSC\pkcs11\opensc-pkcs11.dll")}},
                       files={r"C:\Other\x.dll": True})
    r = windows.check_firefox_windows(WindowsGuestConfig(reg))
    assert r.status is Status.FAILED and "does not exist on the WorkSpace" in r.message()


def test_firefox_user_policy_counts():
    reg = DictRegistry("dump", {r"HKCU\SOFTWARE\Policies\Mozilla\Firefox\SecurityDevices\Add":
                                {"OpenSC": RegValue("REG_SZ", r"C:\x.dll")}}, files={r"C:\x.dll": True})
    assert windows.check_firefox_windows(WindowsGuestConfig(reg)).status is Status.PASSED


def test_not_a_registry_file(tmp_path):
    p = tmp_path / "x.reg"
    p.write_text("hello\n")
    with pytest.raises(EnvironmentProblem, match="not a regedit export"):
        windows.load_file(p)
    p.write_text('{"format": "other"}')
    with pytest.raises(EnvironmentProblem, match="wscard-registry-dump/1"):
        windows.load_file(p)


class FakeWinreg:
    """The part of the winreg module the probe uses, over a dict."""

    HKEY_LOCAL_MACHINE = "HKLM"
    HKEY_CURRENT_USER = "HKCU"
    KEY_READ = 0x20019
    KEY_WOW64_64KEY = 0x0100

    def __init__(self, data: dict[tuple[str, str], list[tuple[str, object, int]]]):
        self.data = {(h, k.lower()): v for (h, k), v in data.items()}
        self.closed = 0

    def OpenKey(self, root, sub, reserved, access):  # noqa: N802 (winreg's names)
        assert access == self.KEY_READ | self.KEY_WOW64_64KEY  # read-only, 64-bit view
        if (root, sub.lower()) not in self.data:
            raise FileNotFoundError(sub)
        return (root, sub.lower())

    def EnumValue(self, handle, i):  # noqa: N802
        vals = self.data[handle]
        if i >= len(vals):
            raise OSError("no more data")
        return vals[i]

    def CloseKey(self, handle):  # noqa: N802
        self.closed += 1


def test_live_registry_through_winreg(tmp_path):
    (tmp_path / "en-US").mkdir()
    (tmp_path / "wsp.admx").write_text(build.FIXTURE_ADMX)
    (tmp_path / "en-US" / "wsp.adml").write_text(build.FIXTURE_ADML)
    dll = tmp_path / "opensc-pkcs11.dll"
    dll.write_bytes(b"")
    fake = FakeWinreg({
        ("HKLM", r"SOFTWARE\Policies\Amazon\WSP"): [("wscard_fixture_smart_card_redirection", 1, 4),
                                                    ("wscard_fixture_disconnect_on_lock", 1, 4)],
        ("HKLM", r"SOFTWARE\Policies\Mozilla\Firefox\SecurityDevices"): [("OpenSC", str(dll), 1)],
    })
    cfg = WindowsGuestConfig(windows.WinRegRegistry(module=fake, wsp_dir=str(tmp_path)))
    assert [r.status for r in run_all(cfg)] == [Status.PASSED] * 3
    assert fake.closed >= 3
