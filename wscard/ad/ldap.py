"""Reading the directory over LDAP (ldap3), read-only.

Every connection is TLS: LDAPS, or StartTLS on 389 (Active Directory and Samba refuse a
simple bind in clear text). The server certificate is verified against the target's CA
bundle and must name the host of the URL. Nothing here writes to the directory."""

from __future__ import annotations

import socket
import ssl
from contextlib import contextmanager
from typing import Iterator

import ldap3
from ldap3.core import exceptions as lx
from ldap3.utils.conv import escape_filter_chars

from ..errors import EnvironmentProblem
from ..pki.certs import load_certificate
from ..sid import SidError, sid_from_bytes
from .model import (
    BIT_AND,
    SERVER_TRUST_ACCOUNT,
    Account,
    CertificateProbe,
    DomainSnapshot,
    DomainController,
    NtAuthStore,
    SpnHolder,
)
from .target import DirectoryTarget, Endpoint

ACCOUNT_ATTRS = ["sAMAccountName", "userPrincipalName", "userAccountControl", "servicePrincipalName",
                 "msDS-AllowedToDelegateTo", "distinguishedName", "objectSid", "altSecurityIdentities",
                 "msDS-SupportedEncryptionTypes", "displayName", "cn"]
DC_ATTRS = ["dNSHostName", "sAMAccountName", "userAccountControl", "servicePrincipalName", "userCertificate",
            "msDS-SupportedEncryptionTypes"]
#: Where the forest's NTAuth store lives, below the configuration naming context.
NTAUTH_RDN = "CN=NTAuthCertificates,CN=Public Key Services,CN=Services"


def _tls(target: DirectoryTarget, host: str, verify: bool = True) -> ldap3.Tls:
    if not verify:
        return ldap3.Tls(validate=ssl.CERT_NONE, sni=host)
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=target.ca_bundle or None,
        valid_names=[host],
        sni=host,
    )


def _server(target: DirectoryTarget, ep: Endpoint, verify: bool = True) -> ldap3.Server:
    address = target.resolve(ep.host)
    return ldap3.Server(address, port=ep.port, use_ssl=ep.tls, tls=_tls(target, ep.host, verify),
                        get_info=ldap3.NONE, connect_timeout=target.timeout)


def _explain(exc: Exception, ep: Endpoint, target: DirectoryTarget) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text or "hostname" in text.lower():
        where = target.ca_bundle or "the system's trusted CAs"
        return (f"the certificate of {ep.host} does not verify against {where} or does not name {ep.host}: {text}. "
                "Fix: set [ad].ca_bundle to the CA that issued the domain controllers' certificates.")
    return f"{ep.url}: {text}"


@contextmanager
def connect(target: DirectoryTarget, ep: Endpoint | None = None) -> Iterator[ldap3.Connection]:
    """A bound, TLS-protected, read-only connection (closed on exit)."""
    ep = ep or target.ldap
    server = _server(target, ep)
    conn = ldap3.Connection(server, user=target.bind_user, password=target.bind_password.reveal(),
                            authentication=ldap3.SIMPLE, read_only=True, receive_timeout=max(1, int(target.timeout + 0.999)),
                            raise_exceptions=False, auto_referrals=False)
    try:
        try:
            conn.open()
            if not ep.tls:
                if not conn.start_tls():
                    raise EnvironmentProblem(f"{ep.url}: StartTLS refused: {conn.result}")
            if not conn.bind():
                desc = (conn.result or {}).get("description", "")
                msg = (conn.result or {}).get("message", "")
                if desc == "invalidCredentials":
                    raise EnvironmentProblem(
                        f"{ep.url}: the directory refused the bind as {target.bind_user}: invalid credentials. "
                        "Fix: check the password in the environment variable named by [ad].password_env.")
                raise EnvironmentProblem(f"{ep.url}: bind as {target.bind_user} refused: {desc} {msg}".strip())
        except EnvironmentProblem:
            raise
        except (lx.LDAPException, OSError, ssl.SSLError) as exc:
            raise EnvironmentProblem(f"cannot read the directory: {_explain(exc, ep, target)}") from None
        yield conn
    finally:
        try:
            conn.unbind()
        except Exception:
            pass


