"""Organization-scale audit: every AD Connector of several accounts (or of the whole
organization) in several Regions, with the read-only checks run per directory
(docs/fleet.md, issue 16).

* Accounts: the ``[fleet]`` list, or every ACTIVE account of the organization
  (``organizations:ListAccounts``), each reached by assuming ``[fleet].role_name`` with the
  session name ``[fleet].role_session_name``; with neither, the credentials' own account.
* Regions: the ``[fleet]`` list, or every Region where AD Connector offers smart card
  authentication (``limits.toml``, REGION-3) in the credentials' partition.
* Directories: every AD Connector there, or those matching ``directory_ids`` /
  ``directory_names`` / ``directory_tags``.
* An account or Region that cannot be read (role missing, access denied, Region not
  enabled) is an :class:`Unreadable` entry with the reason and the fix: never a silent gap.

Polite: a bounded pool of ``[fleet].workers`` threads works on one (account, Region) at a
time; clients are made once per (account, service, Region) by
:meth:`AwsEnvironment.session_client` (which registers the live write guard on every one
of them) with botocore's ``adaptive`` retry mode; every list is read at the service's
largest page and nothing is read twice (:func:`minimum_calls` is the count to compare).

Never imports pytest.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Sequence

from ..pki.checks import check_ca_format, check_ca_signatures
from ..checks import CheckResult, Status
from ..errors import EnvironmentProblem, ProfileError
from ..limits import smart_card_regions
from ..sections.fleet import FleetSection
from .. import verdict
from ..verdict import Outcome
from . import ad_connector as adc
from . import workspaces as wsp
from .env import AwsEnvironment, error_code

#: The requirements judged per directory, in the fleet table's column order.
DIRECTORY_REQUIREMENTS = ("AUTH-4", "REGION-3", "REGION-1", "REGION-2", "AUTH-3", "AUTH-5", "CA-1", "CA-2", "CA-4",
                          "CA-5", "CA-6", "CA-8", "WSP-1", "WSP-2", "WSP-3")
#: Judged once for the users' CA chain (the profile's; the API never returns a registered
#: certificate's body, so a directory's registrations are matched to it by name and expiry).
CHAIN_REQUIREMENTS = ("CA-3", "CA-7")
#: Which read each requirement rests on (a refused read leaves exactly these not evaluated).
NEEDS = {
    "ListCertificates": ("CA-1", "CA-2", "CA-4", "CA-5", "CA-6", "CA-8"),
    "DescribeClientAuthenticationSettings": ("AUTH-3", "AUTH-5"),
    "WorkSpaces": ("WSP-1", "WSP-2", "WSP-3"),
}
ORGANIZATIONS_PAGE_MAX = 20  # ListAccounts MaxResults 1..20
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
          "UnauthorizedException"}
NOT_ENABLED = {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "OptInRequired",
               "RegionDisabledException"}
POLICY = "docs/iam/wscard-audit-policy.json"


# --- scope ------------------------------------------------------------------------------

def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> (I, N), 1 <= I <= N. Raises ProfileError naming ``--shard``."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ProfileError(f"{text!r} is not I/N (e.g. 2/4: the second of four shards)", key="--shard") from None
    if not 1 <= i <= n:
        raise ProfileError(f"{text!r}: I must be 1 to N", key="--shard")
    return i, n


def shard_of(account: str, count: int) -> int:
    """The shard (1..count) an account belongs to: from a SHA-256 of its ID, so the slice
    is the same on every machine and does not move when other accounts come or go."""
    return 1 + int(hashlib.sha256(account.encode()).hexdigest(), 16) % count


#: ``[fleet]`` keys left out of the ``scope`` block of a fleet summary: the ExternalId the
#: roles' trust policies check (not written into reports) and the organization the
#: simulated world builds (not part of what the audit reads).
SCOPE_LEFT_OUT = ("external_id", "simulated")


def scope_record(section: FleetSection) -> dict[str, Any]:
    """The ``scope`` block of a fleet summary (``fleet.scope``): the ``[fleet]`` keys the
    audit ran with, except :data:`SCOPE_LEFT_OUT`, in the section's order (lists and
    tables copied). Two shards are of one audit only when their blocks are equal."""
    return {k: v for k, v in asdict(section).items() if k not in SCOPE_LEFT_OUT}


@dataclass
class Criteria:
    """What the checks judge against (from the profile)."""

    baseline: str
    authentication: list[str]
    chain: Sequence[Any]
    ocsp_url: str = ""
    ca_expiry_warning_days: int = 180
    device_types: list[str] = field(default_factory=lambda: ["windows"])

    @classmethod
    def from_profile(cls, profile, chain: Sequence[Any]) -> "Criteria":
        return cls(profile.profile.baseline, list(profile.profile.authentication), chain, profile.aws.ocsp_url,
                   profile.aws.ca_expiry_warning_days,
                   wsp.required_device_types(profile.workspaces.connect_from, profile.client.platform))


# --- results ----------------------------------------------------------------------------

def not_read_because(reason: str, fix: str) -> str:
    """The message of a requirement left not evaluated because a read failed: the reason,
    then the fix (``"<reason>. Fix: <fix>"``), in the results and in the fleet table."""
    return f"{reason}. Fix: {fix}"


@dataclass
class Unreadable:
    """An account, or an account's Region, that could not be read: not evaluated."""

    account: str
    region: str  # "*": every Region of the account
    reason: str
    fix: str
    code: str = ""
    account_name: str = ""

    @property
    def problem(self) -> str:
        """:func:`not_read_because` of this entry."""
        return not_read_because(self.reason, self.fix)

    def as_dict(self) -> dict[str, str]:
        return {"account": self.account, "account_name": self.account_name, "region": self.region,
                "reason": self.reason, "fix": self.fix, "code": self.code}


