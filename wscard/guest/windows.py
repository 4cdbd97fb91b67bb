"""In-session checks for Windows WorkSpaces (SESSION-1, SESSION-2, SESSION-7, SESSION-9,
SESSION-10, and UC-8's Windows half), read from the registry: live through ``winreg`` on
Windows, or from a ``.reg`` export or a JSON dump anywhere, behind one interface
(:class:`Registry`).

* SESSION-9 (smart card redirection): the card reaches the WorkSpace only when the WSP
  (DCV) Group Policy "Enable/disable smart card redirection" is enabled (S-ADMIN: "By
  default, Windows WorkSpaces are not enabled to support the use of smart cards for
  pre-session or in-session authentication"); pre-session sign-in needs it too.
* SESSION-1 (Chrome needs no configuration): Chrome uses the card as soon as it reaches
  the WorkSpace and its certificates are propagated into the user's store (the policy
  "Turn on certificate propagation from smart card" must not be Disabled); judged once
  SESSION-9 holds, skipped (naming SESSION-9) otherwise.
* SESSION-10 (Certificate Propagation): the service ``CertPropSvc`` starts automatically
  (``HKLM\\SYSTEM\\CurrentControlSet\\Services\\CertPropSvc`` ``Start`` = 2) and runs, where
  the source can tell (the JSON dump's ``services``, ``sc.exe query`` inside the WorkSpace;
  a ``.reg`` export records the start type only).
* UC-8 (Windows half): an ECC logon certificate is listed at Windows logon only with the
  policy "Allow ECC certificates to be used for logon and authentication"
  (``HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\SmartCardCredentialProvider``
  ``EnumerateECCCerts`` = 1).
* SESSION-2 (Firefox): ``Software\\Policies\\Mozilla\\Firefox\\SecurityDevices`` names a
  PKCS#11 library (``NAME = PATH``, the administration guide's form, or the ``Add``
  subkey of the current policy templates) that exists.
* SESSION-7 (Windows half): the Group Policy "Enable/disable disconnect session on screen
  lock" is enabled.

The two WSP policies live under ``HKLM\\SOFTWARE\\Policies\\Amazon\\WSP``; the names of
their registry values are defined by the WSP policy template ``wsp.admx`` that every WSP
WorkSpace ships in ``C:\\Program Files\\Amazon\\WSP``. The probe reads the template to
find them by the policies' display names (or takes the names from the profile), so it
does not depend on names this project could not verify.
"""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..checks import CheckResult
from ..errors import EnvironmentProblem
from . import opensc

HKLM = "HKEY_LOCAL_MACHINE"
HKCU = "HKEY_CURRENT_USER"
HIVES = {
    "HKLM": HKLM,
    "HKEY_LOCAL_MACHINE": HKLM,
    "HKCU": HKCU,
    "HKEY_CURRENT_USER": HKCU,
    "HKU": "HKEY_USERS",
    "HKEY_USERS": "HKEY_USERS",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
}
WSP_KEY = HKLM + r"\SOFTWARE\Policies\Amazon\WSP"
FIREFOX_DEVICES = r"SOFTWARE\Policies\Mozilla\Firefox\SecurityDevices"
WSP_DIR = r"C:\Program Files\Amazon\WSP"
SMARTCARD_POLICY = "Enable/disable smart card redirection"
LOCK_POLICY = "Enable/disable disconnect session on screen lock"
GP_PATH = "Computer Configuration > Policies > Administrative Templates > Amazon > WSP"


def norm_key(key: str) -> str:
    key = key.strip().strip("\\").replace("/", "\\")
    hive, _, rest = key.partition("\\")
    hive = HIVES.get(hive.upper(), hive.upper())
    return f"{hive}\\{rest}" if rest else hive


@dataclass
class RegValue:
    type: str  # REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_QWORD, REG_MULTI_SZ, REG_BINARY
    value: Any


