"""Firefox on Linux (SESSION-4): a ``SecurityDevices`` policy, or the module in a profile.

Where Firefox reads ``policies.json`` on Linux (Mozilla's policy templates, Firefox's
``EnterprisePolicies``): ``/etc/firefox/policies/policies.json`` when it exists, and only
then, otherwise ``distribution/policies.json`` in the installation folder (for example
``/usr/lib64/firefox`` on Amazon Linux 2, the folder the WorkSpaces administration guide
names; ``/usr/lib/firefox`` or ``/usr/lib/firefox-esr`` on Debian and Ubuntu). A policy
file that is not valid JSON is ignored by Firefox as a whole.

Distributions install Firefox in several ways, each with its own folders (see
:class:`Layout`): a package or Mozilla's tarball (``/usr/lib*/firefox*``, ``/opt/firefox``),
Ubuntu's snap (``/snap/firefox/current/usr/lib/firefox``; ``/usr/bin/firefox`` leads to it;
profiles in ``~/snap/firefox/common/.mozilla/firefox``), Flathub's flatpak
(``/var/lib/flatpak/app/org.mozilla.firefox``; profiles in
``~/.var/app/org.mozilla.firefox/.mozilla/firefox``). Each is found and read where it is.

``SecurityDevices`` has two forms: ``{"NAME": "/path/lib.so"}`` (the one in the
administration guide) and ``{"Add": {"NAME": "/path"}, "Delete": ["NAME"]}``.
"""

from __future__ import annotations

import configparser
import json
import os
from dataclasses import dataclass, field

from .rootfs import RootFS

SYSTEM_POLICY = "/etc/firefox/policies/policies.json"
#: Folders where distribution packages and Mozilla's tarball put Firefox.
PACKAGE_DIRS = (
    "/usr/lib64/firefox",
    "/usr/lib/firefox",
    "/usr/lib64/firefox-esr",
    "/usr/lib/firefox-esr",
    "/opt/firefox",
    "/opt/firefox-esr",
)
#: Ubuntu's Firefox snap (``/usr/bin/firefox`` leads to ``/snap/bin/firefox``). The snap
#: reads ``/etc/firefox/policies/policies.json`` (its ``system-files`` interface) and keeps
#: profiles in ``~/snap/firefox/common/.mozilla/firefox``. Its own folder is a read-only
#: squashfs, and it runs confined: libraries are looked up in the snap's view, where the
#: snap ships its own OpenSC (``usr/lib/<multiarch>/opensc-pkcs11.so``).
SNAP_ROOT = "/snap/firefox"
SNAP_DIR = f"{SNAP_ROOT}/current/usr/lib/firefox"
SNAP_PROFILES = "snap/firefox/common/.mozilla/firefox"
#: Flathub's Firefox (``org.mozilla.firefox``), installed system-wide or per user. It
#: reads policies from its ``org.mozilla.firefox.systemconfig`` extension (``/app/etc/
#: firefox/policies`` inside the sandbox) and keeps profiles in
#: ``~/.var/app/org.mozilla.firefox/.mozilla/firefox``.
FLATPAK_APP = "org.mozilla.firefox"
FLATPAK_SYSTEM = f"/var/lib/flatpak/app/{FLATPAK_APP}/current/active/files"
FLATPAK_USER = f".local/share/flatpak/app/{FLATPAK_APP}/current/active/files"
FLATPAK_POLICY_GLOB = f"var/lib/flatpak/extension/{FLATPAK_APP}.systemconfig/*/*/policies/policies.json"
FLATPAK_PROFILES = f".var/app/{FLATPAK_APP}/.mozilla/firefox"
PROFILES = ".mozilla/firefox"
#: Kept for callers that list the package folders.
INSTALL_DIRS = PACKAGE_DIRS


@dataclass(frozen=True)
class Layout:
    """One Firefox installation and where it reads its configuration.

    ``kind``: ``package`` (a distribution package, Mozilla's tarball, or a folder named in
    the profile), ``snap`` or ``flatpak``. ``policy_files``: the policies.json files in the
    order Firefox looks for them (the first that exists is the only one read).
    ``profiles``: the profile folder relative to the user's home. ``writable_policy``: the
    file an administrator can write (the fix names it). ``library_root``: the guest folder
    that a library path in a policy is resolved against (the sandbox's ``/app`` for a
    flatpak), empty for the guest's own ``/``.
    """

    kind: str
    directory: str
    policy_files: tuple[str, ...]
    profiles: str
    writable_policy: str
    library_root: str = ""

    @property
    def label(self) -> str:
        return {"snap": "Firefox snap", "flatpak": "Firefox flatpak"}.get(self.kind, "Firefox") + f" in {self.directory}"