def _search(conn: ldap3.Connection, base: str, flt: str, attrs: list[str], scope=ldap3.SUBTREE) -> list[dict]:
    ok = conn.search(base, flt, search_scope=scope, attributes=attrs)
    if not ok and (conn.result or {}).get("description") not in ("success", "noSuchObject"):
        raise EnvironmentProblem(f"LDAP search {flt} under {base!r} failed: {conn.result.get('description')} "
                                 f"{conn.result.get('message', '')}".strip())
    out = []
    for e in conn.response or []:
        if e.get("type") != "searchResEntry":
            continue
        attrs_ = {k.lower(): v for k, v in (e.get("raw_attributes") or {}).items()}
        out.append({"dn": e["dn"], "raw": attrs_})
    return out


def _str(raw: dict, name: str) -> str:
    vals = raw.get(name.lower()) or []
    return vals[0].decode("utf-8", "replace") if vals else ""


def _strs(raw: dict, name: str) -> list[str]:
    return [v.decode("utf-8", "replace") for v in raw.get(name.lower()) or []]


def _int(raw: dict, name: str) -> int:
    s = _str(raw, name)
    try:
        return int(s)
    except ValueError:
        return 0


def _int_or_none(raw: dict, name: str) -> int | None:
    """An integer attribute, None when it is absent (or not a number)."""
    s = _str(raw, name)
    try:
        return int(s) if s else None
    except ValueError:
        return None


def _sid(raw: dict) -> str:
    vals = raw.get("objectsid") or []
    if not vals:
        return ""
    try:
        return sid_from_bytes(vals[0])
    except SidError:
        return ""


def root_dse(conn: ldap3.Connection) -> dict[str, str]:
    res = _search(conn, "", "(objectClass=*)",
                  ["defaultNamingContext", "configurationNamingContext", "rootDomainNamingContext", "dnsHostName"],
                  scope=ldap3.BASE)
    if not res:
        raise EnvironmentProblem("the directory returned no root DSE")
    raw = res[0]["raw"]
    return {k: _str(raw, k) for k in ("defaultNamingContext", "configurationNamingContext",
                                      "rootDomainNamingContext", "dnsHostName")}


def _account_filter(name: str) -> str:
    n = name
    if "\\" in n:
        n = n.split("\\", 1)[1]
    esc = escape_filter_chars(n)
    parts = [f"(sAMAccountName={esc})", f"(userPrincipalName={esc})"]
    if "@" in n:
        parts.append(f"(sAMAccountName={escape_filter_chars(n.split('@', 1)[0])})")
    return "(&(|(objectClass=user)(objectClass=computer))(|" + "".join(parts) + "))"


def _account(entry: dict) -> Account:
    raw = entry["raw"]
    return Account(
        dn=entry["dn"],
        sam_account_name=_str(raw, "sAMAccountName"),
        user_principal_name=_str(raw, "userPrincipalName"),
        user_account_control=_int(raw, "userAccountControl"),
        spns=_strs(raw, "servicePrincipalName"),
        allowed_to_delegate_to=_strs(raw, "msDS-AllowedToDelegateTo"),
        object_sid=_sid(raw),
        alt_security_identities=_strs(raw, "altSecurityIdentities"),
        supported_encryption_types=_int_or_none(raw, "msDS-SupportedEncryptionTypes"),
        display_name=_str(raw, "displayName"),
        cn=_str(raw, "cn"),
    )


def find_account(conn: ldap3.Connection, base: str, name: str) -> Account:
    found = _search(conn, base, _account_filter(name), ACCOUNT_ATTRS)
    if not found:
        raise EnvironmentProblem(
            f"the service account {name!r} was not found under {base} (by sAMAccountName or userPrincipalName). "
            "Fix: set [ad].service_account to the AD Connector service account.")
    if len(found) > 1:
        exact = [e for e in found if _str(e["raw"], "sAMAccountName").lower() == name.lower()]
        found = exact or found
    return _account(found[0])


def domain_controllers(conn: ldap3.Connection, base: str) -> list[DomainController]:
    flt = f"(&(objectClass=computer)(userAccountControl:{BIT_AND}:={SERVER_TRUST_ACCOUNT}))"
    out = []
    for e in _search(conn, base, flt, DC_ATTRS):
        raw = e["raw"]
        out.append(DomainController(
            dn=e["dn"],
            dns_host_name=_str(raw, "dNSHostName").lower(),
            sam_account_name=_str(raw, "sAMAccountName"),
            user_account_control=_int(raw, "userAccountControl"),
            spns=_strs(raw, "servicePrincipalName"),
            published_certificates=list(raw.get("usercertificate") or []),
            supported_encryption_types=_int_or_none(raw, "msDS-SupportedEncryptionTypes"),
        ))
    return sorted(out, key=lambda d: d.dns_host_name)


