"""Read-only checks of the WorkSpaces of a directory (WSP-1..WSP-3) and of where smart
card authentication is available (REGION-1, REGION-2).

The WorkSpaces side is read once (:func:`read_workspaces`, or :func:`read_fleet` for every
directory of a Region) into a :class:`WorkspacesSnapshot` with DescribeWorkspaceDirectories
and DescribeWorkspaces (pages of up to 25, the API's maximum); each check is a pure
function over the snapshot, so the same code judges a simulated world and a live
account, one directory or a fleet.

Rules that differ between the documented baselines (``seed``, ``admin-guide``; see
``wscard/data/limits.toml``) are judged under each of them: the verdict follows the
selected baseline and the result's evidence shows both answers side by side.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from ..checks import CheckResult, Status
from ..errors import EnvironmentProblem
from ..limits import (
    in_session_regions,
    judged_under_each_baseline,
    linux_wsp_regions,
    out_of_scope,
    pre_session_regions,
    protocol_aliases,
    smart_card_protocols,
    workspace_os_families,
    wsp_regions_source,
)
from ..sections.workspaces import DEVICE_ACCESS_KEYS
from .procedure import Outcome, SandboxUnavailable, call_api, expect_ok, expect_refused
from .env import error_code

PAGE_MAX = 25
#: How many offending WorkSpaces a failure message names (the evidence lists them all).
LISTED_IN_MESSAGE = 25

#: Device type (profile names) -> WorkspaceAccessProperties member.
DEVICE_TYPE_MEMBERS = DEVICE_ACCESS_KEYS


@dataclass
class WorkspacesSnapshot:
    """A directory's WorkSpaces side, as DescribeWorkspaceDirectories and DescribeWorkspaces show it."""

    directory_id: str
    region: str
    directory: dict[str, Any] | None  # None: not registered with WorkSpaces
    workspaces: list[dict[str, Any]] = field(default_factory=list)
    read_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def registered(self) -> bool:
        return self.directory is not None and self.directory.get("State", "REGISTERED") == "REGISTERED"

    def access(self) -> dict[str, str]:
        return dict((self.directory or {}).get("WorkspaceAccessProperties") or {})

    def of_user(self, user_name: str) -> list[dict[str, Any]]:
        wanted = user_name.lower()
        return [w for w in self.workspaces if str(w.get("UserName", "")).lower() == wanted]


# --- reading ------------------------------------------------------------------------

def _pages(call, key: str, page_size: int | None, **kwargs) -> Iterable[list[dict[str, Any]]]:
    token = None
    while True:
        args = dict(kwargs)
        if page_size:
            args["Limit"] = page_size
        if token:
            args["NextToken"] = token
        page = call(**args)
        yield page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


@contextmanager
def _reading(what: str) -> Iterator[None]:
    """Turn a service error while reading into an EnvironmentProblem naming the call."""
    try:
        yield
    except Exception as exc:
        code = error_code(exc)
        if code is None:
            raise
        raise EnvironmentProblem(f"{what}: {code}: {exc}") from None


def read_workspaces(ws, directory_id: str, region: str, page_size: int = PAGE_MAX) -> WorkspacesSnapshot:
    """One directory's registration, device access and WorkSpaces (Describe calls only)."""
    with _reading(f"cannot describe the WorkSpaces directory {directory_id} in {region}"):
        found = ws.describe_workspace_directories(DirectoryIds=[directory_id]).get("Directories", [])
    directory = next((d for d in found if d.get("DirectoryId") == directory_id), None)
    snap = WorkspacesSnapshot(directory_id, region, directory)
    if directory is None:
        return snap
    with _reading(f"cannot describe the WorkSpaces of directory {directory_id} in {region}"):
        for page in _pages(ws.describe_workspaces, "Workspaces", page_size, DirectoryId=directory_id):
            snap.workspaces += page
    return snap


def read_fleet(ws, region: str, page_size: int = PAGE_MAX) -> list[WorkspacesSnapshot]:
    """Every registered directory of a Region with its WorkSpaces, in the fewest calls:
    the directories, then all WorkSpaces of the Region in pages of ``page_size``
    (grouped by directory here, instead of one listing per directory)."""
    snaps: dict[str, WorkspacesSnapshot] = {}
    with _reading(f"cannot list the WorkSpaces directories in {region}"):
        for page in _pages(ws.describe_workspace_directories, "Directories", None):
            for d in page:
                snaps[d["DirectoryId"]] = WorkspacesSnapshot(d["DirectoryId"], region, d)
    if not snaps:
        return []
    with _reading(f"cannot list the WorkSpaces in {region}"):
        for page in _pages(ws.describe_workspaces, "Workspaces", page_size):
            for w in page:
                snap = snaps.get(w.get("DirectoryId", ""))
                if snap is not None:
                    snap.workspaces.append(w)
    return list(snaps.values())


