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

#: msDS-SupportedEncryptionTypes bits (MS-KILE 2.2.7), by the names MS-KILE gives them.
ENCTYPE_BITS = {
    "DES_CBC_CRC": 0x1,
    "DES_CBC_MD5": 0x2,
    "RC4_HMAC_MD5": 0x4,
    "AES128_CTS_HMAC_SHA1_96": 0x8,
    "AES256_CTS_HMAC_SHA1_96": 0x10,
}
#: The bits of msDS-SupportedEncryptionTypes that name ticket encryption types (the
#: others are features: AES session keys 0x20, FAST, compound identity...).
ENCTYPE_MASK = 0x1F
#: What a KDC assumes for an account whose msDS-SupportedEncryptionTypes is not set (or
#: 0): the DefaultDomainSupportedEncTypes default of 0x27 (DES_CBC_CRC, DES_CBC_MD5,
#: RC4_HMAC_MD5, AES session keys) since the November 2022 updates (Microsoft KB5021131,
#: "How to manage the Kerberos protocol changes related to CVE-2022-37966"). Tickets
#: for such an account are RC4; DES is off on domain controllers since Windows Server
#: 2008 R2 unless allowed by policy.
DEFAULT_DOMAIN_SUPPORTED_ENCTYPES = 0x27
DEFAULT_ENCTYPES_SOURCE = ("Microsoft KB5021131: accounts without msDS-SupportedEncryptionTypes get "
                           "DefaultDomainSupportedEncTypes, 0x27 by default (RC4 tickets, AES session keys)")
#: The MIT Kerberos names (klist -e, KRB5_TRACE) of the same types.
MIT_ENCTYPES = {
    "des-cbc-crc": "DES_CBC_CRC",
    "des-cbc-md5": "DES_CBC_MD5",
    "arcfour-hmac": "RC4_HMAC_MD5",
    "rc4-hmac": "RC4_HMAC_MD5",
    "aes128-cts-hmac-sha1-96": "AES128_CTS_HMAC_SHA1_96",
    "aes256-cts-hmac-sha1-96": "AES256_CTS_HMAC_SHA1_96",
}


def enctype_names(value: int | None) -> list[str]:
    """The ticket encryption types named by a msDS-SupportedEncryptionTypes value."""
    v = DEFAULT_DOMAIN_SUPPORTED_ENCTYPES if not value else value
    return [name for name, bit in ENCTYPE_BITS.items() if v & bit]


def enctype_value(names) -> int:
    """The msDS-SupportedEncryptionTypes value of a list of MS-KILE names."""
    out = 0
    for n in names:
        out |= ENCTYPE_BITS[n]
    return out


def mit_enctype(name: str) -> str:
    """The MS-KILE name of an MIT enctype name (``DEPRECATED:arcfour-hmac`` included)."""
    n = name.strip().lower().removeprefix("deprecated:")
    return MIT_ENCTYPES.get(n, n)


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
    #: objectSid in its string form ("" when not read).
    object_sid: str = ""
    #: altSecurityIdentities values (explicit certificate mappings).
    alt_security_identities: list[str] = field(default_factory=list)
    #: msDS-SupportedEncryptionTypes; None when the attribute is not set.
    supported_encryption_types: int | None = None
    display_name: str = ""
    cn: str = ""

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
            "msDS-SupportedEncryptionTypes": describe_enctypes(self.supported_encryption_types),
        }


def describe_enctypes(value: int | None) -> str:
    """``24 (0x18: AES128_CTS_HMAC_SHA1_96, AES256_CTS_HMAC_SHA1_96)``, or what is assumed
    when the attribute is not set."""
    if not value:
        return (f"not set: the domain's default {DEFAULT_DOMAIN_SUPPORTED_ENCTYPES:#x} applies "
                f"({', '.join(enctype_names(None))})")
    return f"{value} ({value:#x}: {', '.join(enctype_names(value)) or 'no ticket encryption type'})"


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
    #: msDS-SupportedEncryptionTypes of the computer object; None when not set.
    supported_encryption_types: int | None = None

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
class NtAuthStore:
    """The forest's NTAuth store: ``cACertificate`` of
    ``CN=NTAuthCertificates,CN=Public Key Services,CN=Services,<configuration NC>``."""

    dn: str
    #: False when the object does not exist (no CA was ever published to NTAuth).
    exists: bool = True
    #: The cACertificate values, DER, as read.
    certificates: list[bytes] = field(default_factory=list)
    #: Why the store could not be read (then nothing above can be trusted).
    error: str = ""


@dataclass
class DomainSnapshot:
    """What the Active Directory domain holds that KCD-1..KCD-3 and KCD-7 judge, read once
    over LDAP from one domain controller: the AD Connector service account, the domain
    controllers, the other holders of its SPNs and the forest's NTAuth store.
    (AWS Directory Service's view of the same directory is
    :class:`wscard.aws.ad_connector.DirectoryServiceSnapshot`.)"""

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
    #: The forest's NTAuth store (KCD-7); None when it was not read.
    ntauth: NtAuthStore | None = None

    def evidence(self) -> dict:
        return {
            "domain": self.domain,
            "read_from": self.read_from,
            "service_account": self.service_account.describe(),
            "domain_controllers": [
                {"dn": dc.dn, "dNSHostName": dc.dns_host_name, "servicePrincipalName": dc.spns,
                 "msDS-SupportedEncryptionTypes": describe_enctypes(dc.supported_encryption_types)}
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