class Registry(Protocol):
    label: str

    def values(self, key: str) -> dict[str, RegValue] | None:
        """Values of a key (names as stored), None when the key does not exist."""

    def file_exists(self, path: str) -> bool | None:
        """Whether a file exists on the Windows guest; None when this source cannot tell."""

    def templates(self) -> tuple[str, str] | None:
        """(wsp.admx, wsp.adml) texts when available."""

    def service_status(self, name: str) -> str | None:
        """A Windows service's state (``Running``, ``Stopped``...); None when this source
        cannot tell."""


class DictRegistry:
    """A registry read from a file: ``{key: {name: RegValue}}``, and the services' states
    where the file records them (``{name: "Running"}``)."""

    def __init__(self, label: str, keys: dict[str, dict[str, RegValue]],
                 files: dict[str, bool] | None = None, admx: tuple[str, str] | None = None,
                 services: dict[str, str] | None = None):
        self.label = label
        self._keys = {norm_key(k).lower(): v for k, v in keys.items()}
        self._files = {k.lower().replace("/", "\\"): bool(v) for k, v in (files or {}).items()}
        self._admx = admx
        self._services = {k.lower(): str(v) for k, v in (services or {}).items()} if services is not None else None

    def service_status(self, name: str) -> str | None:
        if self._services is None:
            return None
        return self._services.get(name.lower(), "not installed")

    def values(self, key: str) -> dict[str, RegValue] | None:
        return self._keys.get(norm_key(key).lower())

    def covers(self, root: str) -> bool:
        """Whether this file holds any key under ``root`` (a ``reg export`` of one branch
        says nothing about the others: a key missing there is unknown, not absent)."""
        prefix = norm_key(root).lower().rstrip("\\") + "\\"
        return any(k.startswith(prefix) or k == prefix[:-1] for k in self._keys)

    def file_exists(self, path: str) -> bool | None:
        if not self._files:
            return None
        return self._files.get(path.lower().replace("/", "\\"), False)

    def templates(self) -> tuple[str, str] | None:
        return self._admx

    def with_templates(self, admx: tuple[str, str] | None) -> "DictRegistry":
        if admx is not None:
            self._admx = admx
        return self


# --- .reg exports -------------------------------------------------------------------------

def _decode_reg(data: bytes) -> str:
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16")
    if len(data) > 1 and data[1:2] == b"\x00":
        return data.decode("utf-16-le")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _hexbytes(text: str) -> bytes:
    text = text.replace(" ", "").replace("\\", "").strip(",")
    return bytes(int(b, 16) for b in text.split(",") if b)


def _reg_string(s: str) -> str:
    return s.replace('\\"', '"').replace("\\\\", "\\")


_VALUE = re.compile(r'^(@|"(?:[^"\\]|\\.)*")=(.*)$')