def read_ntauth(conn: ldap3.Connection, config_nc: str) -> NtAuthStore:
    """The forest's NTAuth store (KCD-7). Never raises: a failed search is recorded in
    ``error``; a missing object is ``exists = False``."""
    dn = f"{NTAUTH_RDN},{config_nc}"
    try:
        ok = conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=["cACertificate"])
    except (lx.LDAPException, OSError, ssl.SSLError) as exc:
        return NtAuthStore(dn, error=f"reading {dn} failed: {exc}")
    desc = (conn.result or {}).get("description")
    if not ok:
        if desc == "noSuchObject":
            return NtAuthStore(dn, exists=False)
        return NtAuthStore(dn, error=f"reading {dn} failed: {desc} {(conn.result or {}).get('message', '')}".strip())
    entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
    if not entries:
        return NtAuthStore(dn, exists=False)
    raw = {k.lower(): v for k, v in (entries[0].get("raw_attributes") or {}).items()}
    return NtAuthStore(dn, True, list(raw.get("cacertificate") or []))


def find_user_by_upn(conn: ldap3.Connection, base: str, upn: str) -> Account | None:
    """The account whose userPrincipalName is ``upn``; else (the implicit UPN the KDC also
    accepts) the account whose sAMAccountName is its local part, when the suffix is the
    domain's. None when there is none."""
    found = _search(conn, base, f"(&(objectClass=user)(userPrincipalName={escape_filter_chars(upn)}))",
                    ACCOUNT_ATTRS)
    if not found and "@" in upn:
        local = upn.split("@", 1)[0]
        found = _search(conn, base, f"(&(objectClass=user)(sAMAccountName={escape_filter_chars(local)}))",
                        ACCOUNT_ATTRS)
    return _account(found[0]) if found else None


def find_accounts_named(conn: ldap3.Connection, base: str, name: str) -> list[tuple[Account, str]]:
    """Accounts an administrator may have meant by ``name`` (the user name given to AD
    Connector), with the attribute that holds it: ``sAMAccountName``,
    ``userPrincipalName``, ``userPrincipalName prefix``, ``displayName`` or ``cn``
    (matched without regard to case, as Active Directory compares them)."""
    esc = escape_filter_chars(name)
    local = name.split("\\", 1)[-1]
    flt = (f"(&(|(objectClass=user)(objectClass=computer))(|(sAMAccountName={escape_filter_chars(local)})"
           f"(userPrincipalName={esc})(userPrincipalName={esc}@*)(displayName={esc})(cn={esc})))")
    out = []
    for e in _search(conn, base, flt, ACCOUNT_ATTRS):
        a = _account(e)
        low = name.lower()
        if a.sam_account_name.lower() == local.lower():
            how = "sAMAccountName"
        elif a.user_principal_name.lower() == low:
            how = "userPrincipalName"
        elif a.user_principal_name.lower().split("@", 1)[0] == low:
            how = "userPrincipalName prefix"
        elif a.display_name.lower() == low:
            how = "displayName"
        else:
            how = "cn"
        out.append((a, how))
    return out


def host_aliases(conn: ldap3.Connection, config_nc: str) -> set[str]:
    """Service classes covered by ``host/`` SPNs (sPNMappings, e.g. ``http``, ``cifs``)."""
    base = f"CN=Directory Service,CN=Windows NT,CN=Services,{config_nc}"
    res = _search(conn, base, "(objectClass=*)", ["sPNMappings"], scope=ldap3.BASE)
    aliases: set[str] = set()
    for e in res:
        for m in _strs(e["raw"], "sPNMappings"):
            left, _, right = m.partition("=")
            if left.strip().lower() == "host":
                aliases |= {s.strip().lower() for s in right.split(",") if s.strip()}
    return aliases


