"""``[aws]``: where the AWS side is (simulated or real) and, for a simulated
world, what the directory looks like."""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

from ..errors import ProfileError
from ..profile import section
from ..regions import region_problem
from ..service_faults import FAULTS

Mode = Literal["embedded", "server", "endpoint", "live"]
ClientAuth = Literal["disabled", "SmartCard", "SmartCardOrPassword"]
CertState = Literal["Registered", "Registering", "RegisterFailed", "Deregistering", "Deregistered", "DeregisterFailed"]


@dataclass
class DirectorySpec:
    #: Directory type. Embedded/server: the type of directory the simulated world
    #: creates. Live: informational (the type is read from AWS).
    type: Literal["ADConnector", "MicrosoftAD", "SimpleAD"] = "ADConnector"
    #: Directory ID (``d-`` followed by 10 hex digits). Required for live and endpoint
    #: modes; generated in the simulated world.
    id: str = ""
    #: Fully qualified domain name of the on-premises domain.
    name: str = "corp.example.com"
    #: NetBIOS name.
    short_name: str = "CORP"
    #: Simulated world: the service account user name given to AD Connector
    #: (ConnectDirectory ``ConnectSettings.CustomerUserName``, which KCD-5 compares with
    #: the domain). Empty: the sAMAccountName of ``[ad].service_account``
    #: (``wscard.profile.directory_user_name``). Live: read from AWS (DescribeDirectories).
    customer_user_name: str = ""


@dataclass
class RegisteredCertificate:
    """A CA certificate registration in the simulated world."""

    #: ``pki:<name>`` for a certificate of the test PKI (``pki:root``,
    #: ``pki:intermediate`` ...), or a path to a PEM or DER file.
    source: str
    #: ``ClientCertAuth`` (smart cards) or ``ClientLDAPS`` (client-side LDAPS, a
    #: common mix-up that does not count for smart cards).
    type: Literal["ClientCertAuth", "ClientLDAPS"] = "ClientCertAuth"
    #: OCSP responder URL stored with the registration (ClientCertAuthSettings.OCSPUrl);
    #: empty for none.
    ocsp_url: str = ""
    #: Days since the registration. 0 registers it through the API during set-up (all of
    #: the service's rules apply); more than 0 restores a registration made back then
    #: (the 90-day rule is judged at that date, as the service judged it).
    registered_days_ago: int = 0
    #: State of the registration. Anything but Registered is restored as it is.
    state: CertState = "Registered"
    #: StateReason for a failed state.
    state_reason: str = ""