def parse_reg(text: str, label: str = ".reg export") -> DictRegistry:
    """Parse a regedit export (``Windows Registry Editor Version 5.00`` or ``REGEDIT4``)."""
    lines = text.splitlines()
    if not lines or not (lines[0].lstrip("\ufeff").startswith("Windows Registry Editor") or lines[0].startswith("REGEDIT4")):
        raise EnvironmentProblem(f"{label} is not a regedit export (first line: {lines[0][:60] if lines else ''!r})")
    joined: list[str] = []
    buf = ""
    for raw in lines[1:]:
        line = raw.rstrip()
        if buf:
            line = buf + line.lstrip()
            buf = ""
        if line.endswith("\\") and not line.startswith("["):
            buf = line[:-1]
            continue
        joined.append(line)
    keys: dict[str, dict[str, RegValue]] = {}
    current: dict[str, RegValue] | None = None
    for line in joined:
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            if name.startswith("-"):
                current = None
                continue
            current = keys.setdefault(norm_key(name), {})
            continue
        m = _VALUE.match(line)
        if not m or current is None:
            continue
        name = "" if m.group(1) == "@" else _reg_string(m.group(1)[1:-1])
        raw = m.group(2).strip()
        if raw == "-":
            current.pop(name, None)
        elif raw.startswith('"'):
            current[name] = RegValue("REG_SZ", _reg_string(raw[1:-1]))
        elif raw.lower().startswith("dword:"):
            current[name] = RegValue("REG_DWORD", int(raw[6:], 16))
        elif raw.lower().startswith("hex(2):"):
            current[name] = RegValue("REG_EXPAND_SZ", _hexbytes(raw[7:]).decode("utf-16-le").rstrip("\x00"))
        elif raw.lower().startswith("hex(7):"):
            parts = _hexbytes(raw[7:]).decode("utf-16-le").split("\x00")
            current[name] = RegValue("REG_MULTI_SZ", [p for p in parts if p])
        elif raw.lower().startswith("hex(b):"):
            current[name] = RegValue("REG_QWORD", int.from_bytes(_hexbytes(raw[7:]), "little"))
        elif raw.lower().startswith("hex(4):"):
            current[name] = RegValue("REG_DWORD", int.from_bytes(_hexbytes(raw[7:]), "little"))
        elif raw.lower().startswith("hex:"):
            current[name] = RegValue("REG_BINARY", _hexbytes(raw[4:]))
    return DictRegistry(label, keys)


# --- JSON dumps -----------------------------------------------------------------------------

DUMP_FORMAT = "wscard-registry-dump/1"


def parse_dump(data: dict, label: str = "JSON dump") -> DictRegistry:
    """The JSON dump made by the PowerShell snippet in docs/in_session.md::

        {"format": "wscard-registry-dump/1",
         "keys": {"HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\...": {"Name": {"type": "REG_DWORD", "value": 1}}},
         "files": {"C:\\\\...\\\\onepin-opensc-pkcs11.dll": true},
         "services": {"CertPropSvc": {"Status": "Running", "StartType": "Automatic"}},
         "templates": {"wsp.admx": "<?xml ...", "wsp.adml": "<?xml ..."}}

    ``services`` is optional (older dumps): without it a service's state is unknown.
    """
    if not isinstance(data, dict) or data.get("format") != DUMP_FORMAT:
        raise EnvironmentProblem(f"{label} is not a {DUMP_FORMAT} registry dump (see docs/in_session.md)")
    keys: dict[str, dict[str, RegValue]] = {}
    for key, vals in (data.get("keys") or {}).items():
        out = {}
        for name, v in (vals or {}).items():
            if isinstance(v, dict) and "value" in v:
                out[name] = RegValue(str(v.get("type", "REG_SZ")), v["value"])
            else:
                out[name] = RegValue("REG_DWORD" if isinstance(v, int) else "REG_SZ", v)
        keys[key] = out
    t = data.get("templates") or {}
    admx = (t["wsp.admx"], t["wsp.adml"]) if t.get("wsp.admx") and t.get("wsp.adml") else None
    services = None
    if isinstance(data.get("services"), dict):
        services = {}
        for name, v in data["services"].items():
            status = v.get("Status", "") if isinstance(v, dict) else v
            services[name] = _service_state_name(status)
    return DictRegistry(label, keys, data.get("files") or {}, admx, services)


#: ServiceControllerStatus numbers (ConvertTo-Json writes enums as numbers) and SERVICE_* states.
_SERVICE_STATES = {1: "Stopped", 2: "StartPending", 3: "StopPending", 4: "Running", 5: "ContinuePending",
                   6: "PausePending", 7: "Paused"}


def _service_state_name(status: Any) -> str:
    if isinstance(status, int):
        return _SERVICE_STATES.get(status, f"state {status}")
    text = str(status).strip()
    return text[:1].upper() + text[1:] if text else "unknown"