def minimum_calls(directories: int, workspaces: int, page_size: int = PAGE_MAX) -> int:
    """The fewest Describe calls that can read a Region's directories and WorkSpaces."""
    return max(1, math.ceil(directories / PAGE_MAX)) + max(1, math.ceil(workspaces / page_size))


# --- helpers --------------------------------------------------------------------------

def os_family(workspace: dict[str, Any]) -> str:
    """``windows``, ``linux`` or ``unknown``, from WorkspaceProperties.OperatingSystemName."""
    name = str((workspace.get("WorkspaceProperties") or {}).get("OperatingSystemName") or "").upper()
    if name.startswith("WINDOWS"):
        return "windows"
    if name.startswith(("AMAZON_LINUX", "UBUNTU", "RHEL", "ROCKY")):
        return "linux"
    return "unknown"


def protocols(workspace: dict[str, Any]) -> list[str]:
    """``WorkspaceProperties.Protocols`` as the API returned it (``WSP``, ``DCV``, ``PCOIP``)."""
    return list((workspace.get("WorkspaceProperties") or {}).get("Protocols") or [])


def protocol_names(workspace: dict[str, Any]) -> list[str]:
    """The WorkSpace's protocols under the names the smart card rules use: ``DCV`` (the
    API's newer value, "DCV (formerly WSP)") is ``WSP`` (limits.toml ``[protocol_names]``)."""
    aliases = protocol_aliases()
    return [aliases.get(p.upper(), p.upper()) for p in protocols(workspace)]


def is_wsp(workspace: dict[str, Any]) -> bool:
    """The WorkSpace streams with WSP, whatever the API calls it (``WSP`` or ``DCV``)."""
    return "WSP" in protocol_names(workspace)


def protocol_shown(workspace: dict[str, Any]) -> str:
    """The protocol as the API returned it, and what the rules call it when they differ
    (``DCV (the renamed WSP)``)."""
    raw, named = protocols(workspace), protocol_names(workspace)
    text = "+".join(raw) or "not reported"
    if [p.upper() for p in raw] != named:
        text += f" (the renamed {'+'.join(named)})"
    return text


def _label(w: dict[str, Any]) -> str:
    return f"{w.get('WorkspaceId', '?')} (user {w.get('UserName', '?')})"


def _listing(items: list[dict[str, Any]]) -> str:
    shown = ", ".join(_label(w) for w in items[:LISTED_IN_MESSAGE])
    more = len(items) - LISTED_IN_MESSAGE
    return shown + (f" and {more} more (all are listed in the evidence)" if more > 0 else "")


def _new(rid: str, snap: WorkspacesSnapshot | None = None) -> CheckResult:
    r = CheckResult(rid)
    if snap is not None:
        r.evidence["directory"] = {"id": snap.directory_id, "region": snap.region,
                                   "registered_with_workspaces": snap.registered,
                                   "workspaces": len(snap.workspaces)}
    return r


def out_of_scope_reason(snap: WorkspacesSnapshot) -> str | None:
    """Why the directory is not evaluated at all: a WorkSpaces Pools directory, or one
    that uses certificate-based authentication (SAML 2.0 with AWS Private CA), are other
    features than this smart card sign-in (limits.toml ``[out_of_scope]``). None: in scope."""
    d = snap.directory or {}
    scope = out_of_scope()
    if str(d.get("WorkspaceType", "")).upper() == "POOLS":
        return (f"directory {snap.directory_id} is a WorkSpaces Pools directory (WorkspaceType POOLS): out of scope, "
                f"not evaluated; {scope['pools']} ({scope['pools_url']})")
    cba = d.get("CertificateBasedAuthProperties") or {}
    if str(cba.get("Status", "")).upper() == "ENABLED":
        return (f"directory {snap.directory_id} uses certificate-based authentication "
                f"(CertificateBasedAuthProperties.Status ENABLED): out of scope, not evaluated; "
                f"{scope['certificate_based_auth']} ({scope['certificate_based_auth_url']})")
    return None


