"""Find the installed WorkSpaces client and the OS architecture of a machine.

* Windows: the registry's uninstall entries (``DisplayName`` "Amazon WorkSpaces",
  ``DisplayVersion``) under HKLM (64-bit and WOW6432Node views) and HKCU (per-user
  installs), and ``PROCESSOR_ARCHITECTURE`` of the system environment. The registry is
  reached through :class:`RegistryReader`: :class:`WinRegReader` on Windows (``winreg``),
  :class:`RegFileReader` for a ``reg export`` file, so the logic is tested anywhere with
  recorded data (``tests/data/client/``).
* macOS: ``CFBundleShortVersionString`` of the application bundle's ``Info.plist``; the
  architecture from the machine.
* Linux: the ``workspacesclient`` package in the dpkg status database.

Nothing here changes the machine.
"""

from __future__ import annotations

import platform as _platform
import plistlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import EnvironmentProblem
from ..client_version import ClientVersion

HKLM = "HKEY_LOCAL_MACHINE"
HKCU = "HKEY_CURRENT_USER"
UNINSTALL_KEYS = (
    rf"{HKLM}\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
    rf"{HKLM}\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
    rf"{HKCU}\Software\Microsoft\Windows\CurrentVersion\Uninstall",
)
ENVIRONMENT_KEY = rf"{HKLM}\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
#: DisplayName of the WorkSpaces client's uninstall entry.
CLIENT_NAME = re.compile(r"^Amazon WorkSpaces\b", re.IGNORECASE)
#: The Linux client's Debian package.
LINUX_PACKAGE = "workspacesclient"

_ARCH = {
    "amd64": "x86_64", "x86_64": "x86_64", "x64": "x86_64", "em64t": "x86_64",
    "arm64": "arm64", "aarch64": "arm64",
    "x86": "x86", "i386": "x86", "i486": "x86", "i586": "x86", "i686": "x86",
    "arm": "arm", "armhf": "arm", "armel": "arm", "armv7l": "arm",
}


def normalize_architecture(name: str) -> str:
    """``AMD64``/``x86_64``/``amd64`` -> x86_64, ``ARM64``/``aarch64`` -> arm64, ``x86``/``i686`` -> x86."""
    return _ARCH.get(str(name).strip().lower(), str(name).strip().lower() or "unknown")


@dataclass
class DetectedClient:
    """What a machine has: the client's platform and version (None: not installed) and
    the OS architecture, with where each was read."""

    platform: str
    version: str | None
    architecture: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)


# --- Windows -----------------------------------------------------------------------------