def spn_holders(conn: ldap3.Connection, base: str, account: Account, aliases: set[str]) -> list[SpnHolder]:
    """Other accounts holding one of ``account``'s SPNs (case-insensitive), and
    ``host/<name>`` holders for SPNs whose class is a host alias."""
    holders = []
    mine = account.dn.lower()
    for spn in account.spns:
        wanted = spn.lower()
        for e in _search(conn, base, f"(servicePrincipalName={escape_filter_chars(spn)})",
                         ["sAMAccountName", "servicePrincipalName"]):
            if e["dn"].lower() == mine:
                continue
            if any(s.lower() == wanted for s in _strs(e["raw"], "servicePrincipalName")):
                holders.append(SpnHolder(spn, e["dn"], _str(e["raw"], "sAMAccountName"), "exact"))
        cls, _, rest = spn.partition("/")
        if cls.lower() in aliases and rest:
            host = rest.split("/", 1)[0].split(":", 1)[0]
            for e in _search(conn, base, f"(servicePrincipalName=host/{escape_filter_chars(host)})",
                             ["sAMAccountName"]):
                if e["dn"].lower() != mine:
                    holders.append(SpnHolder(spn, e["dn"], _str(e["raw"], "sAMAccountName"), "alias"))
    return holders


def read_snapshot(target: DirectoryTarget) -> DomainSnapshot:
    """Read the service account, the domain controllers and the SPN duplicates."""
    with connect(target) as conn:
        dse = root_dse(conn)
        base = dse["defaultNamingContext"]
        if not base:
            raise EnvironmentProblem(f"{target.ldap.url} did not give its defaultNamingContext")
        account = find_account(conn, base, target.service_account)
        dcs = domain_controllers(conn, base)
        aliases = host_aliases(conn, dse["configurationNamingContext"]) if dse["configurationNamingContext"] else set()
        scope, note, holders = "forest", "", None
        if target.global_catalog is not None:
            try:
                with connect(target, target.global_catalog) as gc:
                    holders = spn_holders(gc, "", account, aliases)
            except EnvironmentProblem as exc:
                scope, note = "domain", f"the global catalog ({target.global_catalog.url}) could not be read: " \
                                        f"{str(exc).removeprefix(EnvironmentProblem.PREFIX)}"
        else:
            scope, note = "domain", "no global catalog configured"
        if holders is None:
            holders = spn_holders(conn, base, account, aliases)
        config_nc = dse["configurationNamingContext"]
        ntauth = read_ntauth(conn, config_nc) if config_nc else NtAuthStore(
            f"{NTAUTH_RDN},<configuration NC>", error="the directory did not give its configurationNamingContext")
        return DomainSnapshot(
            domain=target.domain,
            service_account=account,
            domain_controllers=dcs,
            spn_holders=holders,
            spn_search_scope=scope,
            spn_search_note=note,
            read_from=dse.get("dnsHostName") or target.ldap.host,
            ntauth=ntauth,
        )


def probe_certificate(target: DirectoryTarget, host: str) -> CertificateProbe:
    """The certificate ``host`` presents on the target's LDAP port (LDAPS, or StartTLS),
    and whether it verifies against the CA bundle. Nothing is sent but the handshake
    (and the StartTLS request): no credentials."""
    ep = Endpoint(host.lower(), target.ldap.port, target.ldap.tls)
    probe = CertificateProbe(dc=host, port=ep.port)
    try:
        probe.address = target.resolve(host)
    except EnvironmentProblem as exc:
        probe.error = str(exc).removeprefix(EnvironmentProblem.PREFIX)
        return probe
    for verify in (False, True):
        conn = ldap3.Connection(_server(target, ep, verify), receive_timeout=max(1, int(target.timeout + 0.999)),
                                raise_exceptions=False, auto_referrals=False)
        try:
            conn.open()
            if not ep.tls and not conn.start_tls():
                raise lx.LDAPStartTLSError(f"StartTLS refused: {conn.result}")
            if not verify:
                der = conn.socket.getpeercert(binary_form=True)
                probe.certificate = load_certificate(der, f"the TLS certificate of {ep.url}")
            else:
                probe.chain_ok = True
        except (lx.LDAPException, OSError, ssl.SSLError, ValueError) as exc:
            if not verify:
                probe.error = f"{ep.url} ({probe.address}): {exc}"
                return probe
            probe.chain_ok = False
            probe.chain_error = str(exc)
        finally:
            try:
                conn.unbind()
            except Exception:
                pass
    return probe


def probe_all(target: DirectoryTarget, snap: DomainSnapshot) -> list[CertificateProbe]:
    return [probe_certificate(target, dc.dns_host_name) for dc in snap.domain_controllers if dc.dns_host_name]


def can_connect(address: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False
