"""Read-only compliance checks of an AD Connector directory's smart card settings
(S-ENABLE steps 2 and 3, S-PREREQ CA certificate requirements, S-MANAGE, S-ADMIN).

The directory is read once (:func:`read_directory`) into a :class:`DirectoryServiceSnapshot`;
each check is a pure function over the snapshot and the users' CA chain, so the same
code judges a simulated world and a live account. ListCertificates and
DescribeCertificate do not return the certificate body: registrations are matched to
the CA files by common name and expiry, as an administrator would.

CA-3 and CA-7 are rules about the certificate files themselves: they are judged once,
by :mod:`wscard.pki.checks` (``check_ca_format``, ``check_ca_signatures``), for this
feature and the PKI feature alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Protocol, Sequence

from cryptography import x509
from cryptography.x509.oid import NameOID

from ..checks import CheckResult
from ..errors import EnvironmentProblem
from ..limits import ca_limits, smart_card_regions
from .env import error_code

CLIENT_CERT_AUTH = "ClientCertAuth"
SMART_CARD_TYPES = ("SmartCard", "SmartCardOrPassword")


class CaEntry(Protocol):
    """A CA certificate of the users' chain (from the test PKI or the profile's files)."""

    name: str
    cert: x509.Certificate
    data: bytes


@dataclass
class DirectoryServiceSnapshot:
    """What AWS Directory Service says about one directory, read once: its
    ``DirectoryDescription`` (DescribeDirectories), the ``DescribeCertificate`` result of each
    registered certificate (ListCertificates), its ``ClientAuthSettingsInfo`` entries
    (DescribeClientAuthenticationSettings), and the operations the Region refused as
    unsupported (operation -> error code). (The domain's own view, read over LDAP, is
    :class:`wscard.ad.model.DomainSnapshot`.)"""

    directory_id: str
    region: str
    directory: dict[str, Any]
    certificates: list[dict[str, Any]] = field(default_factory=list)  # DescribeCertificate results
    client_auth: list[dict[str, Any]] = field(default_factory=list)
    unsupported: dict[str, str] = field(default_factory=dict)  # operation -> error code
    read_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def type(self) -> str:
        return self.directory.get("Type", "")

    def customer_user_name(self) -> str | None:
        """The service account user name AD Connector uses (DescribeDirectories
        ``ConnectSettings.CustomerUserName``); None for a directory without ConnectSettings
        (not an AD Connector)."""
        cs = self.directory.get("ConnectSettings")
        return None if not isinstance(cs, dict) else str(cs.get("CustomerUserName") or "")

    def client_cert_auth(self) -> list[dict[str, Any]]:
        return [c for c in self.certificates if c.get("Type", CLIENT_CERT_AUTH) == CLIENT_CERT_AUTH]

    def enabled_smart_card(self) -> dict[str, Any] | None:
        for s in self.client_auth:
            if s.get("Type") in SMART_CARD_TYPES and s.get("Status") == "Enabled":
                return s
        return None


@dataclass(frozen=True)
class CustomerUserName:
    """What KCD-5 judges: the user name AD Connector signs in with, or why it is unknown.

    ``name``: DescribeDirectories ``ConnectSettings.CustomerUserName`` (None when it could not
    be read); ``unreadable``: why not (the check is then skipped, never passed);
    ``evidence``: what was read, JSON-able, for the report."""

    name: str | None
    unreadable: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


def read_customer_user_name(read_snapshot: Callable[[], DirectoryServiceSnapshot]) -> CustomerUserName:
    """The AD Connector's ``ConnectSettings.CustomerUserName`` (S-PREREQ), read with
    ``read_snapshot`` (it raises :class:`EnvironmentProblem` when the directory cannot be
    read: the step's lazy fixture). Never raises :class:`EnvironmentProblem`: a directory that
    cannot be read, or one without ConnectSettings (not an AD Connector, AUTH-4), gives
    ``name=None`` and the reason in ``unreadable``."""
    try:
        snap = read_snapshot()
    except EnvironmentProblem as exc:
        reason = f"the AD Connector could not be read: {exc}"
        return CustomerUserName(None, reason, {"unreadable": reason})
    name = snap.customer_user_name()
    if name is None:
        reason = f"directory {snap.directory_id} is of type {snap.type or '?'} and has no ConnectSettings (AUTH-4)"
        return CustomerUserName(None, reason, {"DirectoryId": snap.directory_id, "Type": snap.type,
                                               "unreadable": reason})
    return CustomerUserName(name, "", {"DirectoryId": snap.directory_id, "ConnectSettings.CustomerUserName": name})


def _paginate(call, key: str, **kwargs) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        args = dict(kwargs)
        if token:
            args["NextToken"] = token
        page = call(**args)
        items += page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return items


def read_directory(ds, directory_id: str, region: str) -> DirectoryServiceSnapshot:
    """Everything the checks need, with Describe/List calls only."""
    try:
        found = ds.describe_directories(DirectoryIds=[directory_id])["DirectoryDescriptions"]
    except Exception as exc:
        code = error_code(exc)
        if code == "EntityDoesNotExistException" or code == "DirectoryDoesNotExistException":
            found = []
        elif code:
            raise EnvironmentProblem(f"cannot describe directory {directory_id} in {region}: {code}: {exc}") from None
        else:
            raise
    if not found:
        raise EnvironmentProblem(
            f"directory {directory_id} does not exist in {region} (or this identity cannot see it). "
            "Check [aws.directory].id and [aws].region in the profile."
        )
    return read_settings(ds, DirectoryServiceSnapshot(directory_id, region, found[0]))


#: The largest page of ListCertificates and DescribeClientAuthenticationSettings
#: (API reference: ``Limit`` 1..50).
SETTINGS_PAGE_MAX = 50


def read_settings(ds, snap: DirectoryServiceSnapshot, page_size: int | None = None) -> DirectoryServiceSnapshot:
    """Fill ``snap`` (a directory already described) with its certificate registrations
    (ListCertificates, then DescribeCertificate for each) and its client authentication
    settings (DescribeClientAuthenticationSettings). An operation the service refuses is
    recorded in ``snap.unsupported`` (operation -> error code); ``page_size`` is passed as
    ``Limit`` (None: the service's default). Raises what botocore raises for a transport error."""
    directory_id = snap.directory_id
    limit = {"Limit": page_size} if page_size else {}
    try:
        listed = _paginate(ds.list_certificates, "CertificatesInfo", DirectoryId=directory_id, **limit)
        for info in listed:
            detail = ds.describe_certificate(DirectoryId=directory_id, CertificateId=info["CertificateId"])
            snap.certificates.append({**info, **detail["Certificate"]})
    except Exception as exc:
        code = error_code(exc)
        if code is None:
            raise
        snap.unsupported["ListCertificates"] = code
    try:
        snap.client_auth = _paginate(
            ds.describe_client_authentication_settings, "ClientAuthenticationSettingsInfo", DirectoryId=directory_id,
            **limit)
    except Exception as exc:
        code = error_code(exc)
        if code is None:
            raise
        snap.unsupported["DescribeClientAuthenticationSettings"] = code
    return snap


# --- helpers ------------------------------------------------------------------------

def common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else cert.subject.rfc4514_string()


def _as_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return None


def _describe(reg: dict[str, Any]) -> str:
    return f"registered CA certificate '{reg.get('CommonName', '?')}' ({reg.get('CertificateId', '?')})"


def find_registration(snap: DirectoryServiceSnapshot, entry: CaEntry) -> dict[str, Any] | None:
    """The ClientCertAuth registration of a CA file: same common name and expiry."""
    cn = common_name(entry.cert)
    expiry = entry.cert.not_valid_after_utc.replace(microsecond=0)
    for reg in snap.client_cert_auth():
        exp = _as_utc(reg.get("ExpiryDateTime"))
        if reg.get("CommonName") == cn and exp is not None and abs((exp - expiry).total_seconds()) < 2:
            return reg
    return None


def blocked(snap: DirectoryServiceSnapshot) -> str | None:
    """Why the directory's smart card settings cannot be judged, if they cannot."""
    if snap.type != "ADConnector":
        return f"directory {snap.directory_id} is a {snap.type or 'unknown'} directory, not an AD Connector (see AUTH-4)"
    if snap.region not in smart_card_regions():
        return f"AD Connector has no smart card authentication in {snap.region} (see REGION-3)"
    return None


def _new(rid: str, snap: DirectoryServiceSnapshot | None = None) -> CheckResult:
    r = CheckResult(rid)
    if snap is not None:
        r.evidence["directory"] = {"id": snap.directory_id, "region": snap.region, "type": snap.type}
    return r


# --- the checks ------------------------------------------------------------------------

def check_directory_type(snap: DirectoryServiceSnapshot) -> CheckResult:
    r = _new("AUTH-4", snap)
    if snap.type != "ADConnector":
        r.fail(
            f"directory {snap.directory_id} ({snap.directory.get('Name', '')})",
            f"is of type {snap.type}; only AD Connector directories support smart card authentication.",
            "Connect WorkSpaces through an AD Connector to the self-managed domain "
            "(aws ds connect-directory) and register the WorkSpaces directory on it.",
        )
    return r


def check_region(snap: DirectoryServiceSnapshot) -> CheckResult:
    regions = smart_card_regions()
    r = _new("REGION-3", snap)
    r.evidence["regions_with_smart_card_authentication"] = regions
    if snap.region not in regions:
        r.fail(
            f"directory {snap.directory_id} in {snap.region}",
            "AD Connector smart card authentication is not available in this Region "
            "(the API answers AccessDeniedException).",
            f"Use an AD Connector in one of: {', '.join(regions)}.",
        )
    return r


def check_issuing_ca_ocsp(snap: DirectoryServiceSnapshot, chain: Sequence[CaEntry], expected_url: str) -> CheckResult:
    """CA-1: the issuing CA is registered as ClientCertAuth, with the OCSP URL."""
    r = _new("CA-1", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    if not chain:
        return r.skip("the profile gives no CA chain")
    issuing = chain[0]
    reg = find_registration(snap, issuing)
    if reg is None:
        return r.skip(f"the issuing CA '{common_name(issuing.cert)}' is not registered (see CA-5)")
    url = (reg.get("ClientCertAuthSettings") or {}).get("OCSPUrl", "")
    r.evidence["issuing_ca_registration"] = {"CertificateId": reg.get("CertificateId"), "OCSPUrl": url}
    if expected_url and url != expected_url:
        what = f"has OCSP URL {url!r}" if url else "was registered without an OCSP URL"
        r.fail(
            _describe(reg),
            f"{what}; the profile expects {expected_url!r} (ClientCertAuthSettings.OCSPUrl, the URL AD Connector "
            "uses when a user certificate has no usable AIA OCSP URL).",
            "Deregister and register it again with --client-cert-auth-settings OCSPUrl=" + expected_url + ".",
        )
    return r


def check_registration_states(snap: DirectoryServiceSnapshot, ds=None, timeout: float = 0.0) -> CheckResult:
    """CA-2: every ClientCertAuth registration reached Registered (bounded wait)."""
    r = _new("CA-2", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    regs = snap.client_cert_auth()
    if not regs:
        return r.skip("no CA certificate is registered (see CA-5)")
    deadline = time.monotonic() + timeout
    states = {}
    for reg in regs:
        state = reg.get("State")
        while state == "Registering" and ds is not None and time.monotonic() < deadline:
            time.sleep(min(2.0, max(0.05, deadline - time.monotonic())))
            reg = {**reg, **ds.describe_certificate(DirectoryId=snap.directory_id,
                                                    CertificateId=reg["CertificateId"])["Certificate"]}
            state = reg.get("State")
        states[reg.get("CertificateId")] = state
        if state == "Registered":
            continue
        reason = reg.get("StateReason") or "no reason given"
        if state == "Registering":
            r.fail(_describe(reg), f"is still Registering after {timeout:.0f} s.",
                   "Wait and run again; if it stays Registering, open a support case.")
        else:
            r.fail(_describe(reg), f"is in state {state}: {reason}.",
                   "Deregister it and register the CA certificate again (PEM, a CA certificate, "
                   "more than 90 days from expiry, not RSASSA-PSS).")
    r.evidence["states"] = states
    return r


def check_expiry_margin(snap: DirectoryServiceSnapshot, now: datetime | None = None) -> CheckResult:
    """CA-4: no registered CA is 90 days or less from expiry."""
    min_days = ca_limits()["min_days_to_expiry_at_registration"]
    r = _new("CA-4", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    now = now or datetime.now(timezone.utc)
    left = {}
    for reg in snap.client_cert_auth():
        exp = _as_utc(reg.get("ExpiryDateTime"))
        if exp is None:
            continue
        days = (exp - now).total_seconds() / 86400
        left[reg.get("CommonName")] = round(days, 1)
        if days <= min_days:
            r.fail(
                _describe(reg),
                f"expires on {exp:%Y-%m-%d} ({int(days)} days left); AD Connector requires more than {min_days} "
                "days at registration and sign-in with this chain stops at expiry.",
                "Renew the CA certificate, register the renewed one, then deregister this one.",
            )
    r.evidence["days_left"] = left
    return r


def check_chain_registered(snap: DirectoryServiceSnapshot, chain: Sequence[CaEntry]) -> CheckResult:
    """CA-5: every CA from the issuing CA up to the root is registered and Registered."""
    r = _new("CA-5", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    if not chain:
        return r.skip("the profile gives no CA chain")
    found = {}
    for e in chain:
        reg = find_registration(snap, e)
        found[common_name(e.cert)] = reg.get("CertificateId") if reg else None
        if reg is None:
            other = [c for c in snap.certificates if c.get("CommonName") == common_name(e.cert)]
            hint = ""
            if other:
                hint = f" (it is registered as {other[0].get('Type')}, which does not count for smart cards)"
            r.fail(
                f"CA certificate '{common_name(e.cert)}' (expires {e.cert.not_valid_after_utc:%Y-%m-%d})",
                f"is not registered for client certificate authentication{hint}; every root and intermediate "
                "CA from the issuing CA to the root must be registered.",
                f"aws ds register-certificate --directory-id {snap.directory_id} --type ClientCertAuth "
                f"--certificate-data file://{e.name}.pem",
            )
        elif reg.get("State") != "Registered":
            r.fail(_describe(reg), f"is registered but in state {reg.get('State')} (see CA-2).",
                   "Register it again until it shows Registered.")
    r.evidence["chain_registrations"] = found
    return r


def check_certificate_count(snap: DirectoryServiceSnapshot, chain_length: int) -> CheckResult:
    """CA-6: at most 100 ClientCertAuth certificates; warn when a renewed chain would not fit."""
    limit = ca_limits()["max_client_cert_auth_certificates"]
    r = _new("CA-6", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    count = len(snap.client_cert_auth())
    r.evidence["registered"] = count
    r.evidence["limit"] = limit
    if count > limit:
        r.fail(f"directory {snap.directory_id}", f"has {count} CA certificates registered, more than the "
               f"documented maximum of {limit}.", "Deregister CA certificates that no user chain needs.")
    elif count + max(chain_length, 1) > limit:
        r.warn(f"directory {snap.directory_id}", f"has {count} of {limit} CA certificate slots used: a renewed "
               f"chain of {chain_length} would not fit.", "Deregister CA certificates no longer needed.")
    return r


def check_details_and_expiry_warning(snap: DirectoryServiceSnapshot, warn_days: int, now: datetime | None = None) -> CheckResult:
    """CA-8: describe-certificate shows the details; warn well before a CA expires."""
    r = _new("CA-8", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    now = now or datetime.now(timezone.utc)
    needed = ("CertificateId", "CommonName", "State", "ExpiryDateTime", "RegisteredDateTime", "Type")
    shown = {}
    for reg in snap.client_cert_auth():
        missing = [k for k in needed if not reg.get(k)]
        shown[reg.get("CertificateId", "?")] = {k: reg.get(k) for k in needed}
        if missing:
            r.fail(_describe(reg), f"describe-certificate does not show {', '.join(missing)}.",
                   "This is a service-side problem: report it to AWS Support.")
            continue
        exp = _as_utc(reg["ExpiryDateTime"])
        days = (exp - now).total_seconds() / 86400
        if days <= warn_days:
            r.warn(_describe(reg), f"expires on {exp:%Y-%m-%d}, in {int(days)} days (warning threshold "
                   f"{warn_days} days).", "Plan the renewal: register the renewed CA before this one expires.")
    r.evidence["describe_certificate"] = shown
    return r


def check_smart_card_enabled(snap: DirectoryServiceSnapshot) -> CheckResult:
    """AUTH-3: describe-client-authentication-settings reports smart card Enabled."""
    r = _new("AUTH-3", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    r.evidence["client_authentication_settings"] = snap.client_auth
    if snap.enabled_smart_card() is None:
        r.fail(
            f"directory {snap.directory_id}",
            "does not have smart card authentication enabled (describe-client-authentication-settings shows "
            "no SmartCard setting with status Enabled).",
            f"aws ds enable-client-authentication --directory-id {snap.directory_id} --type SmartCard "
            "(after the CA certificates show Registered).",
        )
    return r


def check_pre_session_type(snap: DirectoryServiceSnapshot, uses: Iterable[str]) -> CheckResult:
    """AUTH-5: pre-session sign-in needs SmartCard, not SmartCardOrPassword."""
    r = _new("AUTH-5", snap)
    why = blocked(snap)
    if why:
        return r.skip(why)
    uses = list(uses)
    r.evidence["authentication_uses"] = uses
    enabled = snap.enabled_smart_card()
    if enabled is None:
        return r.skip("smart card authentication is not enabled (see AUTH-3)")
    r.evidence["enabled_type"] = enabled.get("Type")
    if "pre-session" not in uses:
        return r
    if enabled.get("Type") == "SmartCardOrPassword":
        r.fail(
            f"directory {snap.directory_id}",
            "allows SmartCardOrPassword; for pre-session authentication smart card and username/password "
            "on the same directory are not supported together.",
            f"aws ds disable-client-authentication --directory-id {snap.directory_id} --type SmartCardOrPassword, "
            "then enable --type SmartCard.",
        )
    return r
