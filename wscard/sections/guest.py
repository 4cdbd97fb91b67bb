"""``[guest]``: the WorkSpace image whose in-session set-up is checked (SESSION-1..7).

The probes read a root path: ``/`` when the harness runs inside a WorkSpace (or a golden
image being prepared), a mounted image, or, in the simulated world, a tree the harness
builds with the real NSS tools (``build = "..."``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ProfileError
from ..profile import PathValue, section

GuestOS = Literal["linux", "windows"]
LINUX_BUILDS = (
    "module-not-registered",
    "wrong-library-path",
    "no-firefox-policy",
    "sudo-excluded",
    "lock-screen-enabled",
    "ca-missing",
)
WINDOWS_BUILDS = (
    "windows-no-smartcard-redirection",
    "windows-no-firefox-policy",
    "windows-no-disconnect-on-lock",
    "windows-certprop-manual",
    "windows-certprop-stopped",
    "windows-no-ecc-policy",
    "windows-no-certificate-propagation-policy",
)
Build = Literal[
    "",
    "compliant",
    "module-not-registered",
    "wrong-library-path",
    "no-firefox-policy",
    "sudo-excluded",
    "lock-screen-enabled",
    "ca-missing",
    "windows-no-smartcard-redirection",
    "windows-no-firefox-policy",
    "windows-no-disconnect-on-lock",
    "windows-certprop-manual",
    "windows-certprop-stopped",
    "windows-no-ecc-policy",
    "windows-no-certificate-propagation-policy",
]


@dataclass
class WindowsGuest:
    """Where the Windows policies are read from."""

    #: ``winreg``: the registry of this machine (run the harness inside the Windows
    #: WorkSpace); ``file``: a ``.reg`` export or a JSON dump (``registry_file``), read on
    #: any system. Ignored when ``[guest].build`` is set.
    registry: Literal["winreg", "file"] = "winreg"
    #: For ``registry = "file"``: the ``.reg`` export (regedit, UTF-16 or ANSI) or the JSON
    #: dump made by the PowerShell snippet in docs/in_session.md.
    registry_file: PathValue = PathValue("")
    #: Folder holding the WSP policy templates ``wsp.admx`` and ``en-US/wsp.adml``, used to
    #: find the registry values of the WSP policies by their names ("Enable/disable smart
    #: card redirection", "Enable/disable disconnect session on screen lock"). Empty: the
    #: WorkSpace's own copy (``C:\Program Files\Amazon\WSP``) with ``winreg``, the copy
    #: inside the JSON dump with ``file``.
    admx_dir: PathValue = PathValue("")
    #: Registry key of the WSP policies (HKLM).
    wsp_policy_key: str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Amazon\WSP"
    #: Registry value of the smart card redirection policy. Empty: found in wsp.admx.
    smartcard_redirection_value: str = ""
    #: Registry value of the disconnect-on-lock policy. Empty: found in wsp.admx.
    disconnect_on_lock_value: str = ""


@dataclass
class LinuxLayout:
    """How the simulated Linux guest is laid out (``build`` only). Distributions lay the
    same things out differently; each setting builds one real distribution's layout, and
    ``build`` then breaks one documented step (or none) in that layout."""

    #: The smart card PAM stack. ``pam_pkcs11``: Amazon Linux 2 after ``enable_smartcard``
    #: (``system-auth`` with pam_pkcs11, the commented service list). ``sssd``: RHEL/Rocky 8
    #: and 9 with authselect's ``sssd`` profile ``with-smartcard-required``: ``pam_sss.so
    #: require_cert_auth`` behind a ``pam_succeed_if.so service notin login:gdm:...`` line,
    #: ``system-auth`` a link into ``/etc/authselect``, ``sssd.conf`` with ``pam_cert_auth``;
    #: its compliant form lists sudo and sudo-i, ``build = "sudo-excluded"`` leaves them
    #: out as the real profile does.
    pam: Literal["pam_pkcs11", "sssd"] = "pam_pkcs11"
    #: Where Firefox is. ``package``: ``/usr/lib64/firefox`` with the administration guide's
    #: ``distribution/policies.json``. ``snap``: Ubuntu's snap
    #: (``/snap/firefox/current/usr/lib/firefox``, ``/usr/bin/firefox`` linked to ``/snap/bin/firefox``, the policy in
    #: ``/etc/firefox/policies/policies.json`` naming the OpenSC the snap ships, profiles in
    #: ``~/snap/firefox/common/.mozilla/firefox``).
    firefox: Literal["package", "snap"] = "package"
    #: How the user's NSS database reaches OpenSC (SESSION-3). ``direct``: the user guide's
    #: ``modutil -add "OpenSC"``. ``p11-kit``: Fedora/RHEL's way, ``p11-kit-proxy.so``
    #: registered in the database and p11-kit's ``opensc.module`` naming OpenSC.
    nss_modules: Literal["direct", "p11-kit"] = "direct"


@section("guest")
@dataclass
class GuestSection:
    #: Which WorkSpace operating systems to check. Empty: the in-session scenarios are
    #: skipped (the profile describes no WorkSpace image).
    os: list[GuestOS] = field(default_factory=list)
    #: Simulated world only: build the guest instead of reading one. ``compliant`` builds
    #: a Linux tree (NSS databases made with modutil/certutil, PAM, Firefox policy, lock
    #: screen override) and a Windows registry dump that meet every requirement; the other
    #: values break one thing each: ``module-not-registered``, ``wrong-library-path``,
    #: ``no-firefox-policy``, ``sudo-excluded``, ``lock-screen-enabled``, ``ca-missing``,
    #: ``windows-no-smartcard-redirection``, ``windows-no-firefox-policy``,
    #: ``windows-no-disconnect-on-lock``, ``windows-certprop-manual`` (the Certificate
    #: Propagation service set to Manual and stopped), ``windows-certprop-stopped``
    #: (Automatic but stopped), ``windows-no-ecc-policy`` (ECC logon certificates not
    #: allowed), ``windows-no-certificate-propagation-policy`` (the policy "Turn on
    #: certificate propagation from smart card" Disabled). Empty: read the guest at ``root``.
    build: Build = ""
    #: Root of the Linux guest's file system: ``/`` inside the WorkSpace, or the mount
    #: point of an image. Paths read from the guest (library paths in NSS databases,
    #: symbolic links) are resolved under it.
    root: PathValue = PathValue("/")
    #: The user's home directory, as a path inside the guest (``/home/alice``). Empty:
    #: the current user's home when ``root`` is ``/``. For a golden image, ``/etc/skel``
    #: checks what new users get.
    home: str = ""
    #: The OpenSC PKCS#11 library the fixes recommend, as a guest path (the user guide
    #: uses ``/lib64/opensc-pkcs11.so``; another existing OpenSC library is found if this
    #: one is missing).
    opensc_library: str = "/lib64/opensc-pkcs11.so"
    #: The image's NSS database that must hold the root CA (SESSION-6); pam_pkcs11 on
    #: Amazon Linux reads ``/etc/pki/nssdb``.
    image_nssdb: str = "/etc/pki/nssdb"
    #: The root CA certificate (PEM) the directory trusts, for SESSION-6. Empty: the root
    #: of the profile's PKI (``[pki]``), the CA the simulated world registers.
    root_ca: PathValue = PathValue("")
    #: Extra Firefox installation folders to look in (guest paths), besides
    #: /usr/lib64/firefox, /usr/lib/firefox, /usr/lib*/firefox-esr, /opt/firefox, the snap
    #: (/snap/firefox/current/usr/lib/firefox) and the flatpak (org.mozilla.firefox), which
    #: are always looked at. Read like a package install (/etc/firefox/policies, then the
    #: folder's distribution/policies.json; profiles in ~/.mozilla/firefox).
    firefox_dirs: list[str] = field(default_factory=list)
    #: PAM services that must accept the card (SESSION-5): ``sudo`` and, when the image
    #: has a separate stack for login shells, ``sudo-i``.
    sudo_services: list[str] = field(default_factory=lambda: ["sudo", "sudo-i"])
    #: Where the Windows policies come from.
    windows: WindowsGuest = field(default_factory=WindowsGuest)
    #: The distribution layout of the built Linux guest (``build`` only).
    layout: LinuxLayout = field(default_factory=LinuxLayout)

    @property
    def simulated(self) -> bool:
        return bool(self.build)

    def validate(self, profile) -> None:
        if not self.build and self.layout != LinuxLayout():
            raise ProfileError("describes how a built guest is laid out: it needs build = \"...\" (a guest that is "
                               "read is taken as it is)", key="[guest.layout]")
        if self.build:
            if self.root not in ("", "/") or self.home:
                raise ProfileError(
                    "describes a guest that is read, and cannot be combined with build (which builds one)",
                    key="[guest].root" if self.root not in ("", "/") else "[guest].home",
                )
            if not self.os:
                raise ProfileError("build needs os = [\"linux\"], [\"windows\"] or both", key="[guest].os")
            return
        if "linux" in self.os:
            if not self.root:
                raise ProfileError("must be the guest's root folder (/ inside the WorkSpace)", key="[guest].root")
            if self.root != "/" and not self.home:
                raise ProfileError(
                    "the user's home inside the guest is needed when root is not / (e.g. \"/home/alice\")",
                    key="[guest].home",
                )
            if self.home and not self.home.startswith(("/", "~")):
                raise ProfileError("must be an absolute path inside the guest", key="[guest].home")
        if "windows" in self.os:
            w = self.windows
            if w.registry == "file" and not w.registry_file:
                raise ProfileError("registry = \"file\" needs registry_file (a .reg export or a JSON dump)",
                                   key="[guest.windows].registry_file")
            if w.registry == "winreg" and sys.platform != "win32":
                raise ProfileError(
                    "winreg reads this machine's registry and works only on Windows; on other systems give "
                    "registry = \"file\" and a .reg export or JSON dump in registry_file",
                    key="[guest.windows].registry",
                )