def parse_sc_query(text: str) -> str | None:
    """The state from ``sc.exe query <service>`` output (``STATE : 4  RUNNING``): ``Running``,
    ``Stopped``...; ``not installed`` for error 1060; None when the output says neither."""
    if re.search(r"FAILED\s+1060\b", text):  # ERROR_SERVICE_DOES_NOT_EXIST
        return "not installed"
    m = re.search(r"STATE\s*:\s*(\d+)", text)
    if not m:
        return None
    return _SERVICE_STATES.get(int(m.group(1)), f"state {m.group(1)}")


def load_file(path: str | os.PathLike) -> DictRegistry:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read the registry file {p}: {exc.strerror}") from None
    text = _decode_reg(data)
    if text.lstrip().startswith("{"):
        try:
            return parse_dump(json.loads(text), str(p))
        except json.JSONDecodeError as exc:
            raise EnvironmentProblem(f"{p} is not valid JSON: {exc}") from None
    return parse_reg(text, str(p))


# --- the live registry ------------------------------------------------------------------

class WinRegRegistry:
    """This machine's registry through ``winreg`` (Windows only). ``module`` is for tests."""

    TYPES = {1: "REG_SZ", 2: "REG_EXPAND_SZ", 3: "REG_BINARY", 4: "REG_DWORD", 7: "REG_MULTI_SZ", 11: "REG_QWORD"}

    def __init__(self, module: Any = None, wsp_dir: str = WSP_DIR, run: Any = None):
        self._run = run
        if module is None:
            if sys.platform != "win32":
                raise EnvironmentProblem("winreg is only available on Windows: use a .reg export or a JSON dump")
            import winreg as module  # type: ignore[no-redef]
        self.winreg = module
        self.label = "registry (winreg)"
        self.wsp_dir = wsp_dir

    def values(self, key: str) -> dict[str, RegValue] | None:
        hive, _, sub = norm_key(key).partition("\\")
        root = getattr(self.winreg, hive)
        try:
            # the 64-bit view, where Group Policy writes, whatever Python's bitness
            access = self.winreg.KEY_READ | getattr(self.winreg, "KEY_WOW64_64KEY", 0)
            handle = self.winreg.OpenKey(root, sub, 0, access)
        except FileNotFoundError:
            return None
        except PermissionError:
            raise EnvironmentProblem(f"cannot read the registry key {key} (access denied)") from None
        out: dict[str, RegValue] = {}
        try:
            i = 0
            while True:
                try:
                    name, data, typ = self.winreg.EnumValue(handle, i)
                except OSError:
                    break
                out[name] = RegValue(self.TYPES.get(typ, f"type {typ}"), data)
                i += 1
        finally:
            self.winreg.CloseKey(handle)
        return out

    def file_exists(self, path: str) -> bool | None:
        return os.path.isfile(os.path.expandvars(path))

    def templates(self) -> tuple[str, str] | None:
        return read_templates(self.wsp_dir)

    def service_status(self, name: str) -> str | None:
        """``sc.exe query NAME`` (read-only; every Windows has it). ``run`` (tests) takes the
        argument list and returns the output text."""
        args = ["sc.exe", "query", name]
        try:
            if self._run is not None:
                out = self._run(args)
            else:
                import subprocess

                out = subprocess.run(args, capture_output=True, text=True, timeout=15).stdout
        except (OSError, ValueError) as exc:
            raise EnvironmentProblem(f"cannot query the service {name} with sc.exe: {exc}") from None
        except Exception as exc:  # subprocess.TimeoutExpired
            raise EnvironmentProblem(f"sc.exe query {name} did not answer: {exc}") from None
        return parse_sc_query(out or "")


def read_templates(directory: str | os.PathLike) -> tuple[str, str] | None:
    d = Path(directory)
    admx = d / "wsp.admx"
    adml = d / "en-US" / "wsp.adml"
    if not adml.exists():
        adml = d / "wsp.adml"
    if admx.is_file() and adml.is_file():
        return (_decode_reg(admx.read_bytes()), _decode_reg(adml.read_bytes()))
    return None


