"""Windows in-session probes (SESSION-1, SESSION-2, SESSION-7, SESSION-9, SESSION-10, UC-8's
Windows half): one interface over the
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
    "windows-no-smartcard-redirection": ["SESSION-9"],
    "windows-no-firefox-policy": ["SESSION-2"],
    "windows-no-disconnect-on-lock": ["SESSION-7"],
    "windows-certprop-manual": ["SESSION-10"],
    "windows-certprop-stopped": ["SESSION-10"],
    "windows-no-ecc-policy": [],  # a trap with RSA certificates (the ECC case: test_ecc_*)
    "windows-no-certificate-propagation-policy": ["SESSION-1"],
}


def _cert(kind: str):
    """A throwaway self-signed certificate with an RSA 2048 or ECC P-256 key."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Test User ({kind})")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


RSA_CERT = _cert("rsa")
EC_CERT = _cert("ec")


def run_all(cfg, certs=(RSA_CERT,)):
    return [windows.check_chrome_windows(cfg), windows.check_firefox_windows(cfg), windows.check_lock_windows(cfg),
            windows.check_smartcard_redirection(cfg), windows.check_certificate_propagation(cfg),
            windows.check_ecc_logon_policy(cfg, list(certs))]


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
    r = windows.check_smartcard_redirection(WindowsGuestConfig(reg))
    assert r.status is Status.SKIPPED and "wsp.admx" in r.skipped_because
    assert "see SESSION-9" in windows.check_chrome_windows(WindowsGuestConfig(reg)).skipped_because
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
    r = windows.check_smartcard_redirection(WindowsGuestConfig(reg))
    assert r.status is Status.FAILED and r.requirement == "SESSION-9"
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
    results = run_all(cfg)
    assert [r.status for r in results[:4]] == [Status.PASSED] * 4
    assert fake.closed >= 3



# --- SESSION-9 and SESSION-1 -------------------------------------------------------------------
def test_chrome_is_skipped_naming_session9_when_the_card_is_not_redirected(tmp_path):
    reg = windows.load_file(build.build_windows(tmp_path, "windows-no-smartcard-redirection"))
    cfg = WindowsGuestConfig(reg)
    chrome = windows.check_chrome_windows(cfg)
    assert chrome.status is Status.SKIPPED and "see SESSION-9" in chrome.skipped_because
    redirection = windows.check_smartcard_redirection(cfg)
    assert redirection.status is Status.FAILED
    assert "Enable/disable smart card redirection" in redirection.message() and "pre-session" in redirection.message()


# --- SESSION-10 -------------------------------------------------------------------------------
CERTPROP = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\CertPropSvc"


@pytest.mark.parametrize("start, state, status, words", [
    (2, "Running", Status.PASSED, ""),
    (3, "Running", Status.FAILED, "starts Manual (Start = 3), not Automatic (2)"),
    (4, "Stopped", Status.FAILED, "starts Disabled"),
    (2, "Stopped", Status.FAILED, "is Stopped, not running"),
])
def test_certificate_propagation_start_type_and_state(start, state, status, words):
    reg = DictRegistry("dump", {CERTPROP: {"Start": RegValue("REG_DWORD", start)}}, services={"CertPropSvc": state})
    r = windows.check_certificate_propagation(WindowsGuestConfig(reg))
    assert r.status is status, r.message()
    if words:
        assert words in r.message() and "sc.exe config CertPropSvc start= auto" in r.message()


def test_certificate_propagation_missing_service_fails():
    r = windows.check_certificate_propagation(WindowsGuestConfig(DictRegistry("dump", {}, services={})))
    assert r.status is Status.FAILED and "is not installed" in r.message()


def test_certificate_propagation_is_not_judged_from_an_export_of_another_branch():
    """`reg export HKLM\\SOFTWARE\\Policies` (the policy export docs/in_session.md gives) says
    nothing about HKLM\\SYSTEM: the service is unknown there, not "not installed"."""
    reg = windows.parse_reg("Windows Registry Editor Version 5.00\r\n\r\n"
                            "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Amazon\\WSP]\r\n"
                            '"x"=dword:00000001\r\n')
    r = windows.check_certificate_propagation(WindowsGuestConfig(reg))
    assert r.status is Status.SKIPPED and "HKLM\\SYSTEM" in r.skipped_because


def test_certificate_propagation_from_a_reg_export_judges_the_start_type_only():
    reg = windows.parse_reg("Windows Registry Editor Version 5.00\r\n\r\n"
                            "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\CertPropSvc]\r\n"
                            '"Start"=dword:00000002\r\n')
    r = windows.check_certificate_propagation(WindowsGuestConfig(reg))
    assert r.status is Status.PASSED
    assert r.evidence["state"].startswith("not readable from")