def _blocked(snap: WorkspacesSnapshot) -> str | None:
    why = out_of_scope_reason(snap)
    if why:
        return why
    if not snap.registered:
        return f"directory {snap.directory_id} is not registered with WorkSpaces (see WSP-3)"
    if not snap.workspaces:
        return f"directory {snap.directory_id} has no WorkSpaces"
    return None


# --- WSP -------------------------------------------------------------------------------

def check_protocol(snap: WorkspacesSnapshot, baseline: str) -> CheckResult:
    """WSP-1: every WorkSpace of the directory streams with WSP (PCoIP has no smart cards)."""
    return judged_under_each_baseline(lambda b: _protocol(snap, b), baseline)


def _protocol(snap: WorkspacesSnapshot, baseline: str) -> CheckResult:
    allowed = smart_card_protocols(baseline)
    r = _new("WSP-1", snap)
    why = _blocked(snap)
    if why:
        return r.skip(why)
    by_protocol: dict[str, int] = {}
    wrong, unknown = [], []
    renamed = 0
    for w in snap.workspaces:
        ps, names = protocols(w), protocol_names(w)
        key = "+".join(ps) or "not reported"
        by_protocol[key] = by_protocol.get(key, 0) + 1
        if not ps:
            unknown.append(w)
        elif not set(names) <= set(allowed):
            wrong.append(w)
        elif [p.upper() for p in ps] != names:
            renamed += 1
    r.evidence["protocols"] = by_protocol
    if renamed:
        r.evidence["protocol_names"] = (f"{renamed} WorkSpaces report DCV, the current name of WSP "
                                        "(API reference: \"PCOIP or DCV (formerly WSP)\"): judged as WSP")
    if wrong:
        r.evidence["not_wsp"] = [{"WorkspaceId": w.get("WorkspaceId"), "UserName": w.get("UserName"),
                                  "Protocols": protocols(w)} for w in wrong]
        shown = sorted({"+".join(protocols(w)) for w in wrong})
        r.fail(
            f"{len(wrong)} of {len(snap.workspaces)} WorkSpaces of directory {snap.directory_id}",
            f"stream with {', '.join(shown)} (WorkspaceProperties.Protocols as DescribeWorkspaces returned it), "
            f"which does not support smart cards; only WSP does (called DCV in the current guides; the API "
            f"shows WSP or DCV): {_listing(wrong)}.",
            "Switch each to WSP/DCV: aws workspaces modify-workspace-properties --workspace-id <id> "
            "--workspace-properties Protocols=WSP (DCV where the API accepts the new name; WorkSpaces created "
            "from a PCoIP bundle, not Windows 7, not GPU-based), or migrate it to a WSP/DCV bundle.",
        )
    if unknown:
        r.warn(
            f"{len(unknown)} WorkSpaces of directory {snap.directory_id}",
            f"do not report their protocol (WorkspaceProperties.Protocols): {_listing(unknown)}.",
            "Check their bundles' protocol in the console; smart cards need WSP.",
        )
    return r


def check_operating_systems(snap: WorkspacesSnapshot, baseline: str) -> CheckResult:
    """WSP-2: Windows and Linux WorkSpaces; Linux ones on WSP only where the baseline has them."""
    return judged_under_each_baseline(lambda b: _operating_systems(snap, b), baseline)


def _operating_systems(snap: WorkspacesSnapshot, baseline: str) -> CheckResult:
    families = workspace_os_families(baseline)
    r = _new("WSP-2", snap)
    why = _blocked(snap)
    if why:
        return r.skip(why)
    counts: dict[str, int] = {}
    other, linux_wsp = [], []
    for w in snap.workspaces:
        fam = os_family(w)
        counts[fam] = counts.get(fam, 0) + 1
        if fam not in families:
            other.append(w)
        elif fam == "linux" and is_wsp(w):
            linux_wsp.append(w)
    r.evidence["operating_systems"] = counts
    if other:
        names = sorted({str((w.get("WorkspaceProperties") or {}).get("OperatingSystemName") or "not reported")
                        for w in other})
        r.fail(
            f"{len(other)} WorkSpaces of directory {snap.directory_id}",
            f"run an operating system other than Windows or Linux ({', '.join(names)}): {_listing(other)}.",
            "Smart cards are supported on Windows and Linux WorkSpaces: use a Windows or Amazon Linux bundle.",
        )
    allowed = linux_wsp_regions(baseline)
    r.evidence["linux_wsp_workspaces"] = len(linux_wsp)
    if linux_wsp and snap.region not in allowed:
        r.fail(
            f"{len(linux_wsp)} Linux WorkSpaces on WSP in {snap.region} (directory {snap.directory_id})",
            f"are documented only in {', '.join(allowed)}: {_listing(linux_wsp)}.",
            "Keep Linux WorkSpaces with smart cards in a documented Region, or use Windows WorkSpaces here.",
        )
    return r


