"""A private Samba AD domain controller for CI and the embedded world.

Nothing outside private directories is touched: no /etc/samba/smb.conf, no
/etc/krb5.conf, no /var/lib/samba, no /run/samba. The DC listens on one loopback
address only, with the services ``ldap cldap kdc`` (no smbd, no DNS, no winbind).

Life cycle, and what each step costs on a 2-core machine (see ``benchmarks/bench_ad.py``):

1. **Template** (once, cached): ``samba-tool domain provision`` into a private directory
   with an empty smb.conf (about 5 s), then, offline against ``private/sam.ldb``,
   ``samba_spnupdate`` (the DC's own ldap/ SPNs) and the domain's configuration with
   ``samba-tool``: the AD Connector service account, ``spn add``, ``delegation
   for-any-protocol``, ``delegation add-service``, a test user; fault variants add a
   second DC account (``ldbadd``) or a duplicate SPN (written below Samba's uniqueness
   check, see :func:`_write_duplicate_spn`). Templates are cached under
   ``samba`` of the harness's cache folder (:func:`wscard.host.cache_root`), keyed by everything
   that shapes the domain, so a suite run and each fault profile's run reuse them.
2. **Start** (every run): copy the template to a fresh private directory, write its
   smb.conf and the TLS files (certificate from the test PKI), ``samba -i -M single``;
   it answers within about 1 s. Samba's standard input is a pipe from this process:
   if this process dies, Samba sees end-of-file and exits by itself.
3. **Stop**: close that pipe (Samba exits), SIGTERM/SIGKILL to its process group if it
   lingers, check that no process of the group is left, remove the directory.

Passwords of the test domain are generated when a template is built and kept in the
template's ``template.json`` (mode 0600); they go to Samba through LDIF on standard
input, never on a command line.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import secrets as _secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import host, lifetime, locks
from ..errors import EnvironmentProblem
from ..ports import PortInUse, port_in_use
from ..profile import domain_name, netbios_name
from ..sid import SERVICE_ACCOUNT_RID, SIMULATED_DOMAIN_SID, TEST_USER_RID
from .model import enctype_value
from .target import Secret

#: The encryption types Samba provisions on its DC account (RC4 + AES, 0x1C).
DC_DEFAULT_ENCTYPES = ("RC4_HMAC_MD5", "AES128_CTS_HMAC_SHA1_96", "AES256_CTS_HMAC_SHA1_96")
#: The service account's types in the compliant domain (AES, as recommended).
SERVICE_DEFAULT_ENCTYPES = ("AES128_CTS_HMAC_SHA1_96", "AES256_CTS_HMAC_SHA1_96")

#: Debian packages of the simulated domain controller (install without recommends, or
#: PAM and nsswitch are rewritten).
PACKAGES = ("samba-ad-dc", "samba-ad-provision", "ldb-tools", "krb5-user")
INSTALL_HINT = "apt-get install --no-install-recommends " + " ".join(PACKAGES)
TOOLS = ("samba", "samba-tool", "samba_spnupdate", "ldbadd", "ldbmodify", "ldbsearch", "kinit", "kvno")
#: Ports Samba opens with ``server services = ldap cldap kdc`` (TCP; cldap is UDP 389).
PORTS = (88, 389, 464, 636, 3268, 3269)
#: Bump when the way templates are built changes (invalidates the cache).
TEMPLATE_FORMAT = 5
#: Templates unused for longer than this are removed when another one is built.
TEMPLATE_MAX_AGE_DAYS = 14
SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")
#: How long to wait for the DC's ports to be free once it is this run's turn. The turn is
#: taken only after the previous DC of any wscard run has stopped (``stop`` waits for its
#: processes), so a port still busy after this grace is held by another program.
PORT_WAIT_SECONDS = 2.0
PORT_FIX = ("stop the program using it (another directory server or KDC, or a test domain controller not "
            "started by wscard), or choose another loopback address with [ad.samba].address (one an interface has: "
            "Samba binds only to those, e.g. after ip addr add 127.0.0.2/8 dev lo)")


def which(tool: str) -> str | None:
    found = shutil.which(tool)
    if found:
        return found
    for d in SBIN:
        p = Path(d) / tool
        if p.exists() and os.access(p, os.X_OK):
            return str(p)
    return None


def missing_tools() -> list[str]:
    return [t for t in TOOLS if which(t) is None]


def unavailable_reason() -> str | None:
    """Why a simulated domain controller cannot run here (None: it can), in one line."""
    not_here = host.linux_only(
        "the simulated Samba AD domain controller",
        "point [ad] at a real domain (mode = 'ldap', docs/ad.md) or run the @ad scenarios on a Linux machine")
    if not_here:
        return not_here
    missing = missing_tools()
    if missing:
        return (f"Samba AD DC is not installed ({', '.join(missing)} not found); install it with: "
                f"{INSTALL_HINT}")
    if not host.running_as_root():
        return "the simulated Samba domain controller needs root (it binds ports 88, 389 and 636 on loopback)"
    return None


def samba_version() -> str:
    try:
        out = subprocess.run([which("samba") or "samba", "--version"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def cache_root() -> Path:
    """Where domain templates are cached: ``samba`` in :func:`wscard.host.cache_root`
    (the same root as the test PKI's cache)."""
    return host.cache_root("samba")


# --- what the domain looks like -----------------------------------------------------

@dataclass(frozen=True)
class DomainSpec:
    """Everything that shapes the test domain's database (the template cache key)."""

    domain: str  # corp.example.com
    netbios_domain: str  # CORP
    dc_hostname: str  # dc1.corp.example.com
    service_account: str = "svc-adconnector"
    service_spn: str = ""
    spn: str = "unique"  # unique / none / duplicate
    delegation: str = "constrained-any-protocol"
    extra_dcs: tuple[str, ...] = ()
    delegate_to: str = "all"  # all / first / none
    test_user: str = "testuser"
    test_upn: str = ""
    #: The account that holds the duplicate SPN in the "duplicate" variant.
    duplicate_holder: str = "svc-legacy"
    #: ``user`` or ``computer`` (then ``LEGACY-APP$``, a computer account).
    duplicate_holder_type: str = "user"
    #: Raw msDS-AllowedToDelegateTo values (empty: from ``delegate_to``).
    delegate_to_values: tuple[str, ...] = ()
    #: The domain SID and the fixed objectSids of the service account and the test user
    #: (the test PKI writes the test user's into its certificate: wscard.sid).
    domain_sid: str = SIMULATED_DOMAIN_SID
    service_logon_name: str = ""
    service_display_name: str = ""
    #: MS-KILE names; empty: msDS-SupportedEncryptionTypes not set on the account.
    service_enctypes: tuple[str, ...] = SERVICE_DEFAULT_ENCTYPES
    #: What the domain controllers allow (their accounts and Samba's kdc supported enctypes).
    dc_enctypes: tuple[str, ...] = DC_DEFAULT_ENCTYPES

    @property
    def realm(self) -> str:
        return self.domain.upper()

    @property
    def dc_short(self) -> str:
        return self.dc_hostname.split(".")[0].upper()

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={p}" for p in self.domain.split("."))

    @property
    def spn_value(self) -> str:
        return self.service_spn or f"adconnector/{self.service_account}.{self.domain}"

    def dc_fqdns(self) -> list[str]:
        return [self.dc_hostname] + [f"{n.lower()}.{self.domain}" for n in self.extra_dcs]

    def delegation_targets(self) -> list[str]:
        if self.delegate_to_values:
            return list(self.delegate_to_values)
        if self.delegate_to == "none":
            return []
        dcs = self.dc_fqdns() if self.delegate_to == "all" else self.dc_fqdns()[:1]
        out = []
        for fqdn in dcs:
            out += [f"ldap/{fqdn}", f"ldap/{fqdn.split('.')[0].upper()}"]
        return out

    def compliant(self) -> "DomainSpec":
        """The same domain configured as the seed says (the template variants start from)."""
        import dataclasses

        return dataclasses.replace(self, spn="unique", delegation="constrained-any-protocol", extra_dcs=(),
                                   delegate_to="all", delegate_to_values=(), duplicate_holder_type="user",
                                   service_enctypes=SERVICE_DEFAULT_ENCTYPES,
                                   dc_enctypes=DC_DEFAULT_ENCTYPES)

    @property
    def service_sid(self) -> str:
        return f"{self.domain_sid}-{SERVICE_ACCOUNT_RID}"

    @property
    def test_user_sid(self) -> str:
        return f"{self.domain_sid}-{TEST_USER_RID}"

    @property
    def kdc_supported_enctypes(self) -> int:
        """Samba's ``kdc supported enctypes`` (0: Samba's default) for ``dc_enctypes``."""
        return 0 if tuple(self.dc_enctypes) == DC_DEFAULT_ENCTYPES else enctype_value(self.dc_enctypes)

    def base_key(self, version: str) -> str:
        data = {"format": TEMPLATE_FORMAT, "samba": version, "domain": self.domain,
                "netbios": self.netbios_domain, "dc": self.dc_hostname, "sid": self.domain_sid}
        return "base-" + hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def key(self, version: str) -> str:
        data = {"format": TEMPLATE_FORMAT, "samba": version, **asdict(self)}
        return "dom-" + hashlib.sha256(json.dumps(data, sort_keys=True, default=list).encode()).hexdigest()[:16]


def spec_from_profile(profile) -> DomainSpec:
    ad = profile.ad
    s = ad.samba
    domain = domain_name(profile)
    dc = s.dc_hostname.lower()
    pki = profile.values.get("pki")
    if not dc:
        names = [n.lower() for n in getattr(pki, "dc_dns_names", []) if "." in n]
        inside = [n for n in names if n.endswith("." + domain) and n.count(".") == domain.count(".") + 1]
        if inside:
            dc = inside[0]
        elif names:
            raise EnvironmentProblem(
                f"the test PKI's domain controller certificate names {', '.join(names)}, none of them a host of "
                f"the domain {domain}: set [pki].dc_dns_names to include dc1.{domain} (or [ad.samba].dc_hostname "
                "and [pki].dc_dns_names to the same name)")
        else:
            dc = f"dc1.{domain}"
    if not dc.endswith("." + domain):
        raise EnvironmentProblem(f"[ad.samba].dc_hostname {dc!r} is not a host of the domain {domain}")
    test_user = ad.test_user
    test_upn = ""
    upn = getattr(pki, "upn", "") if pki is not None else ""
    if not test_user:
        test_user = (upn.split("@", 1)[0] if upn else "") or "testuser"
    if upn and upn.split("@", 1)[0].lower() == test_user.lower():
        test_upn = upn
    return DomainSpec(
        domain=domain,
        netbios_domain=netbios_name(profile),
        dc_hostname=dc,
        service_account=ad.service_account.split("@", 1)[0].split("\\")[-1],
        service_spn=s.service_spn,
        spn=s.spn,
        delegation=s.delegation,
        extra_dcs=tuple(n.lower() for n in s.extra_dcs),
        delegate_to=s.delegate_to,
        delegate_to_values=tuple(s.delegate_to_values),
        duplicate_holder_type=s.duplicate_holder_type,
        test_user=test_user,
        test_upn=test_upn or f"{test_user}@{domain}",
        service_logon_name=s.service_account_logon_name,
        service_display_name=s.service_account_display_name,
        service_enctypes=tuple(s.service_account_encryption_types),
        dc_enctypes=tuple(s.dc_encryption_types),
    )


# --- smb.conf -------------------------------------------------------------------------

@dataclass
class TlsFiles:
    certfile: Path
    keyfile: Path
    cafile: Path


def render_conf(spec: DomainSpec, root: Path, address: str = "127.0.0.1", tls: TlsFiles | None = None,
                kdc: dict[str, str] | None = None) -> str:
    """The DC's smb.conf. ``kdc``: Samba's ``kdc:`` parameters (``service ticket
    lifetime`` in hours...), the domain's Kerberos policy."""
    r = root
    lines = [
        "# Written by wscard (wscard/ad/samba.py): a private test domain controller.",
        "[global]",
        f"\tnetbios name = {spec.dc_short}",
        f"\tworkgroup = {spec.netbios_domain}",
        f"\trealm = {spec.realm}",
        "\tserver role = active directory domain controller",
        "\tserver services = ldap, cldap, kdc",
        f"\tinterfaces = {address}",
        "\tbind interfaces only = yes",
        "\tdns forwarder =",
        f"\tprivate dir = {r}/private",
        f"\tstate directory = {r}/state",
        f"\tcache directory = {r}/cache",
        f"\tlock directory = {r}/lock",
        f"\tpid directory = {r}/run",
        f"\tbinddns dir = {r}/bind-dns",
        f"\tncalrpc dir = {r}/run/ncalrpc",
        f"\twinbindd socket directory = {r}/run/winbindd",
        f"\tntp signd socket directory = {r}/run/ntp_signd",
        f"\tlog file = {r}/log/samba.log",
        "\tmax log size = 0",
        "\tlog level = 1",
        "\tdisable netbios = yes",
    ]
    lines += [f"\tkdc:{name} = {value}" for name, value in (kdc or {}).items()]
    if spec.kdc_supported_enctypes:
        # the domain controllers' policy "Configure encryption types allowed for Kerberos"
        lines.append(f"\tkdc supported enctypes = {spec.kdc_supported_enctypes}")
    if tls is None:
        lines.append("\ttls enabled = no")
    else:
        lines += [
            "\ttls enabled = yes",
            f"\ttls certfile = {tls.certfile}",
            f"\ttls keyfile = {tls.keyfile}",
            f"\ttls cafile = {tls.cafile}",
        ]
    lines += [
        "",
        "[sysvol]",
        f"\tpath = {r}/state/sysvol",
        "\tread only = no",
        "",
        "[netlogon]",
        f"\tpath = {r}/state/sysvol/{spec.domain}/scripts",
        "\tread only = no",
        "",
    ]
    return "\n".join(lines)


def _dirs(root: Path) -> None:
    for d in ("private", "state", "cache", "lock", "run", "bind-dns", "log", "etc", "tls"):
        (root / d).mkdir(parents=True, exist_ok=True)


def _env(root: Path) -> dict[str, str]:
    """A minimal environment for Samba's tools: no system Kerberos configuration."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin") + ":" + ":".join(SBIN),
        "LANG": "C.UTF-8",
        "HOME": str(root),
        "KRB5_CONFIG": str(root / "private" / "krb5.conf"),
        "KRB5CCNAME": f"FILE:{root / 'run' / 'ccache'}",
        "TMPDIR": str(root / "run"),
    }


def _tool(root: Path, args: list[str], *, stdin: str | None = None, what: str = "",
          timeout: float = 120) -> str:
    exe = which(args[0]) or args[0]
    try:
        p = subprocess.run([exe, *args[1:]], input=stdin, capture_output=True, text=True, env=_env(root),
                           timeout=timeout, cwd=root)
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(f"{what or args[0]} did not finish within {timeout:g} s") from None
    if p.returncode != 0:
        tail = "\n".join(_no_secrets(p.stdout + p.stderr).splitlines()[-15:])
        raise EnvironmentProblem(f"{what or ' '.join(args[:3])} failed (exit {p.returncode}):\n{tail}")
    return p.stdout + p.stderr


def _no_secrets(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "password" not in line.lower() or "policy" in line.lower())


def new_password() -> str:
    """A password that meets Samba's default complexity rules."""
    return "Ws1!" + _secrets.token_urlsafe(18)


def _unicode_pwd(password: str) -> str:
    return base64.b64encode(f'"{password}"'.encode("utf-16-le")).decode()


# --- building templates ---------------------------------------------------------------

def provision(spec: DomainSpec, root: Path) -> None:
    """``samba-tool domain provision`` into ``root`` (an empty directory)."""
    _dirs(root)
    empty = root / "etc" / "empty.conf"
    empty.write_text("")
    _tool(root, [
        "samba-tool", "domain", "provision", "-s", str(empty), f"--targetdir={root}",
        f"--realm={spec.realm}", f"--domain={spec.netbios_domain}", "--server-role=dc",
        "--dns-backend=NONE", f"--host-name={spec.dc_short.lower()}",
        "--option=interfaces=127.0.0.1", "--option=bind interfaces only=yes",
        "--option=server services=ldap, cldap, kdc", "--option=dns forwarder=",
        f"--domain-sid={spec.domain_sid}",
    ], what="samba-tool domain provision", timeout=300)
    # provision writes etc/smb.conf pointing at its own paths; ours replaces it.
    (root / "etc" / "smb.conf").write_text(render_conf(spec, root))
    conf = str(root / "etc" / "smb.conf")
    _tool(root, ["samba_spnupdate", "-s", conf], what="samba_spnupdate")
    # Test accounts must not expire while a template sits in the cache.
    _tool(root, ["samba-tool", "domain", "passwordsettings", "set", "-s", conf, "--max-pwd-age=0",
                 "--complexity=on"], what="samba-tool domain passwordsettings")


def _set_password(root: Path, dn: str, password: str) -> None:
    ldif = f"dn: {dn}\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: {_unicode_pwd(password)}\n"
    _tool(root, ["ldbmodify", "-H", str(root / "private" / "sam.ldb")], stdin=ldif, what=f"setting the password of {dn}")


def _create_user(root: Path, spec: DomainSpec, sam: str, password: str, upn: str = "",
                 description: str = "", sid: str = "", display_name: str = "") -> str:
    """A user account, enabled, with ``password``; ``sid``: its objectSid (Samba takes an
    objectSid given at creation by a local, system-level ldbadd, as provisioning does)."""
    h = str(root / "private" / "sam.ldb")
    dn = f"CN={sam},CN=Users,{spec.base_dn}"
    lines = [f"dn: {dn}", "objectClass: user", f"sAMAccountName: {sam}"]
    lines += [f"userPrincipalName: {upn}"] if upn else []
    lines += [f"description: {description}"] if description else []
    lines += [f"displayName: {display_name}"] if display_name else []
    lines += [f"objectSid: {sid}"] if sid else []
    _tool(root, ["ldbadd", "-H", h], stdin="\n".join(lines) + "\n", what=f"adding the user {sam}")
    _set_password(root, dn, password)
    ldif = f"dn: {dn}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 512\n"
    _tool(root, ["ldbmodify", "-H", h], stdin=ldif, what=f"enabling {sam}")
    return dn


def _object_sid(root: Path, spec: DomainSpec, sam: str) -> str:
    out = _tool(root, ["ldbsearch", "-H", str(root / "private" / "sam.ldb"), "-b", spec.base_dn,
                       f"(sAMAccountName={sam})", "objectSid"], what=f"reading the objectSid of {sam}")
    for line in out.splitlines():
        if line.startswith("objectSid:"):
            return line.split(":", 1)[1].strip()
    return ""


def _enctypes_ldif(dn: str, names) -> str:
    if not names:
        return f"dn: {dn}\nchangetype: modify\ndelete: msDS-SupportedEncryptionTypes\n"
    return (f"dn: {dn}\nchangetype: modify\nreplace: msDS-SupportedEncryptionTypes\n"
            f"msDS-SupportedEncryptionTypes: {enctype_value(names)}\n")


def _add_dc_account(root: Path, spec: DomainSpec, short: str) -> None:
    """A second domain controller's computer account (SERVER_TRUST_ACCOUNT |
    TRUSTED_FOR_DELEGATION, in OU=Domain Controllers, with its ldap/ and HOST/ SPNs)."""
    fqdn = f"{short}.{spec.domain}"
    up = short.upper()
    dn = f"CN={up},OU=Domain Controllers,{spec.base_dn}"
    ldif = "\n".join([
        f"dn: {dn}", "objectClass: computer", f"sAMAccountName: {up}$", "userAccountControl: 532480",
        f"dNSHostName: {fqdn}", f"servicePrincipalName: ldap/{fqdn}", f"servicePrincipalName: ldap/{up}",
        f"servicePrincipalName: HOST/{fqdn}", f"servicePrincipalName: HOST/{up}",
        f"servicePrincipalName: ldap/{fqdn}/{spec.domain}",
        f"msDS-SupportedEncryptionTypes: {enctype_value(DC_DEFAULT_ENCTYPES)}", "",
    ])
    _tool(root, ["ldbadd", "-H", str(root / "private" / "sam.ldb")], stdin=ldif, what=f"adding DC account {up}")
    _set_password(root, dn, new_password())


def _write_duplicate_spn(root: Path, spec: DomainSpec, holder_dn: str, spn: str) -> None:
    """Give ``holder_dn`` an SPN another account holds, as replication between two DCs
    or another domain of the forest can leave behind. Samba (like Windows since 2012 R2)
    refuses this through samba-tool, ldbmodify on sam.ldb and LDAP
    (constraintViolation), so it is written to the domain partition's own database,
    below Samba's modules; the partition keeps its own index, so searches find it."""
    part = root / "private" / "sam.ldb.d" / f"{spec.base_dn.upper()}.ldb"
    if not part.exists():
        raise EnvironmentProblem(f"domain partition database not found: {part}")
    ldif = f"dn: {holder_dn}\nchangetype: modify\nadd: servicePrincipalName\nservicePrincipalName: {spn.upper()}\n"
    _tool(root, ["ldbmodify", "-H", f"tdb://{part}"], stdin=ldif, what="writing the duplicate SPN")


def configure(spec: DomainSpec, root: Path) -> dict[str, str]:
    """Configure a compliant domain offline, as the seed's step 1 tells an administrator
    (``setspn -s`` = ``samba-tool spn add``, which refuses duplicates; the Delegation
    tab = ``samba-tool delegation``). Returns the passwords of the accounts created."""
    conf = str(root / "etc" / "smb.conf")
    h = str(root / "private" / "sam.ldb")
    pw = {"service": new_password(), "user": new_password()}
    svc = spec.service_account
    _create_user(root, spec, svc, pw["service"], description="AD Connector service account (wscard test domain)",
                 upn=f"{spec.service_logon_name or svc}@{spec.domain}", sid=spec.service_sid,
                 display_name=spec.service_display_name)
    _create_user(root, spec, spec.test_user, pw["user"], upn=spec.test_upn, description="wscard smart card test user",
                 sid=spec.test_user_sid)
    for sam, want in ((svc, spec.service_sid), (spec.test_user, spec.test_user_sid)):
        got = _object_sid(root, spec, sam)
        if got != want:
            raise EnvironmentProblem(f"the simulated domain gave {sam} the objectSid {got or '(none)'} instead of "
                                     f"{want}: the test PKI's SID extension would not match it")
    _tool(root, ["ldbmodify", "-H", h], stdin=_enctypes_ldif(f"CN={svc},CN=Users,{spec.base_dn}", spec.service_enctypes),
          what="setting msDS-SupportedEncryptionTypes of the service account")
    for short in spec.extra_dcs:
        _add_dc_account(root, spec, short)
    _tool(root, ["samba-tool", "spn", "add", spec.spn_value, svc, "-s", conf, "-H", h], what="samba-tool spn add")
    _tool(root, ["samba-tool", "delegation", "for-any-protocol", svc, "on", "-s", conf, "-H", h],
          what="samba-tool delegation for-any-protocol")
    for target in spec.delegation_targets():
        _tool(root, ["samba-tool", "delegation", "add-service", svc, target, "-s", conf, "-H", h],
              what=f"samba-tool delegation add-service {target}")
    return pw


def break_domain(spec: DomainSpec, root: Path) -> None:
    """Turn a copy of the compliant domain (:meth:`DomainSpec.compliant`) into the
    variant ``spec`` describes, with the attribute changes an administrator's mistake
    leaves (one ``ldbmodify`` through Samba's own modules, so its rules apply)."""
    good = spec.compliant()
    h = str(root / "private" / "sam.ldb")
    svc_dn = f"CN={spec.service_account},CN=Users,{spec.base_dn}"
    for short in spec.extra_dcs:
        _add_dc_account(root, spec, short)
    records = []
    normal = 0x200  # NORMAL_ACCOUNT
    if spec.spn == "none":
        records.append(f"dn: {svc_dn}\nchangetype: modify\ndelete: servicePrincipalName\n")
    if spec.delegation == "constrained-kerberos-only":
        records.append(f"dn: {svc_dn}\nchangetype: modify\nreplace: userAccountControl\n"
                       f"userAccountControl: {normal}\n")
    elif spec.delegation == "unconstrained-with-list":
        # TRUSTED_FOR_DELEGATION written by PowerShell/ADSI Edit; the list stays
        records.append(f"dn: {svc_dn}\nchangetype: modify\nreplace: userAccountControl\n"
                       f"userAccountControl: {normal | 0x80000}\n")
    elif spec.delegation == "unconstrained":
        # "Trust this user for delegation to any service (Kerberos only)": the tab sets
        # TRUSTED_FOR_DELEGATION and clears the list of services.
        records.append(f"dn: {svc_dn}\nchangetype: modify\nreplace: userAccountControl\n"
                       f"userAccountControl: {normal | 0x80000}\n-\ndelete: msDS-AllowedToDelegateTo\n")
    have, want = good.delegation_targets(), spec.delegation_targets()
    if spec.delegation != "unconstrained" and list(have) != list(want):
        if want:
            mods = [f"dn: {svc_dn}", "changetype: modify", "replace: msDS-AllowedToDelegateTo"]
            mods += [f"msDS-AllowedToDelegateTo: {t}" for t in want]
            records.append("\n".join(mods) + "\n")
        else:
            records.append(f"dn: {svc_dn}\nchangetype: modify\ndelete: msDS-AllowedToDelegateTo\n")
    if tuple(spec.service_enctypes) != tuple(good.service_enctypes):
        records.append(_enctypes_ldif(svc_dn, spec.service_enctypes))
    if tuple(spec.dc_enctypes) != tuple(good.dc_enctypes):
        for fqdn in spec.dc_fqdns():
            records.append(_enctypes_ldif(f"CN={fqdn.split('.')[0].upper()},OU=Domain Controllers,{spec.base_dn}",
                                          spec.dc_enctypes))
    if spec.spn == "duplicate":
        records.append(f"dn: {_holder_dn(spec)}\nchangetype: add\n" + (
            "objectClass: computer\nsAMAccountName: LEGACY-APP$\nuserAccountControl: 4096\n"
            if spec.duplicate_holder_type == "computer" else
            f"objectClass: user\nsAMAccountName: {spec.duplicate_holder}\n")
            + "description: legacy account that kept the same SPN\n")
    if records:
        _tool(root, ["ldbmodify", "-H", h], stdin="\n".join(records), what="changing the test domain")
    if spec.spn == "duplicate":
        _write_duplicate_spn(root, spec, _holder_dn(spec), spec.spn_value)


def _holder_dn(spec: DomainSpec) -> str:
    """The account holding the duplicate SPN: a user, or a computer (CN=Computers)."""
    if spec.duplicate_holder_type == "computer":
        return f"CN=LEGACY-APP,CN=Computers,{spec.base_dn}"
    return f"CN={spec.duplicate_holder},CN=Users,{spec.base_dn}"


@dataclass
class Template:
    path: Path
    spec: DomainSpec
    passwords: dict[str, str] = field(repr=False, default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    built_now: bool = False


class TemplateCache:
    """Test domains, cached on disk: ``base-*`` (provisioned), ``dom-*`` (configured:
    the compliant domain, and each variant made from a copy of it)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else cache_root()
        self._version: str | None = None

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = samba_version()
        return self._version

    def _lock(self) -> locks.HeldLock:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        return locks.acquire(self.root / ".lock")

    def _load(self, spec: DomainSpec) -> Template | None:
        folder = self.root / spec.key(self.version)
        meta = folder / "template.json"
        if not meta.exists():
            return None
        data = json.loads(meta.read_text())
        os.utime(meta)
        return Template(folder, spec, data["passwords"], data.get("timings", {}))

    def get(self, spec: DomainSpec) -> Template:
        found = self._load(spec)
        if found is not None:
            return found
        with self._lock():
            found = self._load(spec)
            if found is not None:
                return found
            self._prune()
            return self._build(spec)

    def _build(self, spec: DomainSpec) -> Template:
        """Build ``spec``'s template (the cache lock is held)."""
        timings: dict[str, float] = {}
        good = spec.compliant()
        if good != spec:
            source = self._load(good) or self._build(good)
            src_path, passwords = source.path, dict(source.passwords)
            timings.update({f"compliant_{k}": v for k, v in source.timings.items()} if source.built_now else {})
        else:
            src_path, passwords = self._base(spec, timings), {}
        folder = self.root / spec.key(self.version)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=self.root))
        try:
            t0 = time.monotonic()
            shutil.rmtree(tmp)
            _copy_tree(src_path, tmp)
            for f in ("base.json", "template.json"):
                (tmp / f).unlink(missing_ok=True)
            (tmp / "etc" / "smb.conf").write_text(render_conf(spec, tmp))
            if good == spec:
                passwords = configure(spec, tmp)
                timings["configure"] = round(time.monotonic() - t0, 3)
            else:
                break_domain(spec, tmp)
                timings["variant"] = round(time.monotonic() - t0, 3)
            _retarget(tmp, folder, spec)
            meta = tmp / "template.json"
            meta.write_text(json.dumps({"spec": asdict(spec), "samba": self.version, "passwords": passwords,
                                        "timings": timings}, default=list))
            os.chmod(meta, 0o600)
            shutil.rmtree(folder, ignore_errors=True)
            os.rename(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return Template(folder, spec, passwords, timings, built_now=True)

    def _base(self, spec: DomainSpec, timings: dict[str, float]) -> Path:
        folder = self.root / spec.base_key(self.version)
        if (folder / "base.json").exists():
            os.utime(folder / "base.json")
            return folder
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=self.root))
        try:
            t0 = time.monotonic()
            provision(spec, tmp)
            timings["provision"] = round(time.monotonic() - t0, 3)
            _retarget(tmp, folder, spec)
            (tmp / "base.json").write_text(json.dumps({"spec": asdict(spec), "samba": self.version,
                                                       "timings": timings}, default=list))
            shutil.rmtree(folder, ignore_errors=True)
            os.rename(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return folder

    def _prune(self) -> None:
        limit = time.time() - TEMPLATE_MAX_AGE_DAYS * 86400
        for d in self.root.iterdir() if self.root.exists() else []:
            if not d.is_dir():
                continue
            stamp = d / ("template.json" if d.name.startswith("dom-") else "base.json")
            try:
                old = stamp.stat().st_mtime < limit
            except OSError:
                old = d.name.startswith(".build-") and d.stat().st_mtime < time.time() - 3600
            if old:
                shutil.rmtree(d, ignore_errors=True)

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _retarget(root: Path, final: Path, spec: DomainSpec) -> None:
    """Templates hold no absolute path but their smb.conf, rewritten at each copy."""
    (root / "etc" / "smb.conf").write_text(render_conf(spec, final))


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy a template (``cp -a``: keeps modes, ownership, ACLs and xattrs, sparse files)."""
    p = subprocess.run(["cp", "-a", "--sparse=always", "--reflink=auto", str(src), str(dst)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        shutil.copytree(src, dst, symlinks=True)


# --- running a domain controller ------------------------------------------------------

@dataclass
class TlsMaterial:
    """What the DC presents on LDAPS: certificate (+ chain), key, CA bundle (PEM)."""

    cert_chain_pem: bytes
    key_pem: bytes = field(repr=False)
    ca_bundle_pem: bytes
    name: str = ""


def tls_from_pki(pki, name: str) -> TlsMaterial:
    """The test PKI's certificate ``name`` (``dc`` or ``dc-no-kdc``) as Samba's TLS files."""
    entry = pki.get(name)
    if entry.key_path is None:
        raise EnvironmentProblem(f"the test PKI has no private key for {name!r}")
    chain = list(pki.ca_chain)
    cas = [c.pem for c in chain]
    intermediates = [c.pem for c in chain[:-1]]  # everything but the root
    return TlsMaterial(entry.pem + b"".join(intermediates), Path(entry.key_path).read_bytes(), b"".join(cas), name)


_RUNNING: set["SambaDC"] = set()
_RUNNING_LOCK = threading.Lock()


def _stop_all_at_exit() -> None:
    for dc in list(_RUNNING):
        dc.stop()


atexit.register(_stop_all_at_exit)


def turn_lock_path(address: str) -> Path:
    """The machine lock a simulated DC on ``address`` holds from its start to its stop
    (its ports are fixed): whoever holds it knows no other run's DC is on the address."""
    return locks.machine_lock_path(f"samba-dc-{address}")


class SambaDC:
    """One running simulated domain controller (use as a context manager, or
    :meth:`start` / :meth:`stop`)."""

    def __init__(self, template: Template, tls: TlsMaterial, address: str = "127.0.0.1",
                 start_timeout: float = 20.0, keep: bool = False, kdc: dict[str, str] | None = None,
                 setup_ldif: str = ""):
        self.template = template
        #: Changes written to the fresh copy before Samba starts (what depends on the day's
        #: test PKI, which the cached template cannot hold: NTAuth, altSecurityIdentities).
        self.setup_ldif = setup_ldif
        #: Samba ``kdc:`` parameters written into the DC's smb.conf (its Kerberos policy).
        self.kdc_options = dict(kdc or {})
        self.spec = template.spec
        self.tls = tls
        self.address = address
        self.start_timeout = start_timeout
        self.keep = keep
        self.workdir: Path | None = None
        self._turn: locks.HeldLock | None = None
        self.root: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.timings: dict[str, float] = {}

    # --- what clients need ---
    @property
    def ldap_url(self) -> str:
        return f"ldaps://{self.spec.dc_hostname}:636"

    @property
    def addresses(self) -> dict[str, str]:
        return {self.spec.dc_hostname: self.address}

    @property
    def kdc(self) -> str:
        return f"{self.address}:88"

    @property
    def ca_bundle(self) -> Path:
        assert self.root is not None
        return self.root / "tls" / "ca.pem"

    @property
    def service_password(self) -> Secret:
        return Secret(self.template.passwords["service"])

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log_tail(self, lines: int = 30) -> str:
        if self.root is None:
            return ""
        out = []
        for f in (self.root / "log" / "stdout.log", self.root / "log" / "samba.log"):
            try:
                out += f.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                pass
        return "\n".join(out[-lines:])

    # --- life cycle ---
    def _take_turn(self, wait: float) -> None:
        """One simulated DC per address and machine: the ports are fixed (389, 636...),
        so concurrent runs (xdist workers, two suites) wait for each other."""
        # Machine-wide (locks.machine_lock_path): the ports are the machine's.
        with _RUNNING_LOCK:
            mine = [dc for dc in _RUNNING if dc.address == self.address and dc is not self]
        if mine:
            raise EnvironmentProblem(
                f"this process already runs a test domain controller on {self.address} (stop it first)")
        self._turn = locks.acquire(
            turn_lock_path(self.address), wait, poll=0.2,
            busy=f"another run has held the test domain controller on {self.address} for more than {wait:g} s: "
                 "wait for it (wscard runs), or stop it; with pytest-xdist, run the @ad scenarios without -n")

    def start(self, wait: float = 900.0) -> "SambaDC":
        t_wait = time.monotonic()
        self._take_turn(wait)
        self.timings["wait_turn"] = round(time.monotonic() - t_wait, 3)
        try:
            return self._start()
        except BaseException:
            self._release_turn()
            raise

    def _release_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    def _start(self) -> "SambaDC":
        deadline = time.monotonic() + PORT_WAIT_SECONDS
        while True:  # a DC of a run that does not take turns may be stopping
            busy = [p for p in PORTS if port_in_use(self.address, p)]
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if busy:
            raise PortInUse(self.address, busy, PORT_FIX)
        t0 = time.monotonic()
        # holds the DC's database and TLS key: removed by the run's watchdog if the run dies
        self.workdir = lifetime.private_dir("wscard-samba-")
        root = self.root = self.workdir / "dc"
        _copy_tree(self.template.path, root)
        (root / "template.json").unlink(missing_ok=True)
        _dirs(root)
        tls_dir = root / "tls"
        os.chmod(tls_dir, 0o700)
        files = TlsFiles(tls_dir / "cert.pem", tls_dir / "key.pem", tls_dir / "ca.pem")
        files.certfile.write_bytes(self.tls.cert_chain_pem)
        fd = os.open(files.keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.tls.key_pem)
        files.cafile.write_bytes(self.tls.ca_bundle_pem)
        conf = root / "etc" / "smb.conf"
        conf.write_text(render_conf(self.spec, root, self.address, files, self.kdc_options))
        self.timings["copy"] = round(time.monotonic() - t0, 3)
        if self.setup_ldif:
            t2 = time.monotonic()
            _tool(root, ["ldbmodify", "-H", str(root / "private" / "sam.ldb")], stdin=self.setup_ldif,
                  what="writing the PKI-dependent attributes (NTAuth store, altSecurityIdentities)")
            self.timings["pki_attributes"] = round(time.monotonic() - t2, 3)
        t1 = time.monotonic()
        log = open(root / "log" / "stdout.log", "wb")
        try:
            self.proc = lifetime.spawn(
                [which("samba") or "samba", "-i", "-M", "single", "-s", str(conf)],
                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=_env(root), cwd=root,
                start_new_session=True,
            )
        finally:
            log.close()
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.timings["start"] = round(time.monotonic() - t1, 3)
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        want = (636, 88, 389, 3269)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EnvironmentProblem(
                    f"the test domain controller exited at start (exit {self.proc.returncode}):\n{self.log_tail()}")
            if all(_can_connect(self.address, p) for p in want):
                return
            time.sleep(0.05)
        raise EnvironmentProblem(
            f"the test domain controller did not answer on {self.address} ports {want} within "
            f"{self.start_timeout:g} s:\n{self.log_tail()}")

    def processes(self) -> list[int]:
        """PIDs still in the DC's process group."""
        if self.proc is None:
            return []
        pgid = self.proc.pid
        out = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(d.name))
        return out

    def stop(self) -> None:
        t0 = time.monotonic()
        proc = self.proc
        if proc is not None:
            try:
                if proc.stdin:
                    proc.stdin.close()  # samba -i exits on end-of-file
            except OSError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    proc.wait(timeout=5)
            for _ in range(50):  # children of the group, if any, go too
                left = self.processes()
                if not left:
                    break
                self._signal(signal.SIGKILL)
                time.sleep(0.02)
            lifetime.forget(proc)
        with _RUNNING_LOCK:
            _RUNNING.discard(self)
        if self.workdir is not None:
            if self.keep:
                lifetime.keep(self.workdir)
            else:
                lifetime.remove(self.workdir)
        self._release_turn()
        self.timings["stop"] = round(time.monotonic() - t0, 3)

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> "SambaDC":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _can_connect(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.2):
            return True
    except OSError:
        return False