# --- policy templates (ADMX) --------------------------------------------------------------

@dataclass
class PolicyDef:
    name: str
    display: str
    key: str
    value_name: str
    enabled: RegValue | None = None
    disabled: RegValue | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _value_of(el: ET.Element | None) -> RegValue | None:
    if el is None:
        return None
    for child in el:
        t = _local(child.tag)
        if t == "decimal":
            return RegValue("REG_DWORD", int(child.get("value", "0")))
        if t == "string":
            return RegValue("REG_SZ", child.text or "")
        if t == "delete":
            return RegValue("DELETE", None)
    return None


def parse_templates(admx: str, adml: str) -> list[PolicyDef]:
    try:
        strings = {}
        for el in ET.fromstring(adml.encode() if isinstance(adml, str) else adml).iter():
            if _local(el.tag) == "string" and el.get("id"):
                strings[el.get("id")] = " ".join((el.text or "").split())
        root = ET.fromstring(admx.encode() if isinstance(admx, str) else admx)
    except ET.ParseError as exc:
        raise EnvironmentProblem(f"the WSP policy template is not valid XML: {exc}") from None
    out = []
    for el in root.iter():
        if _local(el.tag) != "policy":
            continue
        disp = el.get("displayName", "")
        m = re.fullmatch(r"\$\(string\.(.+)\)", disp)
        display = strings.get(m.group(1), disp) if m else disp
        children = {_local(c.tag): c for c in el}
        out.append(PolicyDef(el.get("name", ""), display, el.get("key", ""), el.get("valueName", ""),
                             _value_of(children.get("enabledValue")), _value_of(children.get("disabledValue"))))
    return out


def _norm_text(s: str) -> str:
    return " ".join(s.lower().split())


def find_policy(defs: list[PolicyDef], display: str) -> PolicyDef | None:
    want = _norm_text(display)
    for d in defs:
        if _norm_text(d.display) == want:
            return d
    core = want.split("/", 1)[-1].replace("disable ", "", 1) if "/" in want else want
    for d in defs:
        if core in _norm_text(d.display):
            return d
    return None


# --- checks ---------------------------------------------------------------------------

@dataclass
class WindowsGuestConfig:
    registry: Registry
    wsp_policy_key: str = WSP_KEY
    smartcard_redirection_value: str = ""
    disconnect_on_lock_value: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class PolicyState:
    display: str
    key: str
    value_name: str
    source: str  # "profile" or "wsp.admx"
    value: RegValue | None
    state: str  # enabled, disabled, not configured


def _resolve(cfg: WindowsGuestConfig, display: str, configured: str) -> tuple[PolicyDef | None, str]:
    if configured:
        return PolicyDef("", display, cfg.wsp_policy_key, configured), "profile"
    t = cfg.registry.templates()
    if t is None:
        return None, ""
    d = find_policy(parse_templates(*t), display)
    if d is None:
        return None, "wsp.admx"
    key = d.key if d.key.upper().startswith("HKEY_") else f"{HKLM}\\{d.key}"
    return PolicyDef(d.name, d.display, key, d.value_name, d.enabled, d.disabled), "wsp.admx"


def policy_state(cfg: WindowsGuestConfig, display: str, configured: str) -> PolicyState | None:
    d, source = _resolve(cfg, display, configured)
    if d is None:
        return None
    vals = cfg.registry.values(d.key) or {}
    lookup = {k.lower(): v for k, v in vals.items()}
    v = lookup.get(d.value_name.lower())
    if v is None:
        state = "not configured"
    elif d.enabled is not None and v.value == d.enabled.value:
        state = "enabled"
    elif d.disabled is not None and v.value == d.disabled.value:
        state = "disabled"
    elif d.enabled is None and d.disabled is None:
        state = "enabled" if v.value in (1, "1") else "disabled"
    else:
        state = f"unrecognised value {v.value!r}"
    return PolicyState(d.display, d.key, d.value_name, source, v, state)