def required_device_types(connect_from: Iterable[str], client_platform: str | None = None) -> list[str]:
    """The device types the directory must allow: what users connect from, plus the
    profile's client platform."""
    wanted = list(dict.fromkeys(connect_from))
    if client_platform and client_platform not in wanted:
        wanted.append(client_platform)
    return wanted


def check_device_access(snap: WorkspacesSnapshot, device_types: Iterable[str]) -> CheckResult:
    """WSP-3: registered with WorkSpaces, and every device type the users connect from allowed."""
    wanted = list(device_types)
    r = _new("WSP-3", snap)
    r.evidence["required_device_types"] = wanted
    why = out_of_scope_reason(snap)
    if why:
        return r.skip(why)
    if not snap.registered:
        state = (snap.directory or {}).get("State", "not registered")
        r.fail(
            f"directory {snap.directory_id} in {snap.region}",
            f"is not registered with WorkSpaces ({state}): users cannot reach WorkSpaces through it.",
            f"aws workspaces register-workspace-directory --directory-id {snap.directory_id}",
        )
        return r
    access = snap.access()
    r.evidence["workspace_access_properties"] = access
    for dev in wanted:
        member = DEVICE_TYPE_MEMBERS[dev]
        value = access.get(member, "not reported")
        if value != "ALLOW":
            r.fail(
                f"directory {snap.directory_id}",
                f"does not allow {dev} devices ({member} = {value}); the users connect from them "
                f"({'the Windows client needs it' if dev == 'windows' else 'profile: [workspaces].connect_from'}).",
                f"aws workspaces modify-workspace-access-properties --resource-id {snap.directory_id} "
                f"--workspace-access-properties {member}=ALLOW",
            )
    return r


# --- REGION ----------------------------------------------------------------------------

def check_pre_session_region(region: str, uses: Iterable[str], baseline: str) -> CheckResult:
    """REGION-1: pre-session authentication is available in the Region (per baseline)."""
    uses = list(uses)
    return judged_under_each_baseline(lambda b: _pre_session_region(region, uses, b), baseline)


def _pre_session_region(region: str, uses: list[str], baseline: str) -> CheckResult:
    regions = pre_session_regions(baseline)
    r = CheckResult("REGION-1")
    r.evidence.update({"region": region, "authentication": uses, "pre_session_regions": regions})
    if "pre-session" not in uses:
        return r.skip("smart cards are not used for pre-session authentication here ([profile].authentication)")
    if region not in regions:
        r.fail(
            f"Region {region}",
            "does not offer pre-session smart card authentication (sign-in with the card); "
            f"it is documented in {', '.join(regions)}.",
            f"Use a directory and WorkSpaces in {' or '.join(regions)} for sign-in with smart cards, "
            "or use the cards in-session only.",
        )
    return r


def check_in_session_region(region: str, uses: Iterable[str], baseline: str) -> CheckResult:
    """REGION-2: in-session authentication is available in the Region (every WSP Region)."""
    uses = list(uses)
    return judged_under_each_baseline(lambda b: _in_session_region(region, uses, b), baseline)


def _in_session_region(region: str, uses: list[str], baseline: str) -> CheckResult:
    regions = in_session_regions(baseline)
    r = CheckResult("REGION-2")
    r.evidence.update({"region": region, "authentication": uses, "wsp_regions": regions,
                       "wsp_regions_source": wsp_regions_source()})
    if "in-session" not in uses:
        return r.skip("smart cards are not used in-session here ([profile].authentication)")
    if region not in regions:
        r.fail(
            f"Region {region}",
            "does not support WSP, so smart cards cannot be used in-session there (in-session "
            "authentication is available in every Region where WSP is supported).",
            f"Use WorkSpaces in a Region with WSP: {', '.join(regions)}.",
        )
    return r


# --- fleet ------------------------------------------------------------------------------

@dataclass
class FleetAudit:
    region: str
    snapshots: list[WorkspacesSnapshot]
    results: dict[str, list[CheckResult]]  # directory ID -> WSP-1..WSP-3

    @property
    def workspaces(self) -> int:
        return sum(len(s.workspaces) for s in self.snapshots)

    def failed(self) -> dict[str, list[str]]:
        return {d: [r.requirement for r in rs if r.status is Status.FAILED]
                for d, rs in self.results.items() if any(r.status is Status.FAILED for r in rs)}


