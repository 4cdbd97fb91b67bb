"""``[workspaces]``: the WorkSpaces of the directory under test (WSP-1..WSP-3, CLIENT-4).

``connect_from`` applies everywhere (what the users connect from). The other keys
describe the simulated world only (embedded and server modes): how the directory is
registered with WorkSpaces, which device types it allows, and its WorkSpaces, made
through the API. On live AWS they are read from the account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ProfileError
from ..profile import section

DeviceType = Literal["windows", "macos", "linux", "web", "ios", "android", "chromeos", "zeroclient", "thinclient"]
Access = Literal["", "ALLOW", "DENY"]
Protocol = Literal["WSP", "PCOIP"]
OperatingSystem = Literal[
    "WINDOWS_10", "WINDOWS_11", "WINDOWS_7", "WINDOWS_SERVER_2016", "WINDOWS_SERVER_2019", "WINDOWS_SERVER_2022",
    "WINDOWS_SERVER_2025", "AMAZON_LINUX_2", "UBUNTU_18_04", "UBUNTU_20_04", "UBUNTU_22_04", "UBUNTU_24_04",
    "UBUNTU_26_04", "RHEL_8", "RHEL_9", "RHEL_10", "ROCKY_8", "ROCKY_9", "ROCKY_10", "UNKNOWN",
]

#: [workspaces.device_access] key -> WorkspaceAccessProperties member.
DEVICE_ACCESS_KEYS = {
    "windows": "DeviceTypeWindows",
    "macos": "DeviceTypeOsx",
    "linux": "DeviceTypeLinux",
    "web": "DeviceTypeWeb",
    "ios": "DeviceTypeIos",
    "android": "DeviceTypeAndroid",
    "chromeos": "DeviceTypeChromeOs",
    "zeroclient": "DeviceTypeZeroClient",
    "thinclient": "DeviceTypeWorkSpacesThinClient",
}


@dataclass
class DeviceAccess:
    """Device types the simulated directory allows (ModifyWorkspaceAccessProperties).
    Empty keeps the service's default (an AD Connector starts with Windows denied)."""

    #: Windows clients (``DeviceTypeWindows``): ``ALLOW``, ``DENY`` or empty.
    windows: Access = ""
    #: macOS clients (``DeviceTypeOsx``).
    macos: Access = ""
    #: Linux clients (``DeviceTypeLinux``).
    linux: Access = ""
    #: Web Access (``DeviceTypeWeb``).
    web: Access = ""
    #: iOS (``DeviceTypeIos``).
    ios: Access = ""
    #: Android (``DeviceTypeAndroid``).
    android: Access = ""
    #: Chromebooks (``DeviceTypeChromeOs``).
    chromeos: Access = ""
    #: Zero clients (``DeviceTypeZeroClient``).
    zeroclient: Access = ""
    #: WorkSpaces Thin Client (``DeviceTypeWorkSpacesThinClient``).
    thinclient: Access = ""

    def as_api(self) -> dict[str, str]:
        return {DEVICE_ACCESS_KEYS[k]: v for k, v in vars(self).items() if v}


@dataclass
class WorkspaceGroup:
    """A group of alike WorkSpaces in the simulated directory."""

    #: How many WorkSpaces.
    count: int = 1
    #: Streaming protocol (``WorkspaceProperties.Protocols``): ``WSP`` or ``PCOIP``.
    protocol: Protocol = "WSP"
    #: Operating system (``WorkspaceProperties.OperatingSystemName``).
    os: OperatingSystem = "WINDOWS_SERVER_2022"
    #: User names (sAMAccountName), one per WorkSpace. Empty: ``user_prefix`` followed by
    #: a number (``user0001``...).
    users: list[str] = field(default_factory=list)
    #: Prefix of generated user names.
    user_prefix: str = "user"
    #: Bundle ID the WorkSpaces are created from.
    bundle_id: str = "wsb-0smartcd1"


@section("workspaces")
@dataclass
class WorkspacesSection:
    #: Device types the users connect from. WSP-3 requires each to be allowed by the
    #: directory (with ``[client].platform``'s type added).
    connect_from: list[DeviceType] = field(default_factory=lambda: ["windows"])
    #: Page size of DescribeWorkspaces (1..25; the API's maximum, 25, makes the fewest calls).
    page_size: int = 25

    # --- simulated world only (embedded, server) -------------------------------
    #: Register the simulated directory with WorkSpaces (RegisterWorkspaceDirectory).
    #: ``false`` breaks WSP-3.
    registered: bool = True
    #: Device types the simulated directory allows or denies.
    device_access: DeviceAccess = field(default_factory=DeviceAccess)
    #: The simulated directory's WorkSpaces, created with CreateWorkspaces (25 per call).
    groups: list[WorkspaceGroup] = field(default_factory=list)

    def user_names(self) -> list[list[str]]:
        """The user names of each group, generated where not given (unique across groups)."""
        out, n = [], 0
        for g in self.groups:
            if g.users:
                out.append(list(g.users))
                continue
            names = []
            for _ in range(g.count):
                n += 1
                names.append(f"{g.user_prefix}{n:04d}")
            out.append(names)
        return out

    def validate(self, profile) -> None:
        if not 1 <= self.page_size <= 25:
            raise ProfileError("must be between 1 and 25 (the DescribeWorkspaces Limit)", key="[workspaces].page_size")
        for i, g in enumerate(self.groups):
            where = f"[workspaces.groups][{i}]"
            if g.count < 1:
                raise ProfileError("must be at least 1", key=f"{where}.count")
            if g.users and len(g.users) != g.count:
                raise ProfileError(f"lists {len(g.users)} users for {g.count} WorkSpaces", key=f"{where}.users")
            if not re.fullmatch(r"wsb-[0-9a-z]{8,63}", g.bundle_id):
                raise ProfileError("must look like wsb-xxxxxxxx", key=f"{where}.bundle_id")
        seen: set[str] = set()
        for names in self.user_names():
            for name in names:
                if name in seen:
                    raise ProfileError(f"user {name!r} has two WorkSpaces in the directory", key="[workspaces.groups]")
                seen.add(name)

    @property
    def describes_simulated_world(self) -> bool:
        """Whether keys that only a simulated world can have are set (groups of WorkSpaces,
        an unregistered directory, device access): refused with ``[aws]`` mode live or
        endpoint (a rule across sections, in :data:`wscard.profile.CROSS_SECTION_RULES`)."""
        return bool(self.groups or not self.registered or self.device_access.as_api())
