"""What the checks read from the directory: plain data, filled by :mod:`wscard.ad.ldap`
(or by a test), so the checks themselves need no directory."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

#: userAccountControl flags (MS-ADTS 2.2.16).
ACCOUNTDISABLE = 0x2
WORKSTATION_TRUST_ACCOUNT = 0x1000
SERVER_TRUST_ACCOUNT = 0x2000
TRUSTED_FOR_DELEGATION = 0x80000
NOT_DELEGATED = 0x100000
TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000
PARTIAL_SECRETS_ACCOUNT = 0x4000000

#: The LDAP_MATCHING_RULE_BIT_AND extensible match of Active Directory.
BIT_AND = "1.2.840.113556.1.4.803"
#: Extended key usage "KDC Authentication" (RFC 4556).
OID_KDC_AUTH = "1.3.6.1.5.2.3.5"

UAC_NAMES = {
    ACCOUNTDISABLE: "ACCOUNTDISABLE",
    WORKSTATION_TRUST_ACCOUNT: "WORKSTATION_TRUST_ACCOUNT",
    SERVER_TRUST_ACCOUNT: "SERVER_TRUST_ACCOUNT",
    TRUSTED_FOR_DELEGATION: "TRUSTED_FOR_DELEGATION",
    NOT_DELEGATED: "NOT_DELEGATED",
    TRUSTED_TO_AUTH_FOR_DELEGATION: "TRUSTED_TO_AUTH_FOR_DELEGATION",
    PARTIAL_SECRETS_ACCOUNT: "PARTIAL_SECRETS_ACCOUNT",
}


def uac_flags(uac: int) -> list[str]:
    """Names of the interesting flags set in a userAccountControl value."""
    return [name for bit, name in sorted(UAC_NAMES.items()) if uac & bit]


@dataclass
class Account:
    """An account (user, computer, managed service account) as read from the directory."""

    dn: str
    sam_account_name: str = ""
    user_principal_name: str = ""
    user_account_control: int = 0
    spns: list[str] = field(default_factory=list)
    allowed_to_delegate_to: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.sam_account_name or self.user_principal_name or self.dn

    def describe(self) -> dict:
        return {
            "dn": self.dn,
            "sAMAccountName": self.sam_account_name,
            "userPrincipalName": self.user_principal_name,
            "userAccountControl": f"{self.user_account_control} (0x{self.user_account_control:x}: "
            + (", ".join(uac_flags(self.user_account_control)) or "no delegation flags") + ")",
            "servicePrincipalName": list(self.spns),
            "msDS-AllowedToDelegateTo": list(self.allowed_to_delegate_to),
        }


@dataclass
class DomainController:
    """A domain controller's computer account."""

    dn: str
    dns_host_name: str
    sam_account_name: str = ""
    user_account_control: int = 0
    spns: list[str] = field(default_factory=list)
    #: Certificates published on the account (``userCertificate``), DER.
    published_certificates: list[bytes] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.dns_host_name or self.sam_account_name.rstrip("$") or self.dn

    @property
    def short_name(self) -> str:
        return (self.sam_account_name.rstrip("$") or self.dns_host_name.split(".")[0]).upper()


@dataclass
class SpnHolder:
    """An account that holds a given SPN, and where it was found."""

    spn: str
    dn: str
    sam_account_name: str = ""
    #: ``exact``: the same SPN (case-insensitive); ``alias``: ``host/<name>`` on another
    #: account, which covers this service class through sPNMappings.
    how: str = "exact"


@dataclass
class DirectorySnapshot:
    """Everything KCD-1..KCD-3 judge, read once from the directory."""

    domain: str
    service_account: Account
    domain_controllers: list[DomainController]
    #: Other accounts holding one of the service account's SPNs.
    spn_holders: list[SpnHolder] = field(default_factory=list)
    #: Where duplicates were searched: ``forest`` (global catalog) or ``domain``.
    spn_search_scope: str = "forest"
    #: Why the forest-wide search was not possible (a warning), if it was not.
    spn_search_note: str = ""
    #: The domain controller the harness read the directory from.
    read_from: str = ""

    def evidence(self) -> dict:
        return {
            "domain": self.domain,
            "read_from": self.read_from,
            "service_account": self.service_account.describe(),
            "domain_controllers": [
                {"dn": dc.dn, "dNSHostName": dc.dns_host_name, "servicePrincipalName": dc.spns}
                for dc in self.domain_controllers
            ],
            "duplicate_spn_search": self.spn_search_scope,
            "spn_holders": [h.__dict__ for h in self.spn_holders],
        }


@dataclass
class CertificateProbe:
    """The certificate a domain controller presented on LDAPS/StartTLS (or why not)."""

    dc: str
    address: str = ""
    port: int = 0
    certificate: x509.Certificate | None = None
    chain_ok: bool | None = None
    chain_error: str = ""
    error: str = ""
