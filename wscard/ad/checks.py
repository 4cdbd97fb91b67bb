"""KCD-1..KCD-4: pure functions from what was read (a :class:`DirectorySnapshot`,
certificate probes, a delegation proof) to :class:`~wscard.checks.CheckResult`.

Every failure names the account, attribute or domain controller to fix, and how
(Active Directory Users and Computers, ``setspn``, PowerShell)."""

from __future__ import annotations

from datetime import datetime, timezone

from cryptography import x509

from ..checks import CheckResult
from ..pki.certs import load_certificate
from .model import (
    OID_KDC_AUTH,
    TRUSTED_FOR_DELEGATION,
    TRUSTED_TO_AUTH_FOR_DELEGATION,
    CertificateProbe,
    DirectorySnapshot,
    uac_flags,
)

TITLES = {
    "KCD-1": "The AD Connector service account has an SPN that no other account holds",
    "KCD-2": "Delegation to specified services only, with any authentication protocol",
    "KCD-3": "Delegation to the ldap service of every domain controller",
    "KCD-4": "Domain controllers carry certificates with the KDC Authentication EKU",
}


def _svc(snap: DirectorySnapshot) -> str:
    a = snap.service_account
    return f"service account {a.name} ({a.dn})"


def split_spn(spn: str) -> tuple[str, str]:
    """``ldap/dc1.example.com:389/example.com`` -> (``ldap``, ``dc1.example.com``)."""
    cls, _, rest = spn.partition("/")
    host = rest.split("/", 1)[0].split(":", 1)[0]
    return cls.lower(), host.lower()


# --- KCD-1 --------------------------------------------------------------------------

def check_service_principal_name(snap: DirectorySnapshot) -> CheckResult:
    """KCD-1: the account has an SPN and no other account in the forest holds it."""
    r = CheckResult("KCD-1", TITLES["KCD-1"])
    acct = snap.service_account
    r.evidence.update(snap.evidence())
    if not acct.spns:
        r.fail(
            _svc(snap),
            "has no servicePrincipalName: without an SPN the account cannot be configured for "
            "delegation (seed step 1: 'This enables the service account for delegation configuration').",
            f"give it an SPN that is not used elsewhere, checking for duplicates: "
            f"setspn -s adconnector/{acct.sam_account_name or 'svc'}.{snap.domain} {acct.sam_account_name or acct.name}",
        )
        return r
    for h in snap.spn_holders:
        holder = f"{h.sam_account_name} ({h.dn})" if h.sam_account_name else h.dn
        if h.how == "exact":
            r.fail(
                f"SPN {h.spn}",
                f"is held by {holder} as well as by the {_svc(snap)}: an SPN must be unique in the "
                "forest, or the KDC cannot tell which account the service is.",
                f"remove it from the other account (setspn -d {h.spn} {h.sam_account_name or h.dn}) if that "
                f"account does not need it, or give the service account another SPN with setspn -s "
                f"(which refuses duplicates), then list duplicates with setspn -x.",
            )
        else:
            cls, host = split_spn(h.spn)
            r.warn(
                f"SPN {h.spn}",
                f"service class '{cls}' is an alias of host/{host} (sPNMappings), held by {holder}: "
                "requests for it may be answered for that account.",
                f"choose an SPN whose host part is not a computer of the domain, e.g. "
                f"adconnector/{acct.sam_account_name}.{snap.domain}.",
            )
    if snap.spn_search_scope != "forest":
        r.warn(
            f"domain {snap.domain}",
            f"duplicates were searched for in this domain only, not in the whole forest: {snap.spn_search_note}",
            "make the global catalog reachable (port 3269 or 3268) or set [ad].global_catalog_url.",
        )
    return r


# --- KCD-2 --------------------------------------------------------------------------

