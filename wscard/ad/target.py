"""Where the directory is and how to reach it: a :class:`DirectoryTarget`, built from the
profile's ``[ad]`` section (ldap mode) or from a running simulated domain controller
(samba mode). Passwords come from environment variables or a prompt, never from the
profile, a command line or a report."""

from __future__ import annotations

import concurrent.futures
import getpass
import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ..errors import EnvironmentProblem
from ..profile import domain_name, netbios_name, realm_name


class Secret:
    """A password that does not show itself in a repr, a log or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


def secret_from_env(var: str, prompt: str, *, ask: bool = True) -> Secret:
    """The value of environment variable ``var``; else asked on the terminal (when there
    is one and ``ask``); else an EnvironmentProblem saying which variable to set."""
    value = os.environ.get(var)
    if value:
        return Secret(value)
    if ask:
        try:
            with open("/dev/tty"):
                pass
        except OSError:
            pass
        else:
            try:
                value = getpass.getpass(f"{prompt} (or set {var}): ")
            except (EOFError, OSError):
                value = ""
            if value:
                return Secret(value)
    raise EnvironmentProblem(
        f"no password for {prompt}: set the environment variable {var} (the profile's [ad] section names "
        "it; passwords are never read from a profile or a command line)."
    )


@dataclass
class Endpoint:
    """An LDAP endpoint: ``ldaps://host:636`` (TLS) or ``ldap://host:389`` (StartTLS)."""

    host: str
    port: int
    tls: bool  # True: TLS from the start (ldaps); False: StartTLS

    @classmethod
    def parse(cls, url: str) -> "Endpoint":
        u = urlparse(url)
        if u.scheme not in ("ldap", "ldaps") or not u.hostname:
            raise EnvironmentProblem(f"not an LDAP URL: {url!r} (use ldaps://host or ldap://host)")
        tls = u.scheme == "ldaps"
        return cls(u.hostname.lower(), u.port or (636 if tls else 389), tls)

    @property
    def url(self) -> str:
        return f"{'ldaps' if self.tls else 'ldap'}://{self.host}:{self.port}"

    def global_catalog(self) -> "Endpoint":
        return Endpoint(self.host, 3269 if self.tls else 3268, self.tls)


@dataclass
class DirectoryTarget:
    """Everything needed to read one domain and to ask its KDC for tickets."""

    domain: str
    realm: str
    netbios_domain: str
    ldap: Endpoint
    global_catalog: Endpoint | None
    ca_bundle: str  # PEM file; "" = the system's trusted CAs
    service_account: str
    bind_user: str
    bind_password: Secret = field(repr=False, default_factory=lambda: Secret(""))
    service_password: Secret | None = field(repr=False, default=None)
    test_user: str = ""
    unlisted_service: str = ""
    delegation_proof: bool = True
    kdcs: list[str] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)
    #: False in the simulated world: names missing from ``addresses`` do not resolve.
    use_dns: bool = True
    timeout: float = 10.0
    #: Why the service account's password is unknown (the proof is then skipped).
    service_password_missing: str = ""

    def resolve(self, host: str) -> str:
        """The IP address of ``host``: ``addresses`` first, then DNS (when allowed)."""
        host = host.lower().rstrip(".")
        for name, addr in self.addresses.items():
            if name.lower().rstrip(".") == host:
                return addr
        try:
            socket.inet_aton(host)
            return host
        except OSError:
            pass
        if not self.use_dns:
            raise EnvironmentProblem(
                f"{host} is not in the simulated network (not in [ad].addresses), so nothing answers for it"
            )
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(socket.getaddrinfo, host, None, socket.AF_INET, socket.SOCK_STREAM)
            try:
                infos = fut.result(timeout=self.timeout)
            except concurrent.futures.TimeoutError:
                raise EnvironmentProblem(f"{host}: no DNS answer within {self.timeout:g} s") from None
            except socket.gaierror as exc:
                raise EnvironmentProblem(
                    f"{host} does not resolve ({exc.strerror}); map it in [ad].addresses") from None
        return infos[0][4][0]

    @property
    def service_principal(self) -> str:
        name = self.service_account
        if "\\" in name:
            name = name.split("\\", 1)[1]
        if "@" in name:
            name = name.split("@", 1)[0]
        return f"{name}@{self.realm}"


def target_from_section(ad, profile=None, *, ask: bool = True) -> DirectoryTarget:
    """Ldap mode: a target from ``[ad]``; the bind password from ``[ad].password_env``."""
    endpoint = Endpoint.parse(ad.ldap_url)
    gc = Endpoint.parse(ad.global_catalog_url) if ad.global_catalog_url else endpoint.global_catalog()
    bind_user = ad.bind_user or ad.service_account
    if not any(c in bind_user for c in "@\\="):
        # a simple bind needs a UPN, DOMAIN\\name or a DN; a bare sAMAccountName is refused
        bind_user = f"{bind_user}@{domain_name(profile)}"
    bind_password = secret_from_env(ad.password_env, f"LDAP bind as {bind_user}", ask=ask)
    service_password = None
    missing = ""
    if os.environ.get(ad.service_password_env):
        service_password = Secret(os.environ[ad.service_password_env])
    elif _same_account(bind_user, ad.service_account):
        service_password = bind_password
    else:
        missing = (f"the service account's password is not given: set {ad.service_password_env} to prove "
                   "delegation at the KDC")
    return DirectoryTarget(
        domain=domain_name(profile),
        realm=realm_name(profile),
        netbios_domain=netbios_name(profile),
        ldap=endpoint,
        global_catalog=gc,
        ca_bundle=str(ad.ca_bundle or ""),
        service_account=ad.service_account,
        bind_user=bind_user,
        bind_password=bind_password,
        service_password=service_password,
        test_user=ad.test_user,
        unlisted_service=ad.unlisted_service,
        delegation_proof=ad.delegation_proof,
        kdcs=list(ad.kdc),
        addresses=dict(ad.addresses),
        use_dns=True,
        timeout=ad.timeout_seconds,
        service_password_missing=missing,
    )


def _same_account(a: str, b: str) -> bool:
    def norm(x: str) -> str:
        x = x.lower()
        if "\\" in x:
            x = x.split("\\", 1)[1]
        return x.split("@", 1)[0]

    return norm(a) == norm(b)