class RegistryReader(Protocol):
    """Read access to a registry (live, or recorded)."""

    def subkeys(self, path: str) -> list[str]:
        """Names of the subkeys of ``path`` (empty when the key does not exist)."""

    def values(self, path: str) -> dict[str, Any]:
        """Values of the key ``path`` (empty when the key does not exist)."""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class RegFileReader:
    """A ``reg export`` file (``Windows Registry Editor Version 5.00``; UTF-16 with a BOM as
    regedit writes it, or UTF-8). String, dword, qword and hex values are read; hex(2)
    (expandable) and hex(7) (multi-string) become text."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise EnvironmentProblem(f"cannot read the registry export {self.path}: {exc.strerror}") from None
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig", errors="replace")
        if not text.lstrip().startswith(("Windows Registry Editor Version 5.00", "REGEDIT4")):
            raise EnvironmentProblem(f"{self.path} is not a registry export (reg export / regedit .reg file)")
        self._keys: dict[str, dict[str, Any]] = {}
        self._parse(text)

    def _parse(self, text: str) -> None:
        lines: list[str] = []
        for line in text.splitlines():  # join continuation lines (trailing backslash)
            if lines and lines[-1].endswith("\\") and not lines[-1].startswith("["):
                lines[-1] = lines[-1][:-1] + line.strip()
            else:
                lines.append(line.rstrip())
        current: dict[str, Any] | None = None
        for line in lines:
            if line.startswith("[") and line.endswith("]"):
                name = line[1:-1]
                if name.startswith("-"):
                    current = None
                    continue
                current = self._keys.setdefault(name.lower(), {"__name__": name})
                continue
            if current is None or "=" not in line:
                continue
            m = re.match(r'^(@|"(?:[^"\\]|\\.)*")=(.*)$', line)
            if not m:
                continue
            name = "" if m.group(1) == "@" else _unescape(m.group(1)[1:-1])
            current[name] = self._value(m.group(2))

    @staticmethod
    def _value(data: str) -> Any:
        if data.startswith('"') and data.endswith('"'):
            return _unescape(data[1:-1])
        if data.startswith("dword:"):
            return int(data[6:], 16)
        m = re.match(r"^hex(?:\((\w+)\))?:(.*)$", data)
        if m:
            kind, body = m.group(1), m.group(2)
            octets = bytes(int(b, 16) for b in body.replace(" ", "").split(",") if b)
            if kind in ("2", "7", "1"):
                text = octets.decode("utf-16-le", errors="replace").rstrip("\x00")
                return text.split("\x00") if kind == "7" else text
            if kind == "b":
                return int.from_bytes(octets, "little")
            return octets
        return data

    def subkeys(self, path: str) -> list[str]:
        prefix = path.lower().rstrip("\\") + "\\"
        names = []
        for key, vals in self._keys.items():
            if key.startswith(prefix):
                rest = vals["__name__"][len(prefix):]
                if rest and "\\" not in rest:
                    names.append(rest)
        return names

    def values(self, path: str) -> dict[str, Any]:
        vals = dict(self._keys.get(path.lower().rstrip("\\"), {}))
        vals.pop("__name__", None)
        return vals


class WinRegReader:  # pragma: no cover - needs Windows
    """The live registry of this Windows machine (64-bit view)."""

    def __init__(self) -> None:
        import winreg  # type: ignore[import-not-found]

        self._winreg = winreg
        self._roots = {HKLM: winreg.HKEY_LOCAL_MACHINE, HKCU: winreg.HKEY_CURRENT_USER}

    def _open(self, path: str):
        root, _, sub = path.partition("\\")
        wr = self._winreg
        return wr.OpenKey(self._roots[root], sub, 0, wr.KEY_READ | wr.KEY_WOW64_64KEY)

    def subkeys(self, path: str) -> list[str]:
        try:
            key = self._open(path)
        except OSError:
            return []
        with key:
            count = self._winreg.QueryInfoKey(key)[0]
            return [self._winreg.EnumKey(key, i) for i in range(count)]

    def values(self, path: str) -> dict[str, Any]:
        try:
            key = self._open(path)
        except OSError:
            return {}
        with key:
            count = self._winreg.QueryInfoKey(key)[1]
            out = {}
            for i in range(count):
                name, value, _ = self._winreg.EnumValue(key, i)
                out[name] = value
            return out


def detect_windows(reader: RegistryReader, source: str = "Windows registry") -> DetectedClient:
    """The WorkSpaces client in the uninstall entries (the latest, if several) and the OS architecture."""
    found = []
    for base in UNINSTALL_KEYS:
        for sub in reader.subkeys(base):
            vals = reader.values(f"{base}\\{sub}")
            name = str(vals.get("DisplayName", ""))
            if CLIENT_NAME.match(name) and vals.get("DisplayVersion"):
                try:
                    version = ClientVersion(str(vals["DisplayVersion"]))
                except ValueError:
                    continue
                found.append((version, base, sub, vals))
    env = reader.values(ENVIRONMENT_KEY)
    arch_raw = str(env.get("PROCESSOR_ARCHITECTURE", ""))
    architecture = normalize_architecture(arch_raw) if arch_raw else "unknown"
    details: dict[str, Any] = {"PROCESSOR_ARCHITECTURE": arch_raw or None,
                               "entries": [{"key": f"{b}\\{s}", "DisplayName": v.get("DisplayName"),
                                            "DisplayVersion": v.get("DisplayVersion")} for _, b, s, v in found]}
    if not found:
        return DetectedClient("windows", None, architecture, source, details)
    version, base, sub, vals = max(found, key=lambda f: f[0])
    details["key"] = f"{base}\\{sub}"
    details["client_build"] = "32-bit (WOW6432Node)" if "WOW6432Node" in base else "native"
    return DetectedClient("windows", str(vals["DisplayVersion"]), architecture, source, details)


# --- macOS ---------------------------------------------------------------------------------

def detect_macos(app: str | Path, machine: str | None = None) -> DetectedClient:
    """The client's version from its application bundle's Info.plist."""
    plist = Path(app) / "Contents" / "Info.plist"
    architecture = normalize_architecture(machine or _platform.machine())
    if not plist.exists():
        return DetectedClient("macos", None, architecture, str(plist), {"installed": False})
    try:
        with plist.open("rb") as fh:
            info = plistlib.load(fh)
    except (OSError, plistlib.InvalidFileException, ValueError) as exc:
        raise EnvironmentProblem(f"cannot read {plist}: {exc}") from None
    version = info.get("CFBundleShortVersionString") or info.get("CFBundleVersion")
    return DetectedClient("macos", str(version) if version else None, architecture, str(plist),
                          {"CFBundleIdentifier": info.get("CFBundleIdentifier"),
                           "CFBundleShortVersionString": info.get("CFBundleShortVersionString"),
                           "CFBundleVersion": info.get("CFBundleVersion")})


# --- Linux ---------------------------------------------------------------------------------

def detect_linux(dpkg_status: str | Path, machine: str | None = None) -> DetectedClient:
    """The ``workspacesclient`` package in the dpkg status database."""
    path = Path(dpkg_status)
    architecture = normalize_architecture(machine or _platform.machine())
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return DetectedClient("linux", None, architecture, str(path), {"dpkg": "no status database"})
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read {path}: {exc.strerror}") from None
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.MULTILINE))
        if fields.get("Package") == LINUX_PACKAGE and "installed" in fields.get("Status", "").split()[-1:]:
            return DetectedClient("linux", fields.get("Version"), architecture, f"{path} ({LINUX_PACKAGE})",
                                  {"Version": fields.get("Version"), "Architecture": fields.get("Architecture")})
    return DetectedClient("linux", None, architecture, f"{path} ({LINUX_PACKAGE})", {"installed": False})


def detect(section, system: str | None = None) -> DetectedClient:
    """Detect the client as the ``[client]`` section says (recorded registry export first)."""
    if section.registry_export:
        return detect_windows(RegFileReader(section.registry_export), source=f"registry export {section.registry_export}")
    system = system or _platform.system()
    if system == "Windows":  # pragma: no cover - needs Windows
        return detect_windows(WinRegReader())
    if system == "Darwin":
        return detect_macos(section.macos_app)
    if system == "Linux":
        return detect_linux(section.dpkg_status)
    raise EnvironmentProblem(
        f"cannot detect the WorkSpaces client on {system}: set [client] platform, version and architecture, "
        "or [client].registry_export to a Windows registry export"
    )