def check_delegation_settings(snap: DirectorySnapshot) -> CheckResult:
    """KCD-2: constrained delegation with protocol transition, not unconstrained."""
    r = CheckResult("KCD-2", TITLES["KCD-2"])
    acct = snap.service_account
    uac = acct.user_account_control
    r.evidence["service_account"] = acct.describe()
    tab = ("Active Directory Users and Computers > the account > Properties > Delegation: choose "
           "'Trust this user for delegation to specified services only' and 'Use any authentication protocol'")
    if uac & TRUSTED_FOR_DELEGATION:
        r.fail(
            _svc(snap),
            f"userAccountControl {uac} (0x{uac:x}) has TRUSTED_FOR_DELEGATION (0x80000): unconstrained "
            "delegation ('Trust this user for delegation to any service'), which AD Connector does not use "
            "and which lets the account impersonate users to any service.",
            f"{tab} (PowerShell: Set-ADAccountControl {acct.sam_account_name} -TrustedForDelegation $false "
            f"-TrustedToAuthForDelegation $true).",
        )
    if not uac & TRUSTED_TO_AUTH_FOR_DELEGATION:
        kind = ("constrained delegation without protocol transition ('Use Kerberos only')"
                if acct.allowed_to_delegate_to else "no protocol transition")
        r.fail(
            _svc(snap),
            f"userAccountControl {uac} (0x{uac:x}: {', '.join(uac_flags(uac)) or 'no delegation flags'}) lacks "
            f"TRUSTED_TO_AUTH_FOR_DELEGATION (0x1000000): {kind}. Smart card users do not give AD Connector a "
            "Kerberos ticket, so it must obtain one for them (S4U2Self).",
            f"{tab} (PowerShell: Set-ADAccountControl {acct.sam_account_name} -TrustedToAuthForDelegation $true).",
        )
    if not acct.allowed_to_delegate_to:
        r.fail(
            _svc(snap),
            "msDS-AllowedToDelegateTo is empty: the account may delegate to no service.",
            "on the Delegation tab choose Add > Users or Computers > each domain controller > the 'ldap' "
            "service type.",
        )
    return r


def _proof_precondition(r: CheckResult, snap: DirectorySnapshot, proof) -> bool:
    """False (and ``r`` skipped) when the proof cannot judge this requirement."""
    if proof is None:
        r.skip("no delegation proof was run")
        return False
    if proof.skipped_because:
        r.skip(proof.skipped_because)
        return False
    r.evidence["delegation_proof"] = proof.summary()
    if proof.self_failed and not snap.service_account.spns:
        r.skip(f"the KDC gave the service account no ticket for {proof.user} (S4U2Self: "
               f"{proof.self_request.error}) because the account has no SPN: see KCD-1")
        return False
    return True


def check_delegation_granted(snap: DirectorySnapshot, proof) -> CheckResult:
    """KCD-2 at the KDC: a ticket to a listed ldap service, for a user who gave no
    password, through protocol transition (S4U2Self) and constrained delegation (S4U2Proxy)."""
    r = CheckResult("KCD-2", "The KDC delegates for a user to a listed service through protocol transition")
    if not _proof_precondition(r, snap, proof):
        return r
    acct = snap.service_account
    listed = proof.listed
    if listed is None:
        r.skip("no ldap service of a domain controller to ask a ticket for")
    elif not listed.granted:
        step = "S4U2Self (protocol transition)" if proof.self_failed else "S4U2Proxy (constrained delegation)"
        r.fail(
            f"{acct.name} acting for {proof.user} to {listed.service}",
            f"the KDC refused {step}: {listed.error}.",
            "choose 'Use any authentication protocol' on the Delegation tab if it is not chosen; otherwise check "
            "that the user is not marked 'Account is sensitive and cannot be delegated' nor in 'Protected Users', "
            "and that the change has replicated to every domain controller.",
        )
    return r


def check_delegation_refused_elsewhere(snap: DirectorySnapshot, proof) -> CheckResult:
    """KCD-2 at the KDC: delegation to a service that is not listed is refused."""
    r = CheckResult("KCD-2", "The KDC refuses to delegate to a service that is not listed")
    if not _proof_precondition(r, snap, proof):
        return r
    acct = snap.service_account
    unlisted = proof.unlisted
    if unlisted is None:
        if proof.self_failed:
            r.skip(f"the KDC gave the service account no ticket for {proof.user} at all (S4U2Self)")
        else:
            r.skip("no unlisted service to ask for: set [ad].unlisted_service")
    elif unlisted.granted:
        r.fail(
            f"{acct.name} acting for {proof.user} to {unlisted.service}",
            "the KDC issued a ticket to a service that is not in msDS-AllowedToDelegateTo: delegation is not "
            "constrained to the listed services.",
            "choose 'Trust this user for delegation to specified services only' on the Delegation tab "
            "(clears TRUSTED_FOR_DELEGATION).",
        )
    elif unlisted.outcome != "refused":
        r.warn(
            f"{acct.name} acting for {proof.user} to {unlisted.service}",
            f"could not show the refusal for an unlisted service: {unlisted.error}",
            "set [ad].unlisted_service to an SPN that exists and is not a delegation target.",
        )
    return r


