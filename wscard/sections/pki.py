"""``[pki]``: the certificates under test (a generated test PKI, or an environment's
own files) and how the harness reaches OCSP responders.

In ``generated`` mode the harness builds a small PKI (root, issuing CA, user, OCSP
responder, domain controller certificates) from these settings; each variant key
below breaks one documented requirement so that fault profiles can show the harness
detects it. In ``files`` mode the certificates are read from ``ca_bundle`` and
``user_certificates`` and the variant keys are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

from ..errors import ProfileError
from ..profile import PathValue, section

KeyType = Literal["rsa2048", "ec-p256"]
#: Key types of the user certificate alone (UC-8): the allowed ones and two that are not.
UserKeyType = Literal["", "rsa1024", "rsa2048", "rsa3072", "ec-p256", "ec-p384", "ec-p521"]
Eku = Literal["client-auth", "smart-card-logon"]
Validity = Literal["valid", "expired", "not-yet-valid"]
OcspStatus = Literal["good", "revoked", "unknown"]

#: Fields that change the generated certificates (the on-disk cache is keyed on them):
#: those every certificate but the test user's depends on (the CAs, the DC's, the OCSP
#: responder's, the fixed users'), the PKI's base ...
BASE_CERTIFICATE_FIELDS = (
    "key_type",
    "ca_days_left",
    "ca_signature",
    "ca_encoding",
    "intermediates",
    "upn",
    "dc_dns_names",
)
#: ... and those only the test user's certificate depends on: it is built on the base,
#: when first asked for (wscard.pki.get_pki), so what reads only the base never reads these.
USER_CERTIFICATE_FIELDS = (
    "user_key_type",
    "user_upn_in_san",
    "user_ekus",
    "user_validity",
    "user_ocsp_url",
    "user_sid_extension",
)


@section("pki")
@dataclass
class PkiSection:
    #: ``generated``: the harness builds a test PKI from the keys below (embedded world,
    #: fault profiles); ``files``: an environment's own certificates, read from
    #: ``ca_bundle`` and ``user_certificates``.
    mode: Literal["generated", "files"] = "generated"

    #: Where the user certificates checked against UC-1..UC-4 and the OCSP process come
    #: from: ``pki`` (the generated PKI, or ``user_certificates`` in files mode), ``card``
    #: (the logon certificate read from the card under test over PKCS#11, no PIN needed),
    #: ``auto``: the card when the card backend is a real reader (``pcsc``), else ``pki``.
    user_source: Literal["auto", "pki", "card"] = "auto"

    # --- files mode -----------------------------------------------------------------
    #: Files mode: the CA certificates the users' certificates chain to (the files an
    #: administrator registers with AD Connector): PEM (text around the blocks, as
    #: openssl writes it, is allowed), DER or PKCS#7 (``.p7b``), one or more certificates
    #: per file. Read as given: a DER file still loads, and CA-3 reports it; what cannot
    #: be read is reported by CA-3, naming the file and line.
    ca_bundle: list[PathValue] = field(default_factory=list)
    #: Files mode: user (smart card logon) certificates to check, in the same forms.
    user_certificates: list[PathValue] = field(default_factory=list)

    # --- generated mode: the normal PKI ----------------------------------------------
    #: Key type of the CAs and of the user's certificate.
    key_type: KeyType = "rsa2048"
    #: The test user's userPrincipalName (the AD user the certificate belongs to); UC-1
    #: compares the certificate's SAN UPN with it (in files mode too; empty: any UPN).
    upn: str = "testuser@corp.example.com"
    #: Number of intermediate CAs between the root and the users (1: root -> issuing CA;
    #: 2: root -> ``intermediate-2`` -> ``intermediate``, a chain deeper than the
    #: embedded world registers, CA-5).
    intermediates: int = 1
    #: DNS names in the domain controller certificates (``dc``, ``dc-no-kdc``), which
    #: also carry the IP address 127.0.0.1.
    dc_dns_names: list[str] = field(default_factory=lambda: ["dc1.corp.example.com", "localhost"])

    # --- generated mode: variants, each breaking one requirement --------------------
    #: 0: the issuing CA (``intermediate``) has a normal long validity. N > 0: it expires
    #: N days from the start of today (UTC) plus one day (at least N full days left), so
    #: ``ca_days_left = 60`` breaks CA-4.
    ca_days_left: int = 0
    #: Signature the root uses on the intermediate CA certificates: ``pkcs1v15``
    #: (RSASSA-PKCS1-v1_5 SHA-256) or ``pss`` (RSASSA-PSS, unsupported: CA-7; needs
    #: ``key_type = "rsa2048"``).
    ca_signature: Literal["pkcs1v15", "pss"] = "pkcs1v15"
    #: How the users' CA certificates are shipped (``.data`` / ``.path``): ``pem``, or
    #: ``der`` (refused by AD Connector: CA-3).
    ca_encoding: Literal["pem", "der"] = "pem"
    #: The user certificate carries the UPN in its subjectAltName (otherName
    #: 1.3.6.1.4.1.311.20.2.3). ``false`` breaks UC-1.
    user_upn_in_san: bool = True
    #: Extended key usages of the user certificate. Leave one out to break UC-2
    #: (``client-auth``) or UC-3 (``smart-card-logon``).
    user_ekus: list[Eku] = field(default_factory=lambda: ["client-auth", "smart-card-logon"])
    #: Key type of the test user's certificate alone; empty: ``key_type``. ``rsa1024`` or
    #: ``ec-p521`` break UC-8 (RSA 2048 or more, ECC P-256 or P-384).
    user_key_type: UserKeyType = ""
    #: ``valid``, ``expired`` (ended 30 days ago) or ``not-yet-valid`` (starts in 30
    #: days): the user certificate's validity period (UC-4).
    user_validity: Validity = "valid"
    #: The SID extension (szOID_NTDS_CA_SECURITY_EXT, 1.3.6.1.4.1.311.25.2) of the user
    #: certificate, the strong mapping of Microsoft KB5014754 (UC-7): ``account``: the test
    #: user's objectSid (the simulated domain gives the test user the fixed SID
    #: ``wscard.sid.simulated_sid(TEST_USER_RID)``, so the PKI need not wait for the
    #: domain); ``none``: no SID extension (UC-7 then rests on the account's
    #: altSecurityIdentities, ``[ad.samba].alt_security_identities``); ``other-account``:
    #: the objectSid of another account of the domain (the AD Connector service
    #: account), which breaks UC-7.
    user_sid_extension: Literal["account", "none", "other-account"] = "account"
    #: OCSP responder URL in the user certificate's Authority Information Access; empty
    #: for none (OCSP-1, OCSP-2). Use an ``https://`` URL or a name whose top-level domain
    #: is not in the IANA root zone to break OCSP-5, a name missing from ``ocsp_hosts``
    #: to make it unresolvable, one mapped to ``silent`` to make it unresponsive (OCSP-3).
    user_ocsp_url: str = "http://ocsp.pki.example.com/"
    #: What the test PKI's OCSP responder answers for the user certificate (OCSP-6).
    user_ocsp_status: OcspStatus = "good"

    # --- OCSP: name resolution and timeouts ------------------------------------------
    #: How OCSP responder host names are resolved: ``simulated`` uses ``ocsp_hosts`` only
    #: (the machine's DNS is never asked; a name not listed cannot be resolved);
    #: ``system`` uses the machine's resolver (live environments).
    resolver: Literal["simulated", "system"] = "simulated"
    #: Simulated resolver: host name -> ``responder`` (the local test responder),
    #: ``silent`` (a local port that accepts connections and never answers), or
    #: ``HOST:PORT`` / ``IP:PORT`` (another local endpoint).
    ocsp_hosts: dict[str, str] = field(
        default_factory=lambda: {"ocsp.pki.example.com": "responder", "ocsp-silent.pki.example.com": "silent"}
    )
    #: Longest wait for an OCSP responder, seconds (connection and answer, each).
    #: A responder that does not answer within it counts as unresponsive.
    ocsp_timeout_seconds: float = 5.0
    #: Simulated resolver: longest wait at the ``silent`` target, seconds, when shorter
    #: than ``ocsp_timeout_seconds`` (0: ``ocsp_timeout_seconds`` applies there too).
    #: The silent port accepts connections and never answers, so any wait ends the same
    #: way (unresponsive); a short one keeps the simulated world quick. Every other
    #: endpoint, and the system resolver, keep ``ocsp_timeout_seconds``.
    silent_wait_seconds: float = 0.0
    #: Longest wait for a host name to resolve (system resolver), seconds.
    dns_timeout_seconds: float = 5.0
    #: Tolerated clock difference when judging OCSP thisUpdate/nextUpdate, seconds.
    ocsp_clock_skew_seconds: float = 300.0

    def validate(self, profile) -> None:
        if self.mode == "files":
            if not self.ca_bundle:
                raise ProfileError("mode 'files' needs the CA certificates (ca_bundle = [paths])", key="[pki].ca_bundle")
            if not self.user_certificates:
                raise ProfileError(
                    "mode 'files' needs at least one user certificate (user_certificates = [paths])",
                    key="[pki].user_certificates",
                )
        if self.ca_signature == "pss" and self.key_type != "rsa2048":
            raise ProfileError("RSASSA-PSS needs RSA keys: set key_type = 'rsa2048'", key="[pki].ca_signature")
        if self.ca_days_left < 0:
            raise ProfileError("must be 0 (normal validity) or a number of days > 0", key="[pki].ca_days_left")
        if not 1 <= self.intermediates <= 5:
            raise ProfileError("must be between 1 and 5", key="[pki].intermediates")
        if self.user_ocsp_url:
            u = urlparse(self.user_ocsp_url)
            if not u.scheme or not u.hostname:
                raise ProfileError("must be a URL such as http://ocsp.example.com/ (or empty)", key="[pki].user_ocsp_url")
        for host, target in self.ocsp_hosts.items():
            if target in ("responder", "silent"):
                continue
            hostpart, sep, port = target.rpartition(":")
            if not sep or not hostpart or not port.isdigit():
                raise ProfileError(
                    f"{host!r}: must be 'responder', 'silent' or 'HOST:PORT', not {target!r}", key="[pki].ocsp_hosts"
                )
        for key in ("ocsp_timeout_seconds", "dns_timeout_seconds"):
            if getattr(self, key) <= 0:
                raise ProfileError("must be more than 0", key=f"[pki].{key}")
        if self.silent_wait_seconds < 0:
            raise ProfileError("must be 0 (ocsp_timeout_seconds applies) or more", key="[pki].silent_wait_seconds")

    def base_certificate_settings(self) -> dict:
        """The settings of the generated PKI's base (:data:`BASE_CERTIFICATE_FIELDS`):
        field name -> value."""
        return {k: getattr(self, k) for k in BASE_CERTIFICATE_FIELDS}

    def user_certificate_settings(self) -> dict:
        """The settings of the test user's certificate alone (:data:`USER_CERTIFICATE_FIELDS`):
        field name -> value."""
        return {k: getattr(self, k) for k in USER_CERTIFICATE_FIELDS}