def _unknown_policy(res: CheckResult, display: str, field_name: str) -> CheckResult:
    return res.skip(
        f'cannot tell which registry value holds the WSP policy "{display}": the WSP policy template '
        f"(wsp.admx and en-US\\wsp.adml from {WSP_DIR}) is not available; give [guest.windows].admx_dir, "
        f"include the templates in the JSON dump, or set [guest.windows].{field_name}"
    )


def _policy_check(res: CheckResult, cfg: WindowsGuestConfig, display: str, field_name: str, why: str) -> CheckResult:
    st = policy_state(cfg, display, getattr(cfg, field_name))
    if st is None:
        return _unknown_policy(res, display, field_name)
    res.evidence["policy"] = {"name": st.display, "key": st.key, "value": st.value_name, "found_in": st.source,
                              "data": None if st.value is None else st.value.value, "state": st.state,
                              "registry": cfg.registry.label}
    if st.state != "enabled":
        res.fail(f'Group Policy "{st.display}" ({st.key}\\{st.value_name})', f"is {st.state}: {why}",
                 f'{GP_PATH} > "{st.display}": Enabled; then gpupdate /force and reconnect')
    return res


def check_smartcard_redirection(cfg: WindowsGuestConfig) -> CheckResult:
    """SESSION-9: the WSP (DCV) Group Policy "Enable/disable smart card redirection" is
    enabled; without it the card reaches neither the Windows logon (pre-session) nor the
    applications (in-session). Off by default (S-ADMIN)."""
    res = CheckResult("SESSION-9")
    return _policy_check(
        res, cfg, SMARTCARD_POLICY, "smartcard_redirection_value",
        "the card does not reach the WorkSpace: neither pre-session sign-in (the Windows logon) nor in-session "
        "use works (smart card redirection is off by default on Windows WorkSpaces).",
    )


def check_chrome_windows(cfg: WindowsGuestConfig) -> CheckResult:
    """SESSION-1: Chrome on Windows needs no configuration of its own (S-CLIENT): judged
    once the card reaches the WorkSpace (SESSION-9); skipped, naming SESSION-9, when it
    does not or when the redirection policy cannot be read."""
    res = CheckResult("SESSION-1")
    st = policy_state(cfg, SMARTCARD_POLICY, cfg.smartcard_redirection_value)
    if st is None:
        return res.skip("whether the card reaches the WorkSpace cannot be told: the smart card redirection policy's "
                        "registry value is unknown (see SESSION-9)")
    res.evidence["smart_card_redirection"] = {"policy": st.display, "state": st.state, "registry": cfg.registry.label}
    if st.state != "enabled":
        return res.skip(f'the card does not reach the WorkSpace (Group Policy "{st.display}" is {st.state}: see '
                        "SESSION-9), so Chrome has no card to use; Chrome itself needs no configuration")
    # Chrome reads the user's certificate store, which certificate propagation fills from the
    # card: the policy that turns propagation off leaves Chrome without the card's certificates.
    from ..limits import certificate_propagation

    spec = certificate_propagation()
    vals = {k.lower(): v for k, v in (cfg.registry.values(spec["policy_key"]) or {}).items()}
    v = vals.get(spec["policy_value"].lower())
    res.evidence["certificate_propagation_policy"] = {
        "group_policy": spec["policy_group_policy"], "key": spec["policy_key"], "value": spec["policy_value"],
        "data": None if v is None else v.value, "source": spec["policy_url"]}
    if v is not None and v.value in (spec["policy_disabled"], str(spec["policy_disabled"])):
        res.fail(f'Group Policy "Turn on certificate propagation from smart card" ({spec["policy_key"]}\\'
                 f'{spec["policy_value"]} = {v.value})',
                 "is disabled: the card's certificates are not copied into the user's certificate store, which "
                 "Chrome on Windows reads, so Chrome offers no certificate from the card.",
                 f'{spec["policy_group_policy"]}: Enabled or Not configured; then gpupdate /force')
        return res
    res.evidence["chrome"] = "needs no configuration: it uses the Windows certificate store the redirected card feeds"
    return res


