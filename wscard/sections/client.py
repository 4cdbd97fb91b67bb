"""``[client]``: the WorkSpaces client application users sign in with (CLIENT-1..CLIENT-4).

The keys describe the client machine of a user (a lab PC, or the typical user's PC); with
``detect = true`` the harness reads the installed client and the OS architecture from the
machine it runs on (or from the recorded data named below) instead. See docs/workspaces.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..client_version import ClientVersion
from ..errors import ProfileError
from ..profile import PathValue, section

Platform = Literal["windows", "macos", "linux"]
Architecture = Literal["x86_64", "x86", "arm64", "arm"]


@section("client")
@dataclass
class ClientSection:
    #: Platform of the WorkSpaces client application: ``windows`` (the Windows client),
    #: ``macos`` or ``linux``. Ignored with ``detect = true``.
    platform: Platform = "windows"
    #: Version of the client application, dotted numbers (``3.1.10``, ``5.22.1.4879``);
    #: compared numerically (3.1.10 is later than 3.1.9). Ignored with ``detect = true``.
    version: str = "5.22.1"
    #: Architecture of the operating system the client runs on: ``x86_64`` or ``arm64``
    #: (64-bit), ``x86`` or ``arm`` (32-bit). Ignored with ``detect = true``.
    architecture: Architecture = "x86_64"
    #: The directory user name (sAMAccountName) who signs in with this client. CLIENT-4
    #: looks at this user's WorkSpaces (a Linux WorkSpace on WSP needs the Windows client).
    #: Empty: CLIENT-4 is not judged.
    user: str = ""
    #: The client machine's operating system and release (``Ubuntu 22.04``). The current
    #: baseline supports the Linux client on Ubuntu 22.04 or later only (CLIENT-3); empty:
    #: not known (a warning for the Linux client under that baseline).
    os_release: str = ""
    #: ``true``: read the installed client (version, platform) and the OS architecture
    #: from this machine: Windows registry uninstall entries, the macOS application bundle,
    #: or the Linux package database; or from ``registry_export`` when it is set.
    detect: bool = False
    #: For ``detect = true``: a Windows registry export (``reg export`` of
    #: ``HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`` and of
    #: ``HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment``, one .reg
    #: file) read instead of the live registry, so a Windows PC can be checked from
    #: another machine. Empty: the live registry on Windows.
    registry_export: PathValue = ""
    #: For ``detect = true`` on macOS: the client's application bundle.
    macos_app: PathValue = "/Applications/WorkSpaces.app"
    #: For ``detect = true`` on Linux: the dpkg status database.
    dpkg_status: PathValue = "/var/lib/dpkg/status"

    def validate(self, profile) -> None:
        if not self.detect:
            try:
                ClientVersion(self.version)
            except ValueError:
                raise ProfileError(
                    f"must be a version number such as 3.1.10, not {self.version!r}", key="[client].version"
                ) from None