@dataclass
class DirectoryAudit:
    account: str
    account_name: str
    region: str
    directory_id: str
    name: str
    type: str
    results: list[CheckResult] = field(default_factory=list)
    #: requirement -> why it could not be judged (an environment problem, with the fix).
    problems: dict[str, str] = field(default_factory=dict)
    #: requirement -> a harness error (a check raised).
    errors: dict[str, str] = field(default_factory=dict)
    workspaces: int = 0
    certificates: int = 0


@dataclass
class FleetRun:
    scope: FleetSection  # the [fleet] section the audit ran with (command-line overrides applied)
    partition: str
    accounts_in_scope: list[str]  # before sharding
    accounts: list[tuple[str, str]]  # (ID, name) this run read (its shard)
    regions: list[str]
    regions_left_out: dict[str, str]  # Region -> why
    directories: list[DirectoryAudit] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    chain_results: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0
    calls_by_operation: dict[str, int] = field(default_factory=dict)

    @property
    def workspaces(self) -> int:
        return sum(d.workspaces for d in self.directories)


def _explain(code: str, message: str, service: str, operation: str, account: str, region: str) -> tuple[str, str]:
    if code in NOT_ENABLED:
        return (f"Region {region} is not enabled for account {account} ({service}:{operation} answered {code}: "
                f"{message})",
                f"Enable {region} for the account (AWS console, Account, AWS Regions) if directories belong there, "
                "or leave it out of [fleet].regions.")
    if code in DENIED:
        return (f"{service}:{operation} was refused in account {account}, {region} ({code}: {message})",
                f"Attach the read-only policy {POLICY} to the audit role in account {account}.")
    return (f"{service}:{operation} in account {account}, {region} answered {code}: {message}",
            "See the message; run the fleet audit again when the service answers.")


def _failure(exc: BaseException, service: str, operation: str, account: str, region: str) -> Unreadable:
    code = error_code(exc)
    if code is None:
        return Unreadable(account, region, f"cannot reach {service} in {region}: {exc}",
                          "Check the network and the Region name; run again.", "connection")
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", exc))
    reason, fix = _explain(code, message, service, operation, account, region)
    return Unreadable(account, region, reason, fix, code)