def check_certificate_propagation(cfg: WindowsGuestConfig) -> CheckResult:
    """SESSION-10: the Certificate Propagation service (``CertPropSvc``) starts
    automatically (``Start`` = 2 under ``HKLM\\SYSTEM\\CurrentControlSet\\Services\\CertPropSvc``)
    and is running where the source can tell (limits.toml ``[certificate_propagation]``)."""
    from ..limits import certificate_propagation

    spec = certificate_propagation()
    name, key = spec["service"], spec["key"]
    names = {int(k): v for k, v in spec["start_names"].items()}
    res = CheckResult("SESSION-10")
    vals = cfg.registry.values(key)
    res.evidence["registry"] = cfg.registry.label
    fix = (f"Set the service to Automatic and start it: sc.exe config {name} start= auto && sc.exe start {name} "
           f"(or Group Policy: Computer Configuration > Windows Settings > Security Settings > System Services > "
           f"{spec['display_name']}: Automatic)")
    if vals is None:
        covers = getattr(cfg.registry, "covers", None)
        if covers is not None and not covers("HKLM\\SYSTEM") and cfg.registry.service_status(name) is None:
            return res.skip(f"{cfg.registry.label} holds no HKLM\\SYSTEM keys (an export of another branch), so the "
                            f"service cannot be judged: export it too (reg export {key} certprop.reg) or use the JSON "
                            "dump of docs/in_session.md")
        res.fail(f"{spec['display_name']} service ({name})", f"is not installed: {key} does not exist; without it "
                 "the card's certificates do not reach the Windows certificate store.", fix)
        return res
    lookup = {k.lower(): v for k, v in vals.items()}
    start = lookup.get("start")
    start_value = start.value if start is not None else None
    res.evidence["start"] = {"key": key, "value": "Start", "data": start_value,
                             "means": names.get(start_value, "not set") if isinstance(start_value, int) else "not set"}
    if start_value != spec["start_automatic"]:
        what = (f"starts {names.get(start_value, repr(start_value))} (Start = {start_value})"
                if start_value is not None else "has no Start value")
        res.fail(f"{spec['display_name']} service ({key}\\Start)",
                 f"{what}, not Automatic (2): the smart card's certificates are not "
                 "propagated to the user's store, so the Windows logon and in-session use fail.", fix)
    state = cfg.registry.service_status(name)
    res.evidence["state"] = state if state is not None else f"not readable from {cfg.registry.label}"
    if state is None:
        res.evidence["state_note"] = "the start type is judged; whether the service runs cannot be read here"
    elif state != "Running":
        res.fail(f"{spec['display_name']} service ({name})", f"is {state}, not running.", fix)
    return res


def ecc_certificates(certs: list[Any]) -> list[Any]:
    """The certificates among ``certs`` (cryptography x509) whose key is ECC."""
    from cryptography.hazmat.primitives.asymmetric import ec

    return [c for c in certs if isinstance(c.public_key(), ec.EllipticCurvePublicKey)]