@section("aws")
@dataclass
class AwsSection:
    #: ``embedded``: moto in this process; ``server``: a moto HTTP server the harness
    #: starts on 127.0.0.1; ``endpoint``: an AWS-compatible endpoint at
    #: ``endpoint_url``; ``live``: real AWS through the normal boto3 credential chain.
    #: ``--aws`` overrides it.
    mode: Mode = "embedded"
    #: Region of the directory. Checked against the Regions the installed botocore knows
    #: (its endpoint data): the simulated world needs a Region with both Directory Service
    #: and WorkSpaces; in live
    #: and endpoint modes a Region botocore does not know is a warning when it fits a known
    #: partition (a Region newer than botocore), an error otherwise (see
    #: ``allow_unknown_region``).
    region: str = "us-gov-west-1"
    #: Live and endpoint modes: accept a ``region`` that fits no partition the installed
    #: botocore knows (a Region of a partition newer than botocore), with a warning.
    #: Updating boto3 and botocore is the better fix.
    allow_unknown_region: bool = False
    #: For ``endpoint`` mode: the endpoint URL.
    endpoint_url: str = ""
    #: For ``endpoint`` mode: the endpoint is a simulation you started (``wscard
    #: moto-server``), so mutating calls are not guarded. Otherwise an endpoint is guarded
    #: like live AWS whatever its address (a port-forward on 127.0.0.1 may reach real
    #: AWS). ``--simulated-endpoint`` sets it. Never set it for an endpoint that forwards
    #: to AWS.
    endpoint_simulated: bool = False
    #: The directory under test.
    directory: DirectorySpec = field(default_factory=DirectorySpec)
    #: The OCSP responder URL that should be registered with the issuing CA
    #: (ClientCertAuthSettings.OCSPUrl, CA-1). Empty: not checked.
    ocsp_url: str = ""
    #: Warn when a registered CA certificate expires within this many days (CA-8).
    ca_expiry_warning_days: int = 180
    #: Longest wait for a registration to reach ``Registered`` (CA-2), seconds.
    registration_timeout_seconds: float = 300.0
    #: Region used by the procedure scenarios' scratch directories in the simulated
    #: world (they need smart card authentication to exist there).
    procedure_region: str = "us-gov-west-1"

    # --- simulated world only (embedded, server) -------------------------------
    #: CA certificates registered on the simulated directory.
    certificates: list[RegisteredCertificate] = field(default_factory=list)
    #: Client authentication of the simulated directory.
    client_authentication: ClientAuth = "disabled"
    #: Seconds a registration stays ``Registering`` before ``Registered``.
    registration_delay_seconds: float = 0.0
    #: Seconds a deregistered certificate stays ``Deregistering`` before ``Deregistered``.
    deregistration_delay_seconds: float = 0.0
    #: Deliberate deviations of the simulated service from the documented API, used by
    #: fault profiles to show that the procedure scenarios catch them (see
    #: ``wscard.service_faults``).
    service_faults: list[str] = field(default_factory=list)

    @property
    def simulated(self) -> bool:
        return self.mode in ("embedded", "server")

    def validate(self, profile) -> None:
        checks = [("region", self.simulated)] + ([("procedure_region", True)] if self.simulated else [])
        for key, simulated in checks:
            error, warning = region_problem(getattr(self, key), simulated=simulated,
                                            allow_unknown=self.allow_unknown_region)
            if error:
                raise ProfileError(error, key=f"[aws].{key}")
            if warning:
                profile.warn(warning, key=f"[aws].{key}")
        if self.mode == "endpoint":
            u = urlparse(self.endpoint_url)
            if u.scheme not in ("http", "https") or not u.hostname:
                raise ProfileError(
                    "mode 'endpoint' needs endpoint_url = 'http(s)://host:port'", key="[aws].endpoint_url"
                )
        if self.endpoint_simulated and self.mode != "endpoint":
            raise ProfileError(f"applies to mode 'endpoint' only (the mode is '{self.mode}')",
                               key="[aws].endpoint_simulated")
        name = self.directory.customer_user_name
        if name and not re.fullmatch(r"[a-zA-Z0-9._-]+", name):
            raise ProfileError(
                f"{name!r} cannot be set on a simulated AD Connector: the API takes only letters, digits, '.', '_' "
                "and '-' (ConnectSettings.CustomerUserName pattern ^[a-zA-Z0-9._-]+$); a UPN or DOMAIN\\name given "
                "to a real AD Connector is KCD-5's finding, tested by its unit tests", key="[aws.directory].customer_user_name")
        if self.mode in ("live", "endpoint"):
            if self.directory.customer_user_name:
                raise ProfileError(
                    f"describes the simulated AD Connector and cannot be used in mode '{self.mode}' (the user name "
                    "AD Connector uses is read from AWS: DescribeDirectories ConnectSettings.CustomerUserName)",
                    key="[aws.directory].customer_user_name")
            for key in ("certificates", "service_faults"):
                if getattr(self, key):
                    raise ProfileError(
                        f"describes a simulated world and cannot be used in mode '{self.mode}' "
                        "(the directory's registrations are read from AWS)",
                        key=f"[aws].{key}",
                    )
        if self.directory.id:

            if not re.fullmatch(r"d-[0-9a-f]{10}", self.directory.id):
                raise ProfileError("must look like d-1234567890 (d- and 10 hex digits)", key="[aws.directory].id")
        for name in self.service_faults:
            if name not in FAULTS:
                raise ProfileError(
                    f"unknown service fault {name!r}; known: {', '.join(sorted(FAULTS))}", key="[aws].service_faults"
                )
