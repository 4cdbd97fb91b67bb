"""One directory under test for a whole run: what the step glue talks to.

:class:`AdSession` reads the directory once (lazily), probes the domain controllers'
certificates once, runs the delegation proof once, and hands out
:class:`~wscard.checks.CheckResult` objects, one call per step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..checks import CheckResult
from ..errors import EnvironmentProblem
from . import checks, kerberos
from . import ldap as ldap_
from .checks import split_spn
from .model import CertificateProbe, DomainSnapshot
from .target import DirectoryTarget, Endpoint, Secret, target_from_section


@dataclass
class AdSession:
    target: DirectoryTarget
    #: The running simulated DC (samba mode), else None.
    dc: object | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: The simulated DC after close() (its timings stay readable).
    last_dc: object | None = None
    _snapshot: DomainSnapshot | None = None
    _probes: list[CertificateProbe] | None = None
    _proof: kerberos.DelegationProof | None = None
    _users: dict[str, object] = field(default_factory=dict)
    _named: dict[str, list] = field(default_factory=dict)

    # --- reading, once -------------------------------------------------------------
    def snapshot(self) -> DomainSnapshot:
        if self._snapshot is None:
            t0 = time.monotonic()
            self._snapshot = ldap_.read_snapshot(self.target)
            self.timings["read_directory"] = round(time.monotonic() - t0, 3)
        return self._snapshot

    def probes(self) -> list[CertificateProbe]:
        if self._probes is None:
            self._probes = ldap_.probe_all(self.target, self.snapshot())
        return self._probes

    def kdcs(self) -> list[str]:
        if self.target.kdcs:
            return list(self.target.kdcs)
        out = []
        for dc in self.snapshot().domain_controllers:
            try:
                out.append(self.target.resolve(dc.dns_host_name))
            except EnvironmentProblem:
                continue
        return out

    def unlisted_service(self) -> str:
        if self.target.unlisted_service:
            return self.target.unlisted_service
        snap = self.snapshot()
        listed = {t.lower() for t in snap.service_account.allowed_to_delegate_to}
        for dc in snap.domain_controllers:
            for cls in ("host", "cifs", "http"):
                cand = f"{cls}/{dc.dns_host_name}"
                if cand.lower() not in listed:
                    return cand
        return ""

    def listed_service(self) -> str:
        """The ldap service of the domain controller the harness reads from (else the
        first domain controller's)."""
        snap = self.snapshot()
        names = [dc.dns_host_name for dc in snap.domain_controllers]
        host = self.target.ldap.host if self.target.ldap.host in names else (names[0] if names else "")
        return f"ldap/{host}" if host else ""

    def proof(self) -> kerberos.DelegationProof:
        if self._proof is None:
            snap = self.snapshot()
            ldap_services = [f"ldap/{dc.dns_host_name}" for dc in snap.domain_controllers]
            t0 = time.monotonic()
            self._proof = kerberos.prove_delegation(
                self.target, snap.service_account.sam_account_name or self.target.service_principal.split("@")[0],
                ldap_services, self.listed_service(), self.unlisted_service(), self.kdcs())
            self.timings["delegation_proof"] = round(time.monotonic() - t0, 3)
        return self._proof

    # --- the checks, one per step -------------------------------------------------
    def check_spn(self) -> CheckResult:
        return checks.check_service_principal_name(self.snapshot())

    def check_delegation_settings(self) -> CheckResult:
        return checks.check_delegation_settings(self.snapshot())

    def check_delegation_granted(self) -> CheckResult:
        return checks.check_delegation_granted(self.snapshot(), self.proof())

    def check_delegation_refused_elsewhere(self) -> CheckResult:
        return checks.check_delegation_refused_elsewhere(self.snapshot(), self.proof())

    def check_ldap_service_chosen(self) -> CheckResult:
        return checks.check_ldap_service_chosen(self.snapshot())

    def check_every_domain_controller(self) -> CheckResult:
        return checks.check_every_domain_controller(self.snapshot())

    def check_delegation_every_dc(self) -> CheckResult:
        return checks.check_delegation_every_dc(self.snapshot(), self.proof())

    def check_dc_certificates(self) -> CheckResult:
        return checks.check_dc_certificates(self.snapshot(), self.probes())

    # --- KCD-5..KCD-7, UC-7 ----------------------------------------------------------
    def accounts_named(self, name: str) -> list:
        """(Account, attribute) for the accounts whose sAMAccountName, UPN, UPN prefix,
        displayName or cn is ``name`` (read once per name)."""
        if name not in self._named:
            with ldap_.connect(self.target) as conn:
                base = ldap_.root_dse(conn)["defaultNamingContext"]
                self._named[name] = ldap_.find_accounts_named(conn, base, name)
        return self._named[name]

    def user_account(self, upn: str):
        """The account a certificate's UPN maps to (by userPrincipalName, else the
        implicit UPN sAMAccountName@domain), None when there is none; read once per UPN."""
        key = upn.lower()
        if key not in self._users:
            with ldap_.connect(self.target) as conn:
                base = ldap_.root_dse(conn)["defaultNamingContext"]
                self._users[key] = ldap_.find_user_by_upn(conn, base, upn)
        return self._users[key]

    def check_service_account_name(self, given: str | None, unreadable: str = "") -> CheckResult:
        """KCD-5 for the user name AD Connector reports (None: not readable, skipped)."""
        if given is None:
            return checks.check_service_account_name(None, [], unreadable=unreadable)
        matches = self.accounts_named(given) if given else []
        return checks.check_service_account_name(given, matches, self.snapshot().service_account)

    def check_encryption_types(self) -> CheckResult:
        return checks.check_encryption_types(self.snapshot())

    def check_encryption_at_kdc(self) -> CheckResult:
        return checks.check_encryption_at_kdc(self.snapshot(), self.proof())

    def check_ntauth(self, user_certs) -> CheckResult:
        """KCD-7 for ``user_certs``: (label, certificate) pairs."""
        return checks.check_ntauth(self.snapshot().ntauth, list(user_certs))

    def check_strong_mapping(self, user_certs, expected_upn: str = "") -> CheckResult:
        """UC-7 for each (label, certificate): the account its UPN maps to (the
        certificate's SAN UPN, else ``expected_upn``) must map it strongly."""
        from ..checks import merge
        from ..pki.certs import upns
        from .mapping import check_strong_mapping

        results = []
        for label, cert in user_certs:
            try:
                found = upns(cert)
            except Exception as exc:  # a certificate whose extensions cryptography refuses
                results.append(CheckResult("UC-7").skip(f"the UPN of {label} cannot be read: {exc}"))
                continue
            upn = found[0] if found else expected_upn
            if not upn:
                results.append(CheckResult("UC-7").skip(
                    f"{label} has no UPN and the profile names none ([pki].upn): the account cannot be found (UC-1)"))
                continue
            acct = self.user_account(upn)
            results.append(check_strong_mapping(cert, label, acct, f"no account of the domain has the "
                                                                   f"userPrincipalName {upn} (UC-1)"))
        if not results:
            return CheckResult("UC-7").skip("there is no user certificate to judge")
        if len(results) == 1:
            return results[0]
        judged = [r for r in results if not r.skipped_because]
        # a skipped certificate must not hide another's failure
        return merge("UC-7", results=judged or results)

    def delegation_trace(self) -> str:
        p = self._proof
        return p.trace if p is not None else ""

    def describe(self) -> dict:
        t = self.target
        return {
            "domain": t.domain,
            "realm": t.realm,
            "ldap": t.ldap.url,
            "global_catalog": t.global_catalog.url if t.global_catalog else "",
            "ca_bundle": t.ca_bundle or "system trust store",
            "bind_user": t.bind_user,
            "service_account": t.service_account,
            "simulated": self.dc is not None,
        }

    def close(self) -> None:
        dc, self.dc = self.dc, None
        if dc is not None:
            self.last_dc = dc
            dc.stop()


def session_for_samba(profile, dc) -> AdSession:
    """A session reading a running simulated DC as its service account."""
    ad = profile.ad
    spec = dc.spec
    ep = Endpoint(spec.dc_hostname, 636, True)
    secret = dc.service_password
    target = DirectoryTarget(
        domain=spec.domain,
        realm=spec.realm,
        netbios_domain=spec.netbios_domain,
        ldap=ep,
        global_catalog=ep.global_catalog(),
        ca_bundle=str(dc.ca_bundle),
        service_account=spec.service_account,
        bind_user=f"{spec.service_account}@{spec.domain}",
        bind_password=secret,
        service_password=Secret(secret.reveal()),
        test_user=spec.test_user,
        unlisted_service=ad.unlisted_service,
        delegation_proof=ad.delegation_proof,
        kdcs=[dc.kdc],
        addresses=dc.addresses,
        use_dns=False,
        timeout=ad.timeout_seconds,
    )
    return AdSession(target, dc)


def session_for_ldap(profile, *, ask: bool = True) -> AdSession:
    return AdSession(target_from_section(profile.ad, profile, ask=ask))


__all__ = ["AdSession", "session_for_samba", "session_for_ldap", "split_spn"]