def _is_install(fs: RootFS, d: str) -> bool:
    return fs.is_file(f"{d}/application.ini") or fs.is_file(f"{d}/firefox") or fs.is_file(f"{d}/firefox-bin")


def _package(d: str) -> Layout:
    return Layout("package", d, (SYSTEM_POLICY, f"{d}/distribution/policies.json"), PROFILES,
                  f"{d}/distribution/policies.json")


def layouts(fs: RootFS, extra: tuple[str, ...] = (), home: str = "") -> list[Layout]:
    """Every Firefox installed in the guest: distribution packages and ``/opt`` (plus the
    ``extra`` folders), the snap, the flatpak (system-wide, or the user's when ``home`` is
    given)."""
    found: list[Layout] = []
    for d in dict.fromkeys((*extra, *PACKAGE_DIRS)):
        if _is_install(fs, d):
            found.append(_package(d))
    snap_dirs = [SNAP_DIR] if _is_install(fs, SNAP_DIR) else [
        fs.guest_path(p) for p in sorted(fs.root.glob(SNAP_ROOT.lstrip("/") + "/*/usr/lib/firefox"))
        if _is_install(fs, fs.guest_path(p))][:1]
    for d in snap_dirs:
        found.append(Layout("snap", d, (SYSTEM_POLICY, f"{d}/distribution/policies.json"), SNAP_PROFILES,
                            SYSTEM_POLICY))
    flatpaks = [FLATPAK_SYSTEM]
    if home:
        flatpaks.append(f"{home.rstrip('/')}/{FLATPAK_USER}")
    for files in flatpaks:
        d = f"{files}/lib/firefox"
        if not _is_install(fs, d):
            continue
        ext = [fs.guest_path(p) for p in sorted(fs.root.glob(FLATPAK_POLICY_GLOB))]
        writable = ext[0] if ext else "/var/lib/flatpak/extension/org.mozilla.firefox.systemconfig/<arch>/stable/policies/policies.json"
        found.append(Layout("flatpak", d, (*ext, f"{d}/distribution/policies.json"), FLATPAK_PROFILES,
                            writable, library_root=files))
    return found


def installations(fs: RootFS, extra: tuple[str, ...] = ()) -> list[str]:
    """Firefox installation folders present in the guest."""
    return [lay.directory for lay in layouts(fs, extra)]


def snap_reference(fs: RootFS) -> str:
    """What ``/usr/bin/firefox`` says about a snap when the snap itself is not there
    (a link or wrapper to ``/snap/bin/firefox``), else ''."""
    link = fs.root / "usr/bin/firefox"
    try:
        target = os.readlink(link) if link.is_symlink() else (fs.read_text("/usr/bin/firefox") or "")[:4096]
    except OSError:
        return ""
    return "/usr/bin/firefox leads to /snap/bin/firefox" if "/snap/bin/firefox" in target else ""


@dataclass
class PolicyFile:
    path: str
    devices: dict[str, str] = field(default_factory=dict)
    error: str = ""


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


@dataclass
class Install:
    directory: str
    policy: PolicyFile | None  # the file this installation reads (None: no policy file)
    layout: Layout | None = None


def policy_of(fs: RootFS, layout: Layout) -> PolicyFile | None:
    """The policies.json this installation reads: the first of its policy files that
    exists (Firefox reads only that one)."""
    for path in layout.policy_files:
        pol = read_policy(fs, path)
        if pol is not None:
            return pol
    return None


def effective_policies(fs: RootFS, extra_dirs: tuple[str, ...] = (), home: str = "") -> list[Install]:
    return [Install(lay.directory, policy_of(fs, lay), lay) for lay in layouts(fs, extra_dirs, home)]


def profile_dirs(fs: RootFS, home: str, profiles: str = PROFILES) -> list[str]:
    """Firefox profile folders of a user (``~/<profiles>/profiles.ini``; ``profiles`` is
    ``.mozilla/firefox`` for packages, the snap's and the flatpak's folders otherwise)."""
    base = f"{home.rstrip('/')}/{profiles}"
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