def pki_ldif(spec: DomainSpec, pki, ntauth: list[str], mappings: list[str]) -> str:
    """LDIF for what depends on the day's test PKI: the forest's NTAuth store holding the
    PKI certificates named in ``ntauth`` (none: no NTAuthCertificates object, as in a
    forest where no CA was ever published), and the test user's altSecurityIdentities of
    the kinds in ``mappings`` for the PKI's ``user`` certificate (the forms of
    :func:`wscard.ad.mapping.mapping_values`). Raises EnvironmentProblem for a name the
    PKI does not have, or a mapping kind the certificate cannot give."""
    from .mapping import mapping_values

    records = []
    if ntauth:
        lines = [f"dn: CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,{spec.base_dn}",
                 "changetype: add", "objectClass: certificationAuthority",
                 # the two CRL attributes are mandatory for this class; Windows writes one zero byte
                 "authorityRevocationList:: AA==", "certificateRevocationList:: AA=="]
        for name in ntauth:
            try:
                der = pki.get(name).der
            except KeyError as exc:
                raise EnvironmentProblem(f"[ad.samba].ntauth: {str(exc.args[0]).removeprefix(EnvironmentProblem.PREFIX)}") from None
            lines.append(f"cACertificate:: {base64.b64encode(der).decode()}")
        records.append("\n".join(lines) + "\n")
    if mappings:
        values = mapping_values(pki.get("user").cert)
        lines = [f"dn: CN={spec.test_user},CN=Users,{spec.base_dn}", "changetype: modify",
                 "replace: altSecurityIdentities"]
        for kind in mappings:
            if kind not in values:
                raise EnvironmentProblem(f"[ad.samba].alt_security_identities: the test user's certificate has nothing "
                                         f"to map as {kind} (no e-mail address in its subjectAltName)")
            lines.append(f"altSecurityIdentities: {values[kind]}")
        records.append("\n".join(lines) + "\n")
    return "\n".join(records)


def start_for_profile(profile, cache: TemplateCache | None = None, *, keep: bool = False) -> SambaDC:
    """Build (or reuse) the profile's test domain and start it."""
    from ..pki import get_pki

    reason = unavailable_reason()
    if reason:
        raise EnvironmentProblem(reason)
    spec = spec_from_profile(profile)
    t0 = time.monotonic()
    template = (cache or TemplateCache()).get(spec)
    t_template = round(time.monotonic() - t0, 3)
    pki = get_pki(profile.pki)
    tls = tls_from_pki(pki, profile.ad.samba.dc_certificate)
    dc = SambaDC(template, tls, profile.ad.samba.address, profile.ad.samba.start_timeout_seconds, keep=keep,
                 kdc={"service ticket lifetime": str(profile.ad.samba.service_ticket_lifetime_hours)},
                 setup_ldif=pki_ldif(spec, pki, profile.ad.samba.ntauth, profile.ad.samba.alt_security_identities))
    dc.timings["template"] = t_template
    return dc.start()