def audit_fleet(ws, region: str, baseline: str, device_types: Iterable[str] = ("windows",),
                page_size: int = PAGE_MAX) -> FleetAudit:
    """WSP-1..WSP-3 for every registered directory of a Region, read in the fewest calls."""
    wanted = list(device_types)
    snaps = read_fleet(ws, region, page_size)
    results = {
        s.directory_id: [check_protocol(s, baseline), check_operating_systems(s, baseline),
                         check_device_access(s, wanted)]
        for s in snaps
    }
    return FleetAudit(region, snaps, results)


# --- the simulated world ----------------------------------------------------------------

@dataclass
class WorkspacesWorld:
    """What :func:`seed_workspaces` built: the directory's WorkSpaces by user."""

    directory_id: str
    region: str
    registered: bool
    workspace_ids: dict[str, str] = field(default_factory=dict)  # user -> WorkSpace ID
    api_calls: int = 0
    seconds: float = 0.0


def seed_workspaces(env, directory_id: str, region: str, section) -> WorkspacesWorld:
    """Build the ``[workspaces]`` side of the simulated world through the API: register the
    directory with WorkSpaces, set its device access, create the WorkSpaces (25 per call)."""
    import time

    if not env.simulated:
        raise RuntimeError("seed_workspaces() builds simulated worlds only")
    started, mark = time.perf_counter(), env.recorder.mark()
    ws = env.client("workspaces", region)
    world = WorkspacesWorld(directory_id, region, section.registered)
    if not section.registered:
        return world
    ws.register_workspace_directory(DirectoryId=directory_id)
    access = section.device_access.as_api()
    if access:
        ws.modify_workspace_access_properties(ResourceId=directory_id, WorkspaceAccessProperties=access)
    requests = []
    for group, users in zip(section.groups, section.user_names()):
        for user in users:
            requests.append({
                "DirectoryId": directory_id, "UserName": user, "BundleId": group.bundle_id,
                "WorkspaceProperties": {"Protocols": [group.protocol], "OperatingSystemName": group.os},
            })
    for start in range(0, len(requests), PAGE_MAX):
        answer = ws.create_workspaces(Workspaces=requests[start:start + PAGE_MAX])
        if answer.get("FailedRequests"):
            failed = answer["FailedRequests"][0]
            raise EnvironmentProblem(
                f"building the simulated WorkSpaces failed: {failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
        for w in answer.get("PendingRequests", []):
            world.workspace_ids[w["UserName"]] = w["WorkspaceId"]
    world.api_calls = len(env.recorder.since(mark))
    world.seconds = time.perf_counter() - started
    return world


# --- procedures (change state: scratch resources, or the live sandbox) --------------------

@dataclass
class WorkspacesSandbox:
    """A WorkSpaces directory (and maybe a WorkSpace) a procedure scenario may change."""

    env: Any
    directory_id: str
    region: str
    created: bool
    workspace_id: str | None = None
    initial_access: dict[str, str] = field(default_factory=dict)
    last: Outcome | None = None

    @property
    def ws(self):
        return self.env.client("workspaces", self.region)

    def call(self, operation: str, **kwargs: Any) -> Outcome:
        self.last = call_api(self.ws, operation, **kwargs)
        return self.last

    def set_protocol(self, protocol: str, workspace_id: str | None = None) -> Outcome:
        return self.call("ModifyWorkspaceProperties", WorkspaceId=workspace_id or self.workspace_id,
                         WorkspaceProperties={"Protocols": [protocol]})

    def set_access(self, device_type: str, value: str, directory_id: str | None = None) -> Outcome:
        return self.call("ModifyWorkspaceAccessProperties", ResourceId=directory_id or self.directory_id,
                         WorkspaceAccessProperties={DEVICE_TYPE_MEMBERS[device_type]: value})

    def workspace(self) -> dict[str, Any]:
        return self.ws.describe_workspaces(WorkspaceIds=[self.workspace_id])["Workspaces"][0]

    def access(self) -> dict[str, str]:
        found = self.ws.describe_workspace_directories(DirectoryIds=[self.directory_id])["Directories"]
        return dict(found[0].get("WorkspaceAccessProperties") or {}) if found else {}

    def close(self) -> None:
        if self.created:
            try:
                if self.workspace_id:
                    self.ws.terminate_workspaces(TerminateWorkspaceRequests=[{"WorkspaceId": self.workspace_id}])
                self.ws.deregister_workspace_directory(DirectoryId=self.directory_id)
                self.env.client("ds", self.region).delete_directory(DirectoryId=self.directory_id)
            except Exception:
                pass
            return
        # live sandbox: put the device access back as it was
        now = self.access()
        changed = {k: v for k, v in self.initial_access.items() if now.get(k) != v and k in DEVICE_TYPE_MEMBERS.values()}
        if changed:
            self.ws.modify_workspace_access_properties(ResourceId=self.directory_id, WorkspaceAccessProperties=changed)


def open_workspaces_sandbox(env, *, procedure_region: str, allow_changes_for: str | None = None,
                            registered: bool = True, workspace: dict[str, Any] | None = None,
                            state: str = "AVAILABLE") -> WorkspacesSandbox:
    """A scratch AD Connector (registered with WorkSpaces unless told otherwise, with one
    WorkSpace when ``workspace`` gives its properties) in the simulated world; on real AWS
    the sandbox directory named with --allow-aws-changes, and no WorkSpace is created."""
    if env.simulated:
        from .world import create_directory

        region = procedure_region
        did = create_directory(env, region, "ADConnector", "sandbox.example.com", "SANDBOX")
        sb = WorkspacesSandbox(env, did, region, created=True)
        if registered:
            sb.ws.register_workspace_directory(DirectoryId=did)
        if workspace is not None:
            answer = sb.ws.create_workspaces(Workspaces=[{
                "DirectoryId": did, "UserName": "sandbox.user", "BundleId": "wsb-0sandbox1",
                "WorkspaceProperties": workspace}])
            sb.workspace_id = answer["PendingRequests"][0]["WorkspaceId"]
            if state != "AVAILABLE":
                from moto.workspaces.models import workspaces_backends

                from .env import MOTO_ACCOUNT_ID

                workspaces_backends[MOTO_ACCOUNT_ID][region].set_workspace_state(sb.workspace_id, state)
        return sb
    if not allow_changes_for:
        raise SandboxUnavailable(
            "procedure scenarios change state: on real AWS they run only with --allow-aws-changes DIRECTORY_ID "
            "naming a sandbox AD Connector")
    if workspace is not None or not registered:
        raise SandboxUnavailable(
            "needs a scratch WorkSpace (or an unregistered directory), which the harness does not create on real AWS")
    sb = WorkspacesSandbox(env, allow_changes_for, env.region, created=False)
    sb.initial_access = sb.access()
    return sb




def expect_protocol(sandbox: WorkspacesSandbox, protocol: str) -> CheckResult:
    r = CheckResult("procedure", f"DescribeWorkspaces shows the WorkSpace on {protocol}")
    shown = protocols(sandbox.workspace())
    r.evidence["protocols"] = shown
    if shown != [protocol]:
        r.fail(f"WorkSpace {sandbox.workspace_id}", f"shows protocols {shown}, expected [{protocol}].",
               "ModifyWorkspaceProperties did not take effect.")
    return r


def expect_access(sandbox: WorkspacesSandbox, device_type: str, value: str) -> CheckResult:
    member = DEVICE_TYPE_MEMBERS[device_type]
    r = CheckResult("procedure", f"The directory shows {member} = {value}")
    shown = sandbox.access()
    r.evidence["workspace_access_properties"] = shown
    if shown.get(member) != value:
        r.fail(f"directory {sandbox.directory_id}", f"shows {member} = {shown.get(member)}, expected {value}.",
               "ModifyWorkspaceAccessProperties did not take effect.")
    return r


def region_table(region: str) -> dict[str, Any]:
    """Where each kind of smart card use is documented, per baseline, and whether ``region``
    is among them (for the report; REGION-3's AD Connector list shown for reference)."""
    from ..limits import BASELINES, fact, smart_card_regions

    out: dict[str, Any] = {"region": region}
    for b in BASELINES:
        pre = pre_session_regions(b)
        ins = in_session_regions(b)
        out[b] = {
            "pre_session": {"regions": pre, "includes_region": region in pre,
                            "source": fact("pre_session_regions", b).citation()},
            "in_session": {"regions": ins, "includes_region": region in ins,
                           "source": fact("in_session_regions", b).citation()},
            "linux_wsp": {"regions": linux_wsp_regions(b), "includes_region": region in linux_wsp_regions(b)},
        }
    out["ad_connector_smart_card_regions (REGION-3)"] = {"regions": smart_card_regions(),
                                                         "includes_region": region in smart_card_regions()}
    return out