def _pages(call: Callable[..., dict], key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a paginated List/Describe call (ad_connector's one paginator)."""
    return adc._paginate(call, key, **kwargs)


#: The WorkSpace members the checks read (the rest is dropped to keep a large fleet small).
WORKSPACE_KEYS = ("WorkspaceId", "DirectoryId", "UserName", "State", "BundleId")
WORKSPACE_PROPERTY_KEYS = ("Protocols", "OperatingSystemName")


def slim_workspace(w: dict[str, Any]) -> dict[str, Any]:
    out = {k: w[k] for k in WORKSPACE_KEYS if k in w}
    props = w.get("WorkspaceProperties") or {}
    out["WorkspaceProperties"] = {k: props[k] for k in WORKSPACE_PROPERTY_KEYS if k in props}
    return out


# --- the auditor --------------------------------------------------------------------------

class FleetAuditor:
    """Runs the audit of ``scope`` (the profile's ``[fleet]`` section, validated, with any
    command-line overrides applied) against ``env`` (simulated or live) and returns a
    :class:`FleetRun`; the shard is :meth:`run`'s. Raises EnvironmentProblem when the scope
    itself cannot be read (ListAccounts refused, no credentials)."""

    def __init__(self, env: AwsEnvironment, scope: FleetSection, criteria: Criteria, *,
                 retry_mode: str = "adaptive"):
        self.env = env
        self.scope = scope
        self.criteria = criteria
        self.retry_mode = retry_mode
        self.home = env.region
        self._loader = None
        self._lock = threading.Lock()

    def role_arn(self, account: str, partition: str) -> str:
        """The audit role's ARN in ``account`` (``[fleet].role_name``)."""
        return f"arn:{partition}:iam::{account}:role/{self.scope.role_name}"

    # clients -----------------------------------------------------------------------------
    def _client(self, session, service: str, region: str, account: str):
        return self.env.session_client(session, service, region, account=account, retry_mode=self.retry_mode,
                                       pool=max(10, self.scope.workers))

    def _assume(self, account: str, partition: str):
        """A botocore session of the audit role in ``account`` whose credentials renew
        themselves (AssumeRole again shortly before they expire)."""
        import botocore.session
        from botocore.credentials import RefreshableCredentials

        sts = self._client(self.env.session, "sts", self.home, "")
        params: dict[str, Any] = {
            "RoleArn": self.role_arn(account, partition),
            "RoleSessionName": self.scope.role_session_name, "DurationSeconds": 3600}
        if self.scope.external_id:
            params["ExternalId"] = self.scope.external_id

        def fetch() -> dict[str, str]:
            c = sts.assume_role(**params)["Credentials"]
            return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "token": c["SessionToken"],
                    "expiry_time": c["Expiration"].isoformat()}

        creds = RefreshableCredentials.create_from_metadata(fetch(), refresh_using=fetch, method="sts-assume-role")
        with self._lock:
            bs = botocore.session.get_session()
            # one loader for every account: the service models are parsed once, not per account
            bs.register_component("data_loader", self._loader)
            bs._credentials = creds  # botocore's way to give a session credentials it refreshes
        return bs

    # scope -------------------------------------------------------------------------------
    def _accounts(self) -> list[tuple[str, str]]:
        if self.scope.accounts:
            return [(a, "") for a in dict.fromkeys(self.scope.accounts)]
        if self.scope.organization:
            org = self._client(self.env.session, "organizations", self.home, "")
            try:
                listed = _pages(org.list_accounts, "Accounts", MaxResults=ORGANIZATIONS_PAGE_MAX)
            except Exception as exc:
                code = error_code(exc)
                if code is None:
                    raise EnvironmentProblem(f"cannot reach AWS Organizations: {exc}") from None
                raise EnvironmentProblem(
                    f"cannot list the organization's accounts (organizations:ListAccounts answered {code}): run the "
                    "fleet audit with credentials of the management account or of a delegated administrator "
                    f"account, allowed organizations:ListAccounts ({POLICY}), or list the accounts in "
                    "[fleet].accounts.") from None
            return [(a["Id"], a.get("Name", "")) for a in listed
                    if (a.get("State") or a.get("Status")) == "ACTIVE"]
        return []

    def _regions(self, partition: str) -> tuple[list[str], dict[str, str]]:
        wanted = self.scope.regions or smart_card_regions()
        keep, left_out = [], {}
        for r in dict.fromkeys(wanted):
            try:
                p = self.env.session.get_partition_for_region(r)
            except Exception:
                p = "unknown"
            if p == partition:
                keep.append(r)
            else:
                left_out[r] = (f"in partition {p}; the credentials are for {partition}: audit it with credentials "
                               f"of that partition (a separate run)")
        return keep, left_out

    # the run -----------------------------------------------------------------------------
    def run(self, *, shard: tuple[int, int] | None = None) -> FleetRun:
        """The audit of the scope's accounts, or of those in ``shard`` ``(I, N)`` (:func:`shard_of`)."""
        started = time.perf_counter()
        mark = self.env.recorder.mark()
        session = self.env.session
        self._loader = session._session.get_component("data_loader")
        partition = session.get_partition_for_region(self.home)
        accounts = self._accounts()
        in_scope = [a for a, _ in accounts]
        own = not self.scope.accounts and not self.scope.organization
        if own:
            sts = self._client(session, "sts", self.home, "")
            try:
                accounts = [(sts.get_caller_identity()["Account"], "")]
            except Exception as exc:
                raise EnvironmentProblem(f"cannot identify the credentials' account (sts:GetCallerIdentity): {exc}") \
                    from None
            in_scope = [accounts[0][0]]
        if shard:
            accounts = [(a, n) for a, n in accounts if shard_of(a, shard[1]) == shard[0]]
        regions, left_out = self._regions(partition)
        run = FleetRun(self.scope, partition, in_scope, accounts, regions, left_out)
        for a, n in accounts:
            for r in (self.scope.regions and left_out) or ():
                run.unreadable.append(Unreadable(a, r, f"Region {r} is {left_out[r]}", "Run the fleet audit for that "
                                                 "partition with its own credentials.", "partition", n))
        results: list[tuple[list[DirectoryAudit], list[Unreadable]]] = []
        with ThreadPoolExecutor(max_workers=self.scope.workers, thread_name_prefix="wscard-fleet") as pool:
            def account_task(account: str, name: str) -> None:
                if own:
                    s = session
                else:
                    try:
                        s = self._assume(account, partition)
                    except Exception as exc:
                        u = _failure(exc, "sts", "AssumeRole", account, "*")
                        if u.code in DENIED:
                            u.reason = (f"the audit role {self.role_arn(account, partition)} cannot be assumed ({u.code}): the role is missing, "
                                        "or its trust policy does not trust these credentials")
                            u.fix = (f"Create the role {self.scope.role_name} in account {account} with the policy "
                                     f"{POLICY} and a trust policy for the auditing principal (README, 'Auditing an "
                                     "organization'), or leave the account out of [fleet].accounts.")
                        u.account_name = name
                        with self._lock:
                            results.append(([], [u]))
                        return
                for region in regions:
                    futures.append(pool.submit(unit_task, account, name, s, region))

            def unit_task(account: str, name: str, s, region: str) -> None:
                got = self._read_unit(account, name, s, region)
                with self._lock:
                    results.append(got)

            futures: list[Any] = []
            first = [pool.submit(account_task, a, n) for a, n in accounts]
            for f in first:
                f.result()
            for f in list(futures):
                f.result()
        for dirs, bad in results:
            run.directories += dirs
            run.unreadable += bad
        run.directories.sort(key=lambda d: (d.account, d.region, d.directory_id))
        run.unreadable.sort(key=lambda u: (u.account, u.region))
        chain = self.criteria.chain
        run.chain_results = [self._safe(rid, (lambda c=check, rid=rid: c(chain) if chain else
                                              CheckResult(rid).skip("the profile gives no CA chain ([pki])")))
                             for rid, check in (("CA-3", check_ca_format), ("CA-7", check_ca_signatures))]
        calls = self.env.recorder.since(mark)
        run.calls = len(calls)
        for c in calls:
            run.calls_by_operation[f"{c.service}:{c.operation}"] = run.calls_by_operation.get(
                f"{c.service}:{c.operation}", 0) + 1
        run.seconds = time.perf_counter() - started
        return run

    @staticmethod
    def _safe(rid: str, check: Callable[[], CheckResult]) -> CheckResult:
        try:
            return check()
        except Exception as exc:  # a check never lets an exception escape
            r = CheckResult(rid)
            r.evidence["harness_error"] = f"{type(exc).__name__}: {exc}"
            return r.skip(f"harness error: the check raised {type(exc).__name__}: {exc}")

    # one account's Region ------------------------------------------------------------------
    def _selected(self, d: dict[str, Any], ds, tags_cache: dict[str, dict[str, str]]) -> bool:
        sc = self.scope
        did = d.get("DirectoryId", "")
        if sc.directory_ids:
            if did not in sc.directory_ids:
                return False
        elif d.get("Type") != "ADConnector":
            return False
        if sc.directory_names:
            names = {str(d.get("Name", "")).lower(), str(d.get("ShortName", "")).lower()}
            if not names & {n.lower() for n in sc.directory_names}:
                return False
        if sc.directory_tags:
            tags = {t["Key"]: t.get("Value", "") for t in _pages(ds.list_tags_for_resource, "Tags", ResourceId=did)}
            tags_cache[did] = tags
            if any(tags.get(k) != v for k, v in sc.directory_tags.items()):
                return False
        return True

    def _read_unit(self, account: str, name: str, session, region: str) -> tuple[list[DirectoryAudit], list[Unreadable]]:
        ds = self._client(session, "ds", region, account)
        try:
            described = _pages(ds.describe_directories, "DirectoryDescriptions")
            tags: dict[str, dict[str, str]] = {}
            chosen = [d for d in described if self._selected(d, ds, tags)]
        except Exception as exc:
            u = _failure(exc, "ds", "DescribeDirectories", account, region)
            u.account_name = name
            return [], [u]
        audits: list[DirectoryAudit] = []
        snaps: dict[str, adc.DirectoryServiceSnapshot] = {}
        for d in chosen:
            did = d["DirectoryId"]
            audit = DirectoryAudit(account, name, region, did, d.get("Name", ""), d.get("Type", ""))
            snap = adc.DirectoryServiceSnapshot(did, region, d)
            if d.get("Type") == "ADConnector":
                try:
                    adc.read_settings(ds, snap, adc.SETTINGS_PAGE_MAX)
                except Exception as exc:
                    u = _failure(exc, "ds", "ListCertificates", account, region)
                    for rid in NEEDS["ListCertificates"] + NEEDS["DescribeClientAuthenticationSettings"]:
                        audit.problems[rid] = u.problem
            if adc.blocked(snap) is None:
                for op, code in snap.unsupported.items():
                    reason, fix = _explain(code, "refused", "ds", op, account, region)
                    for rid in NEEDS[op]:
                        audit.problems[rid] = not_read_because(reason, fix)
            audit.certificates = len(snap.certificates)
            snaps[did] = snap
            audits.append(audit)
        ws_snaps, ws_problem = self._read_workspaces(session, account, region, list(snaps))
        for audit in audits:
            snap = snaps[audit.directory_id]
            wsnap = ws_snaps.get(audit.directory_id) or wsp.WorkspacesSnapshot(audit.directory_id, region, None)
            if ws_problem:
                for rid in NEEDS["WorkSpaces"]:
                    audit.problems[rid] = ws_problem
            audit.workspaces = len(wsnap.workspaces)
            audit.results = self._judge(snap, wsnap)
        return audits, []

    def _read_workspaces(self, session, account: str, region: str,
                         directory_ids: list[str]) -> tuple[dict[str, wsp.WorkspacesSnapshot], str]:
        if not directory_ids:
            return {}, ""
        ws = self._client(session, "workspaces", region, account)
        snaps: dict[str, wsp.WorkspacesSnapshot] = {}
        op = "DescribeWorkspaceDirectories"
        try:
            for start in range(0, len(directory_ids), wsp.PAGE_MAX):
                chunk = directory_ids[start:start + wsp.PAGE_MAX]
                for d in _pages(ws.describe_workspace_directories, "Directories", DirectoryIds=chunk):
                    snaps[d["DirectoryId"]] = wsp.WorkspacesSnapshot(d["DirectoryId"], region, d)
            registered = [d for d, s in snaps.items() if s.registered]
            op = "DescribeWorkspaces"
            if registered and not self.scope.filtered:
                # every AD Connector of the Region is in scope: one listing of the Region
                for w in _pages(ws.describe_workspaces, "Workspaces", Limit=wsp.PAGE_MAX):
                    s = snaps.get(w.get("DirectoryId", ""))
                    if s is not None:
                        s.workspaces.append(slim_workspace(w))
            else:
                for did in registered:
                    snaps[did].workspaces = [slim_workspace(w) for w in _pages(
                        ws.describe_workspaces, "Workspaces", DirectoryId=did, Limit=wsp.PAGE_MAX)]
        except Exception as exc:
            u = _failure(exc, "workspaces", op, account, region)
            return {}, u.problem
        return snaps, ""

    def _judge(self, snap: adc.DirectoryServiceSnapshot, wsnap: wsp.WorkspacesSnapshot) -> list[CheckResult]:
        c = self.criteria
        region = snap.region
        checks: list[tuple[str, Callable[[], CheckResult]]] = [
            ("AUTH-4", lambda: adc.check_directory_type(snap)),
            ("REGION-3", lambda: adc.check_region(snap)),
            ("REGION-1", lambda: wsp.check_pre_session_region(region, c.authentication, c.baseline)),
            ("REGION-2", lambda: wsp.check_in_session_region(region, c.authentication, c.baseline)),
            ("AUTH-3", lambda: adc.check_smart_card_enabled(snap)),
            ("AUTH-5", lambda: adc.check_pre_session_type(snap, c.authentication)),
            ("CA-1", lambda: adc.check_issuing_ca_ocsp(snap, c.chain, c.ocsp_url)),
            # no waiting in a fleet: a registration still Registering is reported as such
            ("CA-2", lambda: adc.check_registration_states(snap, None, 0.0)),
            ("CA-4", lambda: adc.check_expiry_margin(snap)),
            ("CA-5", lambda: adc.check_chain_registered(snap, c.chain)),
            ("CA-6", lambda: adc.check_certificate_count(snap, len(c.chain))),
            ("CA-8", lambda: adc.check_details_and_expiry_warning(snap, c.ca_expiry_warning_days)),
            ("WSP-1", lambda: wsp.check_protocol(wsnap, c.baseline)),
            ("WSP-2", lambda: wsp.check_operating_systems(wsnap, c.baseline)),
            ("WSP-3", lambda: wsp.check_device_access(wsnap, c.device_types)),
        ]
        return [self._safe(rid, fn) for rid, fn in checks]


# --- the minimum ------------------------------------------------------------------------

@dataclass
class UnitFacts:
    """What one readable (account, Region) holds, for :func:`minimum_calls`."""

    directories: int  # AD Connectors
    certificates: int  # registrations over those directories
    workspaces: int  # of those directories
    registered: int | None = None  # directories registered with WorkSpaces (default: all)


def minimum_calls(*, organization_accounts: int | None, accounts: int,
                  units: Iterable[UnitFacts], refused_units: int) -> int:
    """The fewest API calls that can read the scope, at the services' largest pages:
    ListAccounts (20 a page), one AssumeRole per account (refused ones included), one
    refused call per Region not enabled, and per readable (account, Region): DescribeDirectories
    (one page: no documented maximum), per AD Connector ListCertificates (50 a page) +
    DescribeCertificate per registration + DescribeClientAuthenticationSettings (50 a page),
    DescribeWorkspaceDirectories (25 IDs a call), DescribeWorkspaces over the Region (25 a page)."""
    n = 0
    if organization_accounts is not None:
        n += max(1, math.ceil(organization_accounts / ORGANIZATIONS_PAGE_MAX))
    n += accounts + refused_units
    for u in units:
        n += 1
        if u.directories:
            n += u.directories * 2 + u.certificates
            n += math.ceil(u.directories / wsp.PAGE_MAX)
            if u.registered is None or u.registered:
                n += max(1, math.ceil(u.workspaces / wsp.PAGE_MAX))
    return n


def outcome_of(result: CheckResult) -> Outcome:
    """The scenario outcome a fleet check's result stands for: :func:`wscard.verdict.outcome_of`,
    except that a check that raised (skipped by ``FleetAuditor._safe`` with ``evidence["harness_error"]``)
    is a harness error."""
    if result.status is Status.SKIPPED and "harness_error" in result.evidence:
        return Outcome.ERROR
    return verdict.outcome_of(result)