def check_delegation_proof(snap: DirectorySnapshot, proof) -> CheckResult:
    """Both halves of the KCD-2 proof in one result."""
    from ..checks import merge

    return merge("KCD-2", "The KDC delegates for a user to listed services only",
                 [check_delegation_granted(snap, proof), check_delegation_refused_elsewhere(snap, proof)])


# --- KCD-3 --------------------------------------------------------------------------

_NO_TARGETS = ("the account has no delegation targets at all (msDS-AllowedToDelegateTo is empty), so there is no "
               "choice of service to judge: see KCD-2")


def _dc_names(snap: DirectorySnapshot) -> dict[str, str]:
    names = {}
    for dc in snap.domain_controllers:
        names[dc.dns_host_name.lower()] = dc.name
        names[dc.short_name.lower()] = dc.name
    return names


def check_ldap_service_chosen(snap: DirectorySnapshot) -> CheckResult:
    """KCD-3 (seed steps 5-8): the ldap service type of a domain controller is a target."""
    r = CheckResult("KCD-3", "The ldap service of a domain controller is a delegation target")
    acct = snap.service_account
    targets = acct.allowed_to_delegate_to
    r.evidence["msDS-AllowedToDelegateTo"] = list(targets)
    if not targets:
        return r.skip(_NO_TARGETS)
    names = _dc_names(snap)
    on_dcs = [(t, *split_spn(t)) for t in targets if split_spn(t)[1] in names]
    ldap = [t for t, cls, _ in on_dcs if cls == "ldap"]
    if ldap:
        return r
    other = sorted({t for t, cls, _ in on_dcs if cls != "ldap"})
    problem = f"msDS-AllowedToDelegateTo of {acct.name} lists no ldap service of a domain controller"
    if other:
        problem += f"; it lists {', '.join(other)}: another service type was chosen instead of 'ldap'"
    elif targets:
        problem += f" (it lists {', '.join(targets)})"
    r.fail(
        _svc(snap),
        problem + ".",
        "Delegation tab > Add > Users or Computers > the domain controller > choose the 'ldap' service type "
        f"(PowerShell: Set-ADUser {acct.sam_account_name} -Add @{{'msDS-AllowedToDelegateTo'="
        f"'ldap/<dc fqdn>','ldap/<DC>'}}).",
    )
    return r


def check_every_domain_controller(snap: DirectorySnapshot) -> CheckResult:
    """KCD-3 (seed step 9): ``ldap/<dNSHostName>`` of every domain controller is listed."""
    r = CheckResult("KCD-3", TITLES["KCD-3"])
    acct = snap.service_account
    listed = {t.lower() for t in acct.allowed_to_delegate_to}
    r.evidence["domain_controllers"] = [dc.dns_host_name for dc in snap.domain_controllers]
    r.evidence["msDS-AllowedToDelegateTo"] = list(acct.allowed_to_delegate_to)
    if not acct.allowed_to_delegate_to:
        return r.skip(_NO_TARGETS)
    if not snap.domain_controllers:
        r.fail(
            f"domain {snap.domain}",
            "no domain controller account found (userAccountControl with SERVER_TRUST_ACCOUNT, 0x2000).",
            "check that the bind account may read OU=Domain Controllers.",
        )
        return r
    missing = []
    for dc in snap.domain_controllers:
        want = f"ldap/{dc.dns_host_name}".lower()
        if want in listed:
            continue
        missing.append(dc.dns_host_name)
        short = f"ldap/{dc.short_name}".lower() in listed
        r.fail(
            f"domain controller {dc.dns_host_name} ({dc.dn})",
            f"its ldap service (ldap/{dc.dns_host_name}) is not in msDS-AllowedToDelegateTo of {acct.name}"
            + (" (only the NetBIOS form ldap/" + dc.short_name + " is)" if short else "")
            + ": AD Connector cannot act for smart card users when it reaches this domain controller.",
            f"repeat the delegation for it: Delegation tab > Add > Users or Computers > {dc.short_name} > 'ldap' "
            f"(PowerShell: Set-ADUser {acct.sam_account_name} -Add @{{'msDS-AllowedToDelegateTo'="
            f"'ldap/{dc.dns_host_name}','ldap/{dc.short_name}'}}).",
        )
    if missing:
        r.evidence["missing"] = missing
    return r


