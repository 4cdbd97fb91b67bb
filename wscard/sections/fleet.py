"""``[fleet]``: an audit beyond one directory: every AD Connector of several accounts (or of
the whole organization) in several Regions, read-only, in parallel (``wscard fleet``;
docs/fleet.md). ``[aws].mode`` says where AWS is; ``[aws].region`` is the home Region of
the credentials (STS and Organizations are called there; it fixes the partition).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ProfileError
from ..profile import section

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
#: IAM role names (IAM API reference, CreateRole.RoleName) and STS session names
#: (AssumeRole.RoleSessionName).
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$")
DIRECTORY_ID = re.compile(r"^d-[0-9a-f]{10}$")
MAX_WORKERS = 64


@dataclass
class SimulatedOrganization:
    """The organization the simulated world builds (``[aws].mode`` embedded or server)."""

    #: Member accounts besides the management account (which holds no directory).
    accounts: int = 5
    #: Regions the members' AD Connectors are in.
    regions: list[str] = field(default_factory=lambda: ["us-east-1", "us-west-2", "eu-west-1"])
    #: AD Connector directories per account and Region.
    directories_per_region: int = 1
    #: WorkSpaces per directory (Windows on WSP).
    workspaces_per_directory: int = 10
    #: How many member accounts (the last ones) have no audit role: AssumeRole is refused.
    missing_role_accounts: int = 1
    #: How many member accounts (before those) have ``disabled_region`` not enabled.
    disabled_region_accounts: int = 1
    #: The opt-in Region left disabled in those accounts.
    disabled_region: str = "eu-west-1"
    #: Plant non-compliances: a PCoIP WorkSpace (WSP-1) in the first account's directories
    #: of the second Region, smart card authentication disabled (AUTH-3) in the second
    #: account's first Region.
    plant_findings: bool = True


@section("fleet")
@dataclass
class FleetSection:
    #: Account IDs (12 digits) to audit. Empty, with ``organization = false``: the
    #: credentials' own account, without assuming a role.
    accounts: list[str] = field(default_factory=list)
    #: ``true``: every ACTIVE account of the organization (``organizations:ListAccounts``;
    #: the credentials must be the management account's or a delegated administrator's).
    organization: bool = False
    #: The role assumed in each account (``arn:<partition>:iam::<account>:role/<role_name>``);
    #: it needs the read-only policy ``docs/iam/wscard-audit-policy.json``.
    role_name: str = "wscard-audit"
    #: The session name of each assumed role: it shows in CloudTrail who read.
    role_session_name: str = "wscard-audit"
    #: ExternalId the role's trust policy requires (empty: none).
    external_id: str = ""
    #: Regions to read. Empty: every Region where AD Connector offers smart card
    #: authentication (``wscard/data/limits.toml``, REGION-3) in the credentials' partition.
    regions: list[str] = field(default_factory=list)
    #: Only these directories (IDs). Empty: every AD Connector found.
    directory_ids: list[str] = field(default_factory=list)
    #: Only directories with one of these names (the domain's DNS name or NetBIOS name,
    #: case-insensitive). Empty: any name.
    directory_names: list[str] = field(default_factory=list)
    #: Only directories carrying all these tags (key = value; ``ds:ListTagsForResource``).
    directory_tags: dict[str, str] = field(default_factory=dict)
    #: Parallel workers across accounts and Regions (each reads one account's Region).
    workers: int = 8
    #: The organization the simulated world builds.
    simulated: SimulatedOrganization = field(default_factory=SimulatedOrganization)

    @property
    def filtered(self) -> bool:
        """Whether ``directory_ids``, ``directory_names`` or ``directory_tags`` narrow the
        directories read (then WorkSpaces are listed per directory, not per Region)."""
        return bool(self.directory_ids or self.directory_names or self.directory_tags)

    def validate(self, profile) -> None:
        for a in self.accounts:
            if not ACCOUNT_ID.match(a):
                raise ProfileError(f"{a!r} is not an account ID (12 digits)", key="[fleet].accounts")
        if self.accounts and self.organization:
            raise ProfileError("give either accounts or organization = true, not both", key="[fleet].organization")
        if not ROLE_NAME.match(self.role_name):
            raise ProfileError("must be an IAM role name (1-64 of letters, digits, _+=,.@-)", key="[fleet].role_name")
        if not SESSION_NAME.match(self.role_session_name):
            raise ProfileError("must be 2-64 of letters, digits, _+=,.@-", key="[fleet].role_session_name")
        for r in self.regions:
            if not REGION_NAME.match(r):
                raise ProfileError(f"{r!r} is not a Region name (e.g. us-gov-west-1)", key="[fleet].regions")
        for d in self.directory_ids:
            if not DIRECTORY_ID.match(d):
                raise ProfileError(f"{d!r} must look like d-1234567890", key="[fleet].directory_ids")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ProfileError(f"must be 1 to {MAX_WORKERS}", key="[fleet].workers")
        sim = self.simulated
        if sim.missing_role_accounts + sim.disabled_region_accounts > sim.accounts:
            raise ProfileError("more broken accounts than accounts", key="[fleet.simulated].accounts")
