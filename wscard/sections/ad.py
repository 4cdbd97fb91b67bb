"""``[ad]``: the Active Directory domain behind the AD Connector (KCD-1..KCD-4).

``mode = "samba"`` starts a private Samba AD DC on a loopback address for the run (the
embedded world and the fault profiles; ``[ad.samba]`` describes, and can break, its
configuration). ``mode = "ldap"`` reads an existing domain (a lab) at ``ldap_url``,
read-only. ``mode = "none"`` (the default of a profile without ``[ad]``): the ``@ad``
scenarios are skipped. See ``docs/ad.md``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

from ..errors import ProfileError
from ..profile import PathValue, section

Mode = Literal["none", "samba", "ldap"]
SpnVariant = Literal["unique", "none", "duplicate"]
Delegation = Literal["constrained-any-protocol", "constrained-kerberos-only", "unconstrained",
                     "unconstrained-with-list"]

#: Kerberos encryption types by their MS-KILE names (msDS-SupportedEncryptionTypes bits).
EncType = Literal["DES_CBC_CRC", "DES_CBC_MD5", "RC4_HMAC_MD5", "AES128_CTS_HMAC_SHA1_96", "AES256_CTS_HMAC_SHA1_96"]
#: altSecurityIdentities mapping kinds (Microsoft KB5014754): the first three are strong.
MappingKind = Literal["X509IssuerSerialNumber", "X509SKI", "X509SHA1PublicKey", "X509IssuerSubject",
                      "X509SubjectOnly", "X509RFC822"]
AES = ["AES128_CTS_HMAC_SHA1_96", "AES256_CTS_HMAC_SHA1_96"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,13}[A-Za-z0-9])?")


@dataclass
class SambaSpec:
    """The simulated domain controller (``mode = "samba"`` only)."""

    #: Fully qualified host name of the simulated domain controller. Empty: the first
    #: name of the test PKI's domain controller certificate (``[pki].dc_dns_names``), so
    #: that the certificate Samba presents names it.
    dc_hostname: str = ""
    #: Loopback address Samba listens on (ports 88, 389, 636, 3268, 3269, 464). Samba
    #: binds only to addresses an interface has: normally 127.0.0.1. Runs on one machine
    #: take turns (a lock in the cache folder).
    address: str = "127.0.0.1"
    #: The service principal name given to the service account (``setspn -s``). Empty:
    #: ``adconnector/<service account>.<domain>``.
    service_spn: str = ""
    #: ``unique``: the service account holds ``service_spn`` alone; ``none``: it has no
    #: SPN (breaks KCD-1); ``duplicate``: another account (``svc-legacy``) holds the same
    #: SPN too, written below Samba's uniqueness check as a duplicate that replication or
    #: another domain of the forest left behind (breaks KCD-1).
    spn: SpnVariant = "unique"
    #: The Delegation tab's choice: ``constrained-any-protocol`` ("Trust this user for
    #: delegation to specified services only" + "Use any authentication protocol");
    #: ``constrained-kerberos-only`` ("Use Kerberos only", breaks KCD-2);
    #: ``unconstrained`` ("Trust this user for delegation to any service", breaks KCD-2);
    #: ``unconstrained-with-list`` (TRUSTED_FOR_DELEGATION set, by PowerShell or ADSI Edit,
    #: while msDS-AllowedToDelegateTo keeps its list: breaks KCD-2).
    delegation: Delegation = "constrained-any-protocol"
    #: Further domain controller accounts (short host names such as ``dc2``) created in
    #: ``OU=Domain Controllers``. They exist in the directory only: nothing answers for
    #: them, so KCD-4 cannot read their certificates (a warning).
    extra_dcs: list[str] = field(default_factory=list)
    #: Whose ``ldap`` service the service account may delegate to: ``all`` domain
    #: controllers, only the ``first`` (breaks KCD-3 when ``extra_dcs`` is set), or
    #: ``none``: an empty msDS-AllowedToDelegateTo whatever the flags (breaks KCD-2).
    delegate_to: Literal["all", "first", "none"] = "all"
    #: msDS-AllowedToDelegateTo of the service account exactly as written here (any case
    #: and SPN form: ``LDAP/DC1.CORP.EXAMPLE.COM``, the three-part
    #: ``ldap/dc1.corp.example.com/corp.example.com``, the NetBIOS ``ldap/DC1`` that Active
    #: Directory Users and Computers adds, ``ldap/dc1.corp.example.com:389``), instead of
    #: what ``delegate_to`` gives (``ldap/<fqdn>`` and ``ldap/<NETBIOS>`` of each domain
    #: controller). The KDC honours an entry only in the form a ticket is asked for,
    #: ``ldap/<the DC's DNS name>``, without regard to case (KCD-3).
    delegate_to_values: list[str] = field(default_factory=list)
    #: The kind of account that holds the duplicate SPN in the ``spn = "duplicate"``
    #: variant: a ``user`` (``svc-legacy``) or a ``computer`` (``LEGACY-APP$``).
    duplicate_holder_type: Literal["user", "computer"] = "user"
    #: The test PKI certificate the domain controller presents: ``dc`` (with the KDC
    #: Authentication EKU) or ``dc-no-kdc`` (without it, breaks KCD-4).
    dc_certificate: Literal["dc", "dc-no-kdc"] = "dc"
    #: Longest wait for the domain controller to answer after it is started, seconds.
    start_timeout_seconds: float = 20.0
    #: Kerberos policy of the simulated domain controller: the longest service ticket its
    #: KDC issues, in hours (Samba's ``kdc:service ticket lifetime``; Active Directory's
    #: "Maximum lifetime for service ticket", 600 minutes by default). At most the user
    #: ticket lifetime, 10 hours. A pre-session WorkSpaces session is limited by it
    #: (SESSION-8).
    service_ticket_lifetime_hours: int = 10
    #: The service account's user logon name, the local part of its userPrincipalName
    #: (``<name>@<domain>``), when it differs from its sAMAccountName
    #: (``[ad].service_account``), e.g. a long logon name whose pre-Windows 2000 name was
    #: cut to 20 characters. Empty: the sAMAccountName (KCD-5).
    service_account_logon_name: str = ""
    #: The service account's displayName. Empty: none (KCD-5).
    service_account_display_name: str = ""
    #: msDS-SupportedEncryptionTypes of the service account, by MS-KILE name
    #: (``DES_CBC_CRC``, ``DES_CBC_MD5``, ``RC4_HMAC_MD5``, ``AES128_CTS_HMAC_SHA1_96``,
    #: ``AES256_CTS_HMAC_SHA1_96``): the "This account supports Kerberos AES ... encryption"
    #: boxes. Empty: the attribute is not set and the domain's default applies (RC4
    #: tickets: DefaultDomainSupportedEncTypes 0x27, Microsoft KB5021131) (KCD-6).
    service_account_encryption_types: list[EncType] = field(default_factory=lambda: list(AES))
    #: The Kerberos encryption types the domain controllers allow: the Group Policy
    #: "Network security: Configure encryption types allowed for Kerberos", which a
    #: Windows DC also writes to its computer object's msDS-SupportedEncryptionTypes.
    #: Written to each DC account and to Samba's ``kdc supported enctypes``. The default
    #: is what Samba provisions (RC4 and AES, 0x1C), with the KDC's own default (KCD-6).
    dc_encryption_types: list[EncType] = field(
        default_factory=lambda: ["RC4_HMAC_MD5", "AES128_CTS_HMAC_SHA1_96", "AES256_CTS_HMAC_SHA1_96"])
    #: The certificates of the test PKI (``intermediate``, ``root``, ``other-root``...)
    #: published to the forest's NTAuth store (``cACertificate`` of
    #: ``CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,...``,
    #: what ``certutil -dspublish -f ca.cer NTAuthCA`` writes). Empty: the object does not
    #: exist (no CA was ever published). The issuing CA (``intermediate``) must be there
    #: (KCD-7). Written when the domain controller starts, from the day's PKI.
    ntauth: list[str] = field(default_factory=lambda: ["intermediate"])
    #: altSecurityIdentities of the test user: the mappings of the test user's
    #: certificate to write, by kind (``X509IssuerSerialNumber``, ``X509SKI``,
    #: ``X509SHA1PublicKey`` are strong; ``X509IssuerSubject``, ``X509SubjectOnly``,
    #: ``X509RFC822`` weak), in the string forms of Microsoft KB5014754. Written when the
    #: domain controller starts, from the day's PKI. With ``[pki].user_sid_extension =
    #: "none"``, a strong kind here keeps UC-7 passing; a weak one alone breaks it.
    alt_security_identities: list[MappingKind] = field(default_factory=list)


@section("ad")
@dataclass
class AdSection:
    #: ``samba``: a private Samba AD DC started for the run (embedded world);
    #: ``ldap``: an existing domain read over LDAP at ``ldap_url`` (lab); ``none``: no
    #: directory, the ``@ad`` scenarios are skipped.
    mode: Mode = "none"
    #: DNS name of the domain. Empty: ``[aws.directory].name`` (``wscard.profile.domain_name``).
    domain: str = ""
    #: NetBIOS name of the domain. Empty: ``[aws.directory].short_name`` (``wscard.profile.netbios_name``).
    netbios_domain: str = ""
    #: Kerberos realm. Empty: the domain name in capitals (``wscard.profile.realm_name``).
    realm: str = ""
    #: Ldap mode: the domain controller to read, ``ldaps://dc1.corp.example.com`` (TLS
    #: from the start, port 636) or ``ldap://dc1.corp.example.com`` (StartTLS on 389).
    #: The server certificate is always verified against ``ca_bundle``.
    ldap_url: str = ""
    #: Ldap mode: the global catalog, for the forest-wide search for duplicate SPNs
    #: (KCD-1). Empty: the host of ``ldap_url`` on port 3269 (ldaps) or 3268 (StartTLS).
    global_catalog_url: str = ""
    #: Ldap mode: PEM file with the CA certificates that issued the domain controllers'
    #: certificates. Empty: the system's trusted CAs. (Samba mode: the test PKI's.)
    ca_bundle: PathValue = PathValue("")
    #: The AD Connector service account: its sAMAccountName (``svc-adconnector``) or
    #: userPrincipalName (``svc-adconnector@corp.example.com``).
    service_account: str = "svc-adconnector"
    #: Ldap mode: the account the harness binds with (UPN, ``DOMAIN\\name`` or DN); it
    #: only reads. Empty: the service account.
    bind_user: str = ""
    #: Name of the environment variable holding ``bind_user``'s password (asked for on
    #: the terminal when it is not set). Never put a password in a profile.
    password_env: str = "WSCARD_AD_PASSWORD"
    #: Name of the environment variable holding the service account's password, for the
    #: delegation proof (KCD-2, KCD-3). When it is not set and ``bind_user`` is the
    #: service account, ``password_env`` is used.
    service_password_env: str = "WSCARD_AD_SERVICE_PASSWORD"
    #: The user the delegation proof acts for (S4U2Self): a sAMAccountName. Empty in ldap
    #: mode: the proof is skipped. Samba mode: the local part of ``[pki].upn``.
    test_user: str = ""
    #: A service principal name the service account must NOT be able to delegate to (the
    #: proof that delegation is constrained). Empty: ``host/<domain controller>``.
    unlisted_service: str = ""
    #: Prove delegation at the KDC (``kinit`` + ``kvno -U``, S4U2Self + S4U2Proxy), not
    #: just read the attributes. Needs MIT Kerberos (``krb5-user``).
    delegation_proof: bool = True
    #: Ldap mode: KDCs as ``host`` or ``host:port``. Empty: the domain controllers found
    #: in the directory.
    kdc: list[str] = field(default_factory=list)
    #: Host name -> IP address, for domain controller names that DNS does not resolve
    #: from this machine (like /etc/hosts, for the harness only).
    addresses: dict[str, str] = field(default_factory=dict)
    #: Timeout of each network operation (connect, bind, search, handshake), seconds.
    timeout_seconds: float = 10.0
    #: The simulated domain controller (samba mode).
    samba: SambaSpec = field(default_factory=SambaSpec)

    def validate(self, profile) -> None:
        for key in ("password_env", "service_password_env"):
            if not _ENV_NAME.fullmatch(getattr(self, key)):
                raise ProfileError("must be the name of an environment variable", key=f"[ad].{key}")
        if self.timeout_seconds <= 0:
            raise ProfileError("must be more than 0", key="[ad].timeout_seconds")
        for key in ("ldap_url", "global_catalog_url"):
            url = getattr(self, key)
            if url:
                u = urlparse(url)
                if u.scheme not in ("ldap", "ldaps") or not u.hostname:
                    raise ProfileError(
                        "must be ldaps://host[:port] (TLS) or ldap://host[:port] (StartTLS)", key=f"[ad].{key}"
                    )
        for name, addr in self.addresses.items():
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                raise ProfileError(f"{name!r}: must map to an IP address, not {addr!r}", key="[ad].addresses") from None
        if self.mode == "ldap" and not self.ldap_url:
            raise ProfileError(
                "mode 'ldap' needs the domain controller to read: ldap_url = 'ldaps://dc1.example.com'",
                key="[ad].ldap_url",
            )
        if self.mode == "samba":
            self._validate_samba()

    def _validate_samba(self) -> None:
        s = self.samba
        try:
            if not ipaddress.ip_address(s.address).is_loopback:
                raise ValueError
        except ValueError:
            raise ProfileError(
                f"must be a loopback address (127.x.y.z): the test domain controller never listens "
                f"on a network, not {s.address!r}", key="[ad.samba].address",
            ) from None
        for name in s.extra_dcs:
            if not _HOST_LABEL.fullmatch(name):
                raise ProfileError(
                    f"{name!r}: must be a short host name (letters, digits, '-', at most 15)",
                    key="[ad.samba].extra_dcs",
                )
        for v in s.delegate_to_values:
            if "/" not in v or not v.split("/", 1)[0] or not v.split("/", 1)[1]:
                raise ProfileError(f"{v!r}: must be an SPN, service/host[:port][/service name]",
                                   key="[ad.samba].delegate_to_values")
        if s.delegate_to == "first" and not s.extra_dcs:
            raise ProfileError("'first' needs a second domain controller: set extra_dcs = ['dc2']",
                               key="[ad.samba].delegate_to")
        if s.start_timeout_seconds <= 0:
            raise ProfileError("must be more than 0", key="[ad.samba].start_timeout_seconds")
        if s.service_account_logon_name and not re.fullmatch(r"[^@\\/\s\"]+", s.service_account_logon_name):
            raise ProfileError("must be the local part of a userPrincipalName (no '@', spaces or slashes)",
                               key="[ad.samba].service_account_logon_name")
        if not s.dc_encryption_types:
            raise ProfileError("a domain controller allows at least one encryption type", key="[ad.samba].dc_encryption_types")
        if not 1 <= s.service_ticket_lifetime_hours <= 10:
            raise ProfileError("must be between 1 and 10 (the user ticket lifetime, which caps it)",
                               key="[ad.samba].service_ticket_lifetime_hours")
