"""Firefox on Linux (SESSION-4): a ``SecurityDevices`` policy, or the module in a profile.

Where Firefox reads ``policies.json`` on Linux (Mozilla's policy templates, Firefox's
``EnterprisePolicies``): ``/etc/firefox/policies/policies.json`` when it exists, and only
then, otherwise ``distribution/policies.json`` in the installation folder (for example
``/usr/lib64/firefox`` on Amazon Linux 2, the folder the WorkSpaces administration guide
names; ``/usr/lib/firefox`` or ``/usr/lib/firefox-esr`` on Debian and Ubuntu). A policy
file that is not valid JSON is ignored by Firefox as a whole.

``SecurityDevices`` has two forms: ``{"NAME": "/path/lib.so"}`` (the one in the
administration guide) and ``{"Add": {"NAME": "/path"}, "Delete": ["NAME"]}``.
"""

from __future__ import annotations

import configparser
import json
from dataclasses import dataclass, field

from .rootfs import RootFS

SYSTEM_POLICY = "/etc/firefox/policies/policies.json"
INSTALL_DIRS = (
    "/usr/lib64/firefox",
    "/usr/lib/firefox",
    "/usr/lib64/firefox-esr",
    "/usr/lib/firefox-esr",
    "/opt/firefox",
)


@dataclass
class PolicyFile:
    path: str
    devices: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass
class Install:
    directory: str
    policy: PolicyFile | None  # the file this installation reads (None: no policy file)


def installations(fs: RootFS, extra: tuple[str, ...] = ()) -> list[str]:
    """Firefox installation folders present in the guest."""
    found = []
    for d in dict.fromkeys((*extra, *INSTALL_DIRS)):
        if fs.is_file(f"{d}/application.ini") or fs.is_file(f"{d}/firefox") or fs.is_file(f"{d}/firefox-bin"):
            found.append(d)
    return found


def security_devices(policies: object) -> dict[str, str]:
    sd = policies.get("SecurityDevices") if isinstance(policies, dict) else None
    if not isinstance(sd, dict):
        return {}
    if "Add" in sd or "Delete" in sd:
        add = sd.get("Add") if isinstance(sd.get("Add"), dict) else {}
        return {str(k): str(v) for k, v in add.items() if isinstance(v, str)}
    return {str(k): str(v) for k, v in sd.items() if isinstance(v, str)}


def read_policy(fs: RootFS, path: str) -> PolicyFile | None:
    text = fs.read_text(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return PolicyFile(path, error=f"not valid JSON ({exc.msg} at line {exc.lineno}); Firefox ignores the whole file")
    if not isinstance(data, dict) or not isinstance(data.get("policies"), dict):
        return PolicyFile(path, error='no "policies" object at the top level; Firefox ignores the file')
    return PolicyFile(path, security_devices(data["policies"]))


def effective_policies(fs: RootFS, extra_dirs: tuple[str, ...] = ()) -> list[Install]:
    system = read_policy(fs, SYSTEM_POLICY)
    out = []
    for d in installations(fs, extra_dirs):
        out.append(Install(d, system if system is not None else read_policy(fs, f"{d}/distribution/policies.json")))
    return out


def profile_dirs(fs: RootFS, home: str) -> list[str]:
    """Firefox profile folders of a user (``~/.mozilla/firefox/profiles.ini``)."""
    base = f"{home.rstrip('/')}/.mozilla/firefox"
    text = fs.read_text(f"{base}/profiles.ini")
    if text is None:
        return []
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(text)
    except configparser.Error:
        return []
    dirs = []
    for sec in cp.sections():
        if not sec.startswith("Profile") or not cp.has_option(sec, "Path"):
            continue
        path = cp.get(sec, "Path")
        rel = cp.get(sec, "IsRelative", fallback="1").strip() == "1"
        dirs.append(f"{base}/{path}" if rel else path)
    return dirs