def check_ecc_logon_policy(cfg: WindowsGuestConfig, certs: list[Any]) -> CheckResult:
    """UC-8 (Windows half): an ECC logon certificate needs the policy "Allow ECC
    certificates to be used for logon and authentication" (``EnumerateECCCerts`` = 1 under
    ``HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\SmartCardCredentialProvider``; Microsoft,
    Smart Card Group Policy and Registry Settings). ``certs``: the users' logon
    certificates (cryptography x509). RSA certificates need nothing: passes."""
    from ..limits import ecc_logon_policy

    spec = ecc_logon_policy()
    res = CheckResult("UC-8")
    ecc = ecc_certificates(certs)
    res.evidence["policy"] = {"group_policy": spec["group_policy"], "key": spec["key"], "value": spec["value"],
                              "source": spec["url"], "registry": cfg.registry.label}
    res.evidence["ecc_certificates"] = [c.subject.rfc4514_string() for c in ecc]
    if not certs:
        return res.skip("no user certificate to judge (see UC-1..UC-4)")
    vals = {k.lower(): v for k, v in (cfg.registry.values(spec["key"]) or {}).items()}
    v = vals.get(spec["value"].lower())
    res.evidence["policy"]["data"] = None if v is None else v.value
    if not ecc:
        res.evidence["note"] = "the logon certificates use RSA keys: the ECC policy is not needed"
        return res
    if v is None or v.value not in (spec["enabled"], str(spec["enabled"])):
        state = "not configured" if v is None else f"set to {v.value!r}"
        res.fail(f"{len(ecc)} ECC logon certificate(s) ({', '.join(res.evidence['ecc_certificates'][:3])})",
                 f"are not listed at the Windows logon inside the WorkSpace: the policy \"Allow ECC certificates to "
                 f"be used for logon and authentication\" ({spec['key']}\\{spec['value']}) is {state}.",
                 f"{spec['group_policy']}: Enabled (or {spec['value']} = 1, REG_DWORD); then gpupdate /force; "
                 "or issue RSA 2048 logon certificates")
    return res


def check_lock_windows(cfg: WindowsGuestConfig) -> CheckResult:
    res = CheckResult("SESSION-7")
    return _policy_check(
        res, cfg, LOCK_POLICY, "disconnect_on_lock_value",
        "a locked WorkSpace cannot be unlocked with the smart card; disconnecting on lock lets the user "
        "reconnect with the card.",
    )


def firefox_devices(reg: Registry) -> list[tuple[str, str, str]]:
    """(key, name, library) of every SecurityDevices entry, HKLM first."""
    out = []
    for hive in (HKLM, HKCU):
        base = f"{hive}\\{FIREFOX_DEVICES}"
        for key in (base, base + "\\Add"):
            for name, v in (reg.values(key) or {}).items():
                if name and isinstance(v.value, str):
                    out.append((key, name, v.value))
    return out


def check_firefox_windows(cfg: WindowsGuestConfig) -> CheckResult:
    res = CheckResult("SESSION-2")
    devices = firefox_devices(cfg.registry)
    res.evidence["SecurityDevices"] = [{"key": k, "name": n, "library": p} for k, n, p in devices]
    res.evidence["registry"] = cfg.registry.label
    fix = (rf'Group Policy (Mozilla Firefox templates) or registry: HKLM\{FIREFOX_DEVICES} '
           r'"OpenSC" = "C:\Program Files\OpenSC Project\OpenSC\pkcs11\onepin-opensc-pkcs11.dll" '
           "(64-bit OpenSC installed)")
    if not devices:
        res.fail(rf"HKLM\{FIREFOX_DEVICES}", "no SecurityDevices policy: Firefox loads no PKCS#11 module for the card.",
                 fix)
        return res
    known = []
    for key, name, path in devices:
        exists = cfg.registry.file_exists(path)
        known.append((key, name, path, exists))
    if any(e for *_, e in known):
        return res
    if all(e is None for *_, e in known):
        key, name, path, _ = known[0]
        res.warn(f'{key}\\{name}', f"names {path}; whether that file exists cannot be told from {cfg.registry.label}.",
                 "check the file on the WorkSpace, or use the JSON dump (it records it)")
        return res
    key, name, path, _ = next(k for k in known if k[3] is False)
    res.fail(f"{key}\\{name}", f"names {path}, which does not exist on the WorkSpace.",
             "install the 64-bit OpenSC (or the card's PKCS#11 library) or correct the path")
    return res


def is_pkcs11_library(path: str) -> bool:
    return path.lower().endswith(".dll") or opensc.is_opensc_library(path)
