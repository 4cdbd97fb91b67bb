"""Checks of the WorkSpaces client application (CLIENT-1..CLIENT-5).

The client is described by the profile's ``[client]`` section or detected on the machine
(:func:`client_under_test`); each check is a pure function of it (and, for CLIENT-4, of
the directory's WorkSpaces), judged under every documented baseline with the verdict of
the selected one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..checks import CheckResult
from ..limits import (
    client_minimum_sources,
    client_minimum_versions,
    client_os_requirements,
    client_platforms,
    judged_under_each_baseline,
    linux_wsp_clients,
    web_client,
    windows_architectures,
)
from ..client_version import ClientVersion

PLATFORM_NAMES = {"windows": "Windows client", "macos": "macOS client", "linux": "Linux client"}
BITS = {"x86_64": "64-bit", "arm64": "64-bit", "x86": "32-bit", "arm": "32-bit"}


@dataclass
class ClientUnderTest:
    """The client a user signs in with: platform, version (None: not installed) and the
    architecture of the OS it runs on, with where this was read."""

    platform: str
    version: str | None
    architecture: str
    user: str = ""
    source: str = "profile [client]"
    details: dict[str, Any] = field(default_factory=dict)
    #: The client machine's operating system release ("Ubuntu 22.04"), where known.
    os_release: str = ""

    @property
    def name(self) -> str:
        return PLATFORM_NAMES.get(self.platform, f"{self.platform} client")

    def describe(self) -> str:
        v = f"version {self.version}" if self.version else "not installed"
        return f"WorkSpaces {self.name} ({v}) on {BITS.get(self.architecture, self.architecture)} {self.architecture}"

    def as_evidence(self) -> dict[str, Any]:
        return {"platform": self.platform, "version": self.version, "architecture": self.architecture,
                "user": self.user, "source": self.source, **({"os_release": self.os_release} if self.os_release else {}),
                **({"details": self.details} if self.details else {})}


def client_under_test(section, system: str | None = None) -> ClientUnderTest:
    """The client from ``[client]``: as written, or detected when ``detect = true``."""
    if not section.detect:
        return ClientUnderTest(section.platform, section.version, section.architecture, section.user,
                               os_release=getattr(section, "os_release", ""))
    from .detect import detect

    found = detect(section, system)
    return ClientUnderTest(found.platform, found.version, found.architecture, section.user,
                           f"detected: {found.source}", found.details, os_release=getattr(section, "os_release", ""))


def _new(rid: str, client: ClientUnderTest) -> CheckResult:
    r = CheckResult(rid)
    r.evidence["client"] = client.as_evidence()
    return r


def _not_installed(r: CheckResult, client: ClientUnderTest) -> CheckResult:
    r.fail(f"this machine ({client.source})", f"has no WorkSpaces {client.name} installed.",
           "Install the WorkSpaces client from https://clients.amazonworkspaces.com/.")
    return r


# --- CLIENT-1 ----------------------------------------------------------------------------

def check_windows_client_version(client: ClientUnderTest, baseline: str) -> CheckResult:
    """CLIENT-1: the Windows client is version 3.1.1 or later."""
    return judged_under_each_baseline(lambda b: _windows_version(client, b), baseline)


def _minimum_why(platform: str, baseline: str) -> str:
    """Which page(s) the minimum comes from: both where the baseline has two."""
    sources = client_minimum_sources(baseline)
    if len(sources) == 1:
        return f"the first version that supports smart cards ({sources[0]['url']})"
    parts = [f"{s['versions'][platform]} ({s['url']}{', not confirmed' if s.get('confirmed') == 'no' else ''})"
             for s in sources if platform in s["versions"]]
    return ("the higher of the two documented minimums under the " + baseline + " baseline: the smart card page "
            "and the DCV protocol page give " + " and ".join(parts))


def _windows_version(client: ClientUnderTest, baseline: str) -> CheckResult:
    minimum = client_minimum_versions(baseline)["windows"]
    r = _new("CLIENT-1", client)
    r.evidence["minimum_version"] = minimum
    r.evidence["minimum_version_sources"] = client_minimum_sources(baseline)
    if client.platform != "windows":
        return r.not_applicable(f"the client is the {client.name}, not the Windows client (CLIENT-3 judges it)")
    if client.version is None:
        return _not_installed(r, client)
    if ClientVersion(client.version) < minimum:
        r.fail(f"WorkSpaces Windows client {client.version}",
               f"is older than {minimum}, {_minimum_why('windows', baseline)}.",
               "Update the client to the current version (https://clients.amazonworkspaces.com/).")
    return r


# --- CLIENT-2 ----------------------------------------------------------------------------

def check_windows_64bit(client: ClientUnderTest, baseline: str) -> CheckResult:
    """CLIENT-2: the Windows client runs on 64-bit Windows."""
    return judged_under_each_baseline(lambda b: _windows_64bit(client, b), baseline)


def _windows_64bit(client: ClientUnderTest, baseline: str) -> CheckResult:
    allowed = windows_architectures(baseline)
    r = _new("CLIENT-2", client)
    r.evidence["architectures"] = allowed
    if client.platform != "windows":
        return r.not_applicable(f"the client is the {client.name}, not the Windows client (CLIENT-3 judges it)")
    if client.architecture not in allowed:
        r.fail(f"Windows on {client.architecture} ({BITS.get(client.architecture, 'unknown width')})",
               "the Windows client supports smart cards only on a 64-bit version of Windows.",
               "Use the client on 64-bit Windows.")
    return r


# --- CLIENT-3 ----------------------------------------------------------------------------

def check_client_platform(client: ClientUnderTest, baseline: str) -> CheckResult:
    """CLIENT-3: the client application is one that supports smart cards under the baseline
    (seed: the Windows client only; admin guide: also the macOS client 3.1.5 or later)."""
    return judged_under_each_baseline(lambda b: _platform(client, b), baseline)


def supported_clients_text(baseline: str) -> str:
    """The clients that support smart cards under the baseline, as a user reads them."""
    minimums, needs = client_minimum_versions(baseline), client_os_requirements(baseline)
    out = []
    for p in client_platforms(baseline):
        text = PLATFORM_NAMES.get(p, p)
        if p in minimums:
            text += f" {minimums[p]} or later"
        if p in needs:
            text += f" on {needs[p]}"
        out.append(text)
    return ", ".join(out)


def _release_at_least(release: str, wanted: str) -> bool | None:
    """``Ubuntu 24.04`` against ``Ubuntu 22.04 or later``: True/False (False for another
    distribution), None when either cannot be read as "<distribution> <version>"."""
    import re

    m_want = re.match(r"\s*([A-Za-z]+)\s+([\d.]+)", wanted)
    m_have = re.match(r"\s*([A-Za-z]+)\s+([\d.]+)", release or "")
    if not m_want or not m_have:
        return None
    if m_want.group(1).lower() != m_have.group(1).lower():
        return False
    return not ClientVersion(m_have.group(2)) < m_want.group(2)


def _platform(client: ClientUnderTest, baseline: str) -> CheckResult:
    platforms = client_platforms(baseline)
    minimums = client_minimum_versions(baseline)
    needs = client_os_requirements(baseline)
    listed = supported_clients_text(baseline)
    r = _new("CLIENT-3", client)
    r.evidence["supported_clients"] = {p: minimums.get(p, "any version") for p in platforms}
    if needs:
        r.evidence["client_os_requirements"] = needs
    r.evidence["minimum_version_sources"] = client_minimum_sources(baseline)
    if client.platform not in platforms:
        r.fail(f"WorkSpaces {client.name}",
               f"does not support smart cards under the {baseline} baseline (supported: {listed}).",
               "Sign in with a supported client: " + listed + ".")
        return r
    if client.version is None:
        return _not_installed(r, client)
    minimum = minimums.get(client.platform)
    if client.platform != "windows" and minimum and ClientVersion(client.version) < minimum:
        # the Windows client's version is CLIENT-1's
        r.fail(f"WorkSpaces {client.name} {client.version}",
               f"is older than {minimum}, {_minimum_why(client.platform, baseline)}.",
               "Update the client to the current version.")
    wanted = needs.get(client.platform)
    if wanted:
        ok = _release_at_least(client.os_release, wanted)
        if ok is None:
            known = (f"the client machine's release {client.os_release!r} cannot be read"
                     if client.os_release else "the client machine's release is not known")
            r.warn(f"WorkSpaces {client.name}", f"supports smart cards only on {wanted}; {known}.",
                   "Give [client].os_release (for example \"Ubuntu 22.04\") to have it judged.")
        elif not ok:
            r.fail(f"WorkSpaces {client.name} on {client.os_release}",
                   f"supports smart cards only on {wanted} under the {baseline} baseline.",
                   f"Use the client on {wanted}, or the Windows or macOS client.")
    return r


# --- CLIENT-4 ----------------------------------------------------------------------------

def check_linux_workspaces_client(client: ClientUnderTest, snapshot, baseline: str) -> CheckResult:
    """CLIENT-4: a user with a Linux WorkSpace on WSP reaches it with the Windows client."""
    return judged_under_each_baseline(lambda b: _linux_client(client, snapshot, b), baseline)


def _linux_client(client: ClientUnderTest, snapshot, baseline: str) -> CheckResult:
    from ..aws.workspaces import is_wsp, os_family, protocols

    clients = linux_wsp_clients(baseline)
    r = _new("CLIENT-4", client)
    r.evidence["clients_for_linux_wsp"] = clients
    if not client.user:
        return r.skip("the profile names no user of this client ([client].user)")
    if snapshot is None or not snapshot.registered:
        return r.skip("the directory is not registered with WorkSpaces (see WSP-3)")
    mine = snapshot.of_user(client.user)
    r.evidence["user_workspaces"] = [{"WorkspaceId": w.get("WorkspaceId"), "os": os_family(w),
                                      "Protocols": protocols(w)} for w in mine]
    if not mine:
        return r.skip(f"user {client.user} has no WorkSpace in directory {snapshot.directory_id}")
    linux = [w for w in mine if os_family(w) == "linux" and is_wsp(w)]
    if linux and client.platform not in clients:
        ids = ", ".join(w.get("WorkspaceId", "?") for w in linux)
        r.fail(f"user {client.user} with the WorkSpaces {client.name}",
               f"has Linux WorkSpaces on WSP ({ids}), which are reached only with the "
               f"{' or '.join(PLATFORM_NAMES.get(c, c) for c in clients)}.",
               "Connect to Linux WorkSpaces on WSP with the WorkSpaces Windows client.")
    return r


# --- CLIENT-5 ----------------------------------------------------------------------------

def check_web_access(snapshot, smart_card: dict[str, Any] | None, baseline: str) -> CheckResult:
    """CLIENT-5: the web client (WorkSpaces Web Access) does not support smart cards (S-DCV):
    a directory with smart card authentication enabled that allows ``DeviceTypeWeb`` is a
    warning naming the clients its users should use instead.

    ``snapshot``: the directory's :class:`~wscard.aws.workspaces.WorkspacesSnapshot`;
    ``smart_card``: the directory's enabled SmartCard setting (DescribeClientAuthenticationSettings),
    None when smart card authentication is not enabled. Skipped (with the reason) for a
    directory out of scope (Pools, certificate-based authentication), not registered with
    WorkSpaces, or without smart card authentication."""
    from ..aws.workspaces import out_of_scope_reason

    src = web_client()
    r = CheckResult("CLIENT-5")
    r.evidence["source"] = {k: src[k] for k in ("source", "url", "quote", "read_on")}
    if snapshot is None:
        return r.skip("the directory's WorkSpaces side was not read")
    why = out_of_scope_reason(snapshot)
    if why:
        return r.skip(why)
    if not snapshot.registered:
        return r.skip(f"directory {snapshot.directory_id} is not registered with WorkSpaces (see WSP-3)")
    if smart_card is None:
        return r.skip(f"smart card authentication is not enabled on directory {snapshot.directory_id} (see AUTH-3)")
    value = snapshot.access().get("DeviceTypeWeb", "not reported")
    r.evidence["DeviceTypeWeb"] = value
    if value == "ALLOW":
        r.warn(f"directory {snapshot.directory_id} (smart card authentication {smart_card.get('Type')} "
               f"{smart_card.get('Status')})",
               "allows Web Access (DeviceTypeWeb = ALLOW), but the web client does not support smart cards: "
               f"users who sign in from a browser cannot use their card (\"{src['quote']}\").",
               f"Tell the users to sign in with a client that supports smart cards ({supported_clients_text(baseline)}); "
               f"to stop browser sign-in: aws workspaces modify-workspace-access-properties --resource-id "
               f"{snapshot.directory_id} --workspace-access-properties DeviceTypeWeb=DENY")
    return r