def check_delegation_every_dc(snap: DirectorySnapshot, proof) -> CheckResult:
    """KCD-3 at the KDC: a ticket to ``ldap/<dc>`` of every domain controller for a user."""
    r = CheckResult("KCD-3", "The KDC delegates to the ldap service of every domain controller")
    if not _proof_precondition(r, snap, proof):
        return r
    if check_delegation_settings(snap).failures():
        # without protocol transition the KDC refuses S4U2Proxy for every service alike
        return r.skip("the account's delegation settings fail KCD-2, so the KDC refuses every service alike: "
                      "the proof cannot tell which domain controllers are listed")
    for dc in snap.domain_controllers:
        res = proof.for_service(f"ldap/{dc.dns_host_name}")
        if res is None or res.granted:
            continue
        r.fail(
            f"domain controller {dc.dns_host_name}",
            f"the KDC refused to let {snap.service_account.name} act for {proof.user} to ldap/{dc.dns_host_name}: "
            f"{res.error}.",
            f"add ldap/{dc.dns_host_name} to the account's delegation targets (Delegation tab > Add > "
            f"{dc.short_name} > 'ldap').",
        )
    return r


# --- KCD-4 --------------------------------------------------------------------------

def _ekus(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return []
    return [oid.dotted_string for oid in ext.value]


def _describe(cert: x509.Certificate) -> str:
    return f"certificate '{cert.subject.rfc4514_string()}' (serial {cert.serial_number:X}, issued by " \
           f"'{cert.issuer.rfc4514_string()}')"


def certificate_facts(cert: x509.Certificate) -> dict:
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": f"{cert.serial_number:X}",
        "not_after": cert.not_valid_after_utc.isoformat(),
        "extended_key_usage": _ekus(cert),
    }


def check_dc_certificates(snap: DirectorySnapshot, probes: list[CertificateProbe],
                          now: datetime | None = None) -> CheckResult:
    """KCD-4: each domain controller's certificate has the KDC Authentication EKU."""
    r = CheckResult("KCD-4", TITLES["KCD-4"])
    now = now or datetime.now(timezone.utc)
    by_dc = {p.dc.lower(): p for p in probes}
    fix = ("enroll the domain controller for a certificate of the 'Kerberos Authentication' template (EKU KDC "
           "Authentication 1.3.6.1.5.2.3.5, with Server and Client Authentication) and remove the old one; "
           "check with certutil -dcinfo verify.")
    for dc in snap.domain_controllers:
        p = by_dc.get(dc.dns_host_name.lower())
        published = []
        unreadable = []
        for der in dc.published_certificates:
            try:
                published.append(load_certificate(der, f"a userCertificate value of {dc.dns_host_name}"))
            except ValueError as exc:
                unreadable.append(str(exc))
        pub_kdc = [c for c in published if OID_KDC_AUTH in _ekus(c) and c.not_valid_after_utc > now]
        entry: dict = {"published_userCertificate": [certificate_facts(c) for c in published]}
        if unreadable:
            entry["unreadable_userCertificate"] = unreadable
        r.evidence[dc.dns_host_name] = entry
        if p is None or p.certificate is None:
            entry["probe_error"] = p.error if p else "not probed"
            if pub_kdc:
                entry["judged_from"] = "userCertificate published on the account"
                continue
            r.warn(
                f"domain controller {dc.dns_host_name}",
                f"its certificate could not be read ({entry['probe_error']}) and its account publishes no "
                "certificate with the KDC Authentication EKU.",
                "make its LDAPS port reachable from this machine (or map its name in [ad].addresses), or check "
                "the certificate on the domain controller: certutil -dcinfo verify.",
            )
            continue
        cert = p.certificate
        entry["presented"] = {**certificate_facts(cert), "address": f"{p.address}:{p.port}",
                              "chain_ok": p.chain_ok}
        ekus = _ekus(cert)
        if OID_KDC_AUTH not in ekus:
            if pub_kdc:
                entry["judged_from"] = "LDAPS presents another certificate; the account publishes one with the KDC EKU"
            else:
                r.fail(
                    f"domain controller {dc.dns_host_name}: {_describe(cert)}",
                    "lacks the KDC Authentication EKU (1.3.6.1.5.2.3.5)"
                    + (f"; its EKUs are {', '.join(ekus)}" if ekus else "; it has no EKU extension")
                    + ": smart card sign-in needs the KDC to prove itself with such a certificate.",
                    fix,
                )
                continue
        if cert.not_valid_after_utc <= now or cert.not_valid_before_utc > now:
            r.fail(
                f"domain controller {dc.dns_host_name}: {_describe(cert)}",
                f"is not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}).",
                fix,
            )
        elif p.chain_ok is False:
            r.warn(
                f"domain controller {dc.dns_host_name}: {_describe(cert)}",
                f"does not verify against the configured CA bundle: {p.chain_error}",
                "add the CA that issued the domain controllers' certificates to [ad].ca_bundle.",
            )
    return r