def test_dump_services_as_powershell_writes_them():
    # ConvertTo-Json writes the ServiceControllerStatus enum as a number (4 = Running)
    reg = windows.parse_dump({"format": windows.DUMP_FORMAT, "keys": {CERTPROP: {"Start": 2}},
                              "services": {"CertPropSvc": {"Status": 4, "StartType": 2}}})
    assert reg.service_status("CertPropSvc") == "Running"
    assert reg.service_status("Other") == "not installed"
    assert windows.parse_dump({"format": windows.DUMP_FORMAT, "keys": {}}).service_status("CertPropSvc") is None


def test_live_service_state_through_sc_query():
    out = ("\r\nSERVICE_NAME: CertPropSvc \r\n        TYPE               : 30  WIN32  \r\n"
           "        STATE              : 1  STOPPED \r\n")
    calls = []
    reg = windows.WinRegRegistry(module=FakeWinreg({("HKLM", r"SYSTEM\CurrentControlSet\Services\CertPropSvc"):
                                                    [("Start", 2, 4)]}),
                                 run=lambda args: calls.append(args) or out)
    r = windows.check_certificate_propagation(WindowsGuestConfig(reg))
    assert calls == [["sc.exe", "query", "CertPropSvc"]]
    assert r.status is Status.FAILED and "is Stopped" in r.message()
    assert windows.parse_sc_query("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:") == "not installed"
    assert windows.parse_sc_query("garbage") is None


# --- UC-8 (Windows half) --------------------------------------------------------------------
def test_ecc_certificate_without_the_policy_fails(tmp_path):
    cfg = WindowsGuestConfig(windows.load_file(build.build_windows(tmp_path, "windows-no-ecc-policy")))
    r = windows.check_ecc_logon_policy(cfg, [EC_CERT])
    assert r.status is Status.FAILED
    msg = r.message()
    assert "Allow ECC certificates to be used for logon and authentication" in msg
    assert "SmartCardCredentialProvider\\EnumerateECCCerts" in msg and "is not configured" in msg


def test_ecc_certificate_with_the_policy_and_rsa_without_it_pass(tmp_path):
    ok = WindowsGuestConfig(windows.load_file(build.build_windows(tmp_path / "a", "compliant")))
    assert windows.check_ecc_logon_policy(ok, [EC_CERT]).status is Status.PASSED
    no = WindowsGuestConfig(windows.load_file(build.build_windows(tmp_path / "b", "windows-no-ecc-policy")))
    r = windows.check_ecc_logon_policy(no, [RSA_CERT])
    assert r.status is Status.PASSED and "not needed" in r.evidence["note"]


def test_ecc_policy_set_to_zero_fails():
    reg = DictRegistry("dump", {r"HKLM\SOFTWARE\Policies\Microsoft\Windows\SmartCardCredentialProvider":
                                {"EnumerateECCCerts": RegValue("REG_DWORD", 0)}})
    r = windows.check_ecc_logon_policy(WindowsGuestConfig(reg), [EC_CERT])
    assert r.status is Status.FAILED and "set to 0" in r.message()


def test_chrome_fails_when_the_certificate_propagation_policy_is_disabled(tmp_path):
    cfg = WindowsGuestConfig(windows.load_file(build.build_windows(tmp_path, "windows-no-certificate-propagation-policy")))
    r = windows.check_chrome_windows(cfg)
    assert r.status is Status.FAILED
    assert "Turn on certificate propagation from smart card" in r.message() and "CertPropEnabled = 0" in r.message()
    # the service itself still runs: SESSION-10 passes
    assert windows.check_certificate_propagation(cfg).status is Status.PASSED


def test_traps_delayed_start_and_propagation_policy_enabled_pass(tmp_path):
    """Automatic (Delayed Start) is Start = 2 with DelayedAutostart = 1: still automatic; the
    propagation policy set to Enabled (1) is what Chrome needs."""
    dump = build.windows_dump("compliant")
    dump["keys"][CERTPROP]["DelayedAutostart"] = {"type": "REG_DWORD", "value": 1}
    dump["keys"][r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\CertProp"] = {
        "CertPropEnabled": {"type": "REG_DWORD", "value": 1}}
    cfg = WindowsGuestConfig(windows.parse_dump(dump))
    assert windows.check_certificate_propagation(cfg).status is Status.PASSED
    assert windows.check_chrome_windows(cfg).status is Status.PASSED
