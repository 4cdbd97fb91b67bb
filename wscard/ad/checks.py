"""KCD-1..KCD-4: pure functions from what was read (a :class:`DomainSnapshot`,
certificate probes, a delegation proof) to :class:`~wscard.checks.CheckResult`.

Every failure names the account, attribute or domain controller to fix, and how
(Active Directory Users and Computers, ``setspn``, PowerShell)."""

from __future__ import annotations

from datetime import datetime, timezone

from cryptography import x509

from ..checks import CheckResult
from ..pki import certs as C
from ..pki.certs import load_certificate, read_certificates
from .kerberos import TicketOutcome
from .model import (
    OID_KDC_AUTH,
    TRUSTED_FOR_DELEGATION,
    TRUSTED_TO_AUTH_FOR_DELEGATION,
    CertificateProbe,
    DomainSnapshot,
    uac_flags,
)

def _svc(snap: DomainSnapshot) -> str:
    a = snap.service_account
    return f"service account {a.name} ({a.dn})"


def split_spn(spn: str) -> tuple[str, str]:
    """``ldap/dc1.example.com:389/example.com`` -> (``ldap``, ``dc1.example.com``)."""
    cls, _, rest = spn.partition("/")
    host = rest.split("/", 1)[0].split(":", 1)[0]
    return cls.lower(), host.lower()


# --- KCD-1 --------------------------------------------------------------------------

def check_service_principal_name(snap: DomainSnapshot) -> CheckResult:
    """KCD-1: the account has an SPN and no other account in the forest holds it."""
    r = CheckResult("KCD-1")
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

def check_delegation_settings(snap: DomainSnapshot) -> CheckResult:
    """KCD-2: constrained delegation with protocol transition, not unconstrained."""
    r = CheckResult("KCD-2")
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
            "and which lets the account impersonate users to any service"
            + (f"; msDS-AllowedToDelegateTo still lists {len(acct.allowed_to_delegate_to)} service(s), which "
               "constrain nothing while the flag is set (it was set outside the Delegation tab, which clears the "
               "list)." if acct.allowed_to_delegate_to else "."),
            f"{tab} (PowerShell: Set-ADAccountControl {acct.sam_account_name} -TrustedForDelegation $false "
            f"-TrustedToAuthForDelegation $true).",
        )
    if not uac & TRUSTED_TO_AUTH_FOR_DELEGATION and not (uac & TRUSTED_FOR_DELEGATION):
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


def _proof_precondition(r: CheckResult, snap: DomainSnapshot, proof) -> bool:
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
    etype = [q for q in ([proof.self_request] if proof.self_request else []) + list(proof.requests)
             if q.outcome is TicketOutcome.ETYPE]
    if etype:
        r.skip(f"the KDC refused {etype[0].kind} to {etype[0].service} for lack of a shared encryption type "
               f"({etype[0].error}), whatever the delegation settings: see KCD-6")
        return False
    return True


def check_delegation_granted(snap: DomainSnapshot, proof) -> CheckResult:
    """KCD-2 at the KDC: a ticket to a listed ldap service, for a user who gave no
    password, through protocol transition (S4U2Self) and constrained delegation (S4U2Proxy)."""
    r = CheckResult("KCD-2")
    if not _proof_precondition(r, snap, proof):
        return r
    acct = snap.service_account
    listed = proof.listed
    targets = {t.lower() for t in acct.allowed_to_delegate_to}
    if listed is None:
        r.skip("no ldap service of a domain controller to ask a ticket for")
    elif not listed.granted and acct.allowed_to_delegate_to and listed.service.lower() not in targets \
            and not proof.self_failed:
        r.skip(f"{listed.service} is not in msDS-AllowedToDelegateTo in the form a ticket is asked for, so the KDC "
               "refusal says nothing about the delegation settings: see KCD-3")
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


def check_delegation_refused_elsewhere(snap: DomainSnapshot, proof) -> CheckResult:
    """KCD-2 at the KDC: delegation to a service that is not listed is refused."""
    r = CheckResult("KCD-2")
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
    elif unlisted.outcome is not TicketOutcome.REFUSED:
        r.warn(
            f"{acct.name} acting for {proof.user} to {unlisted.service}",
            f"could not show the refusal for an unlisted service: {unlisted.error}",
            "set [ad].unlisted_service to an SPN that exists and is not a delegation target.",
        )
    return r


def check_delegation_proof(snap: DomainSnapshot, proof) -> CheckResult:
    """Both halves of the KCD-2 proof in one result."""
    from ..checks import merge

    return merge("KCD-2", results=[check_delegation_granted(snap, proof),
                                   check_delegation_refused_elsewhere(snap, proof)])


# --- KCD-3 --------------------------------------------------------------------------

_NO_TARGETS = ("the account has no delegation targets at all (msDS-AllowedToDelegateTo is empty), so there is no "
               "choice of service to judge: see KCD-2")


def _dc_names(snap: DomainSnapshot) -> dict[str, str]:
    names = {}
    for dc in snap.domain_controllers:
        names[dc.dns_host_name.lower()] = dc.name
        names[dc.short_name.lower()] = dc.name
    return names


def check_ldap_service_chosen(snap: DomainSnapshot) -> CheckResult:
    """KCD-3 (seed steps 5-8): the ldap service type of a domain controller is a target."""
    r = CheckResult("KCD-3")
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


def check_every_domain_controller(snap: DomainSnapshot) -> CheckResult:
    """KCD-3 (seed step 9): ``ldap/<dNSHostName>`` of every domain controller is listed."""
    r = CheckResult("KCD-3")
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
        forms = other_forms(acct.allowed_to_delegate_to, dc)
        found = (" (found only " + "; ".join(f"{v} ({how})" for v, how in forms)
                 + f", which the KDC does not match against a request for ldap/{dc.dns_host_name})") if forms else ""
        r.fail(
            f"domain controller {dc.dns_host_name} ({dc.dn})",
            f"its ldap service (ldap/{dc.dns_host_name}) is not in msDS-AllowedToDelegateTo of {acct.name}"
            + found
            + ": AD Connector cannot act for smart card users when it reaches this domain controller.",
            f"repeat the delegation for it: Delegation tab > Add > Users or Computers > {dc.short_name} > 'ldap' "
            f"(PowerShell: Set-ADUser {acct.sam_account_name} -Add @{{'msDS-AllowedToDelegateTo'="
            f"'ldap/{dc.dns_host_name}','ldap/{dc.short_name}'}}).",
        )
    if missing:
        r.evidence["missing"] = missing
    return r


def other_forms(targets: list[str], dc) -> list[tuple[str, str]]:
    """Entries of ``targets`` that name ``dc``'s ldap service in a form other than the
    one a ticket is asked for (``ldap/<dNSHostName>``, compared without case): the
    NetBIOS name, a port, a service name (three-part SPN). Each with what it is."""
    out = []
    fqdn, short = dc.dns_host_name.lower(), dc.short_name.lower()
    for t in targets:
        cls, _, rest = t.partition("/")
        if cls.lower() != "ldap" or not rest:
            continue
        hostport, _, service = rest.partition("/")
        host, _, port = hostport.partition(":")
        if host.lower() not in (fqdn, short) or t.lower() == f"ldap/{fqdn}":
            continue
        kinds = []
        if host.lower() == short and short != fqdn:
            kinds.append("the NetBIOS form")
        if port:
            kinds.append(f"port {port}")
        if service:
            kinds.append(f"three-part SPN with service name {service}")
        out.append((t, ", ".join(kinds) or "another form"))
    return out


def check_delegation_every_dc(snap: DomainSnapshot, proof) -> CheckResult:
    """KCD-3 at the KDC: a ticket to ``ldap/<dc>`` of every domain controller for a user."""
    r = CheckResult("KCD-3")
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

def _describe(cert: x509.Certificate) -> str:
    return f"certificate '{cert.subject.rfc4514_string()}' (serial {cert.serial_number:X}, issued by " \
           f"'{cert.issuer.rfc4514_string()}')"


def certificate_facts(cert: x509.Certificate) -> dict:
    return {**C.identity_facts(cert), "extended_key_usage": C.ekus(cert) or []}


def check_dc_certificates(snap: DomainSnapshot, probes: list[CertificateProbe],
                          now: datetime | None = None) -> CheckResult:
    """KCD-4: each domain controller's certificate has the KDC Authentication EKU."""
    r = CheckResult("KCD-4")
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
        pub_kdc = [c for c in published if OID_KDC_AUTH in (C.ekus(c) or []) and c.not_valid_after_utc > now]
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
        ekus = C.ekus(cert) or []
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


# --- KCD-5 --------------------------------------------------------------------------

#: sAMAccountName holds at most 20 characters for users and computers (the "User logon
#: name (pre-Windows 2000)"; Active Directory Users and Computers cuts longer names to 20).
SAM_ACCOUNT_NAME_MAX = 20
_KCD5_WHERE = ("Directory Service console > the AD Connector > Networking & security > Service account credentials "
               "(or recreate the connector)")


def check_service_account_name(given: str | None, matches: list[tuple], judged=None,
                               unreadable: str = "") -> CheckResult:
    """KCD-5: the user name AD Connector uses (DescribeDirectories
    ``ConnectSettings.CustomerUserName``) is the service account's sAMAccountName, at
    most 20 characters (S-CURRENT, S-PREREQ).

    :param given: CustomerUserName as AWS reports it; None when it could not be read.
    :param matches: ``(Account, attribute)`` pairs: the accounts of the domain whose
        sAMAccountName, userPrincipalName, userPrincipalName prefix, displayName or cn is
        ``given`` (:func:`wscard.ad.ldap.find_accounts_named`).
    :param judged: the account the other KCD checks judged (``[ad].service_account``), to
        say when AD Connector uses another one.
    :param unreadable: why ``given`` could not be read (the result is then skipped).
    """
    r = CheckResult("KCD-5")
    if given is None:
        return r.skip(unreadable or "AD Connector's ConnectSettings.CustomerUserName could not be read")
    r.evidence["ConnectSettings.CustomerUserName"] = given
    r.evidence["accounts_found"] = [{"dn": a.dn, "sAMAccountName": a.sam_account_name, "matched": how}
                                    for a, how in matches]
    if not given:
        r.fail("AD Connector", "DescribeDirectories reports no ConnectSettings.CustomerUserName.",
               f"set the service account's sAMAccountName in {_KCD5_WHERE}.")
        return r
    by_sam = [a for a, how in matches if how == "sAMAccountName"]
    others = [(a, how) for a, how in matches if how != "sAMAccountName"]
    form = ""
    if "@" in given:
        form = "a userPrincipalName (name@suffix)"
    elif "\\" in given:
        form = "a down-level logon name (DOMAIN\\name)"
    if by_sam and not form:
        acct = by_sam[0]
        sam = acct.sam_account_name
        r.evidence["service_account"] = {"dn": acct.dn, "sAMAccountName": sam, "length": len(sam)}
        if len(sam) > SAM_ACCOUNT_NAME_MAX:
            r.fail(f"service account {sam} ({acct.dn})",
                   f"its sAMAccountName has {len(sam)} characters; a sAMAccountName holds at most "
                   f"{SAM_ACCOUNT_NAME_MAX}, and AD Connector signs in with it.",
                   f"use a service account whose 'User logon name (pre-Windows 2000)' has at most {SAM_ACCOUNT_NAME_MAX} "
                   f"characters (Set-ADUser {sam} -SamAccountName <short name>), then give that name in {_KCD5_WHERE}.")
        elif judged is not None and judged.dn and acct.dn.lower() != judged.dn.lower():
            r.warn(f"AD Connector user name {given!r}",
                   f"is the account {acct.dn}, not the account the delegation checks judged ({judged.dn}, "
                   "[ad].service_account): KCD-1..KCD-3 and KCD-6 were judged on another account.",
                   f"set [ad].service_account = {sam!r} so that the harness checks the account AD Connector uses.")
        return r
    sam_hint = ""
    cand = by_sam + [a for a, _ in others] + ([judged] if judged is not None else [])
    if cand and cand[0].sam_account_name:
        sam_hint = cand[0].sam_account_name
    if form:
        problem = f"is {form}, not a sAMAccountName: AD Connector needs the account's sAMAccountName."
    elif others:
        acct, how = others[0]
        problem = (f"is the {how} of {acct.dn}, not its sAMAccountName "
                   f"({acct.sam_account_name!r}): AD Connector signs in with the sAMAccountName.")
    else:
        problem = "is the sAMAccountName of no account of the domain."
    if len(given) > SAM_ACCOUNT_NAME_MAX and not form:
        problem += (f" It has {len(given)} characters, and a sAMAccountName holds at most {SAM_ACCOUNT_NAME_MAX} "
                    "(Active Directory Users and Computers cuts a longer logon name to 20 for the pre-Windows 2000 "
                    "name).")
    fix = (f"give AD Connector the sAMAccountName {sam_hint!r} ('User logon name (pre-Windows 2000)'): {_KCD5_WHERE}."
           if sam_hint else
           f"give AD Connector the service account's sAMAccountName ('User logon name (pre-Windows 2000)', at most "
           f"{SAM_ACCOUNT_NAME_MAX} characters): {_KCD5_WHERE}.")
    r.fail(f"AD Connector user name {given!r} (ConnectSettings.CustomerUserName)", problem, fix)
    return r


# --- KCD-6 --------------------------------------------------------------------------

_ENC_FIX_ACCOUNT = ("on the service account choose 'This account supports Kerberos AES 128 bit encryption' and "
                    "'... AES 256 bit encryption' (Active Directory Users and Computers > Account), or "
                    "Set-ADUser {sam} -KerberosEncryptionType AES128,AES256; then reset its password so that it has "
                    "AES keys, and give AD Connector the new password")
_ENC_FIX_DC = ("or allow that type on the domain controllers (Group Policy 'Network security: Configure encryption "
               "types allowed for Kerberos')")


def _enc_set(value: int | None) -> set[str]:
    from .model import enctype_names

    return set(enctype_names(value))


def check_encryption_types(snap: DomainSnapshot) -> CheckResult:
    """KCD-6 from the directory: the service account and every domain controller share a
    Kerberos encryption type (msDS-SupportedEncryptionTypes of the account and of each
    DC's computer object; the domain's default, 0x27 per Microsoft KB5021131, where the
    attribute is not set). AES is recommended: sharing only RC4 (or DES) is a warning."""
    from .model import DEFAULT_ENCTYPES_SOURCE, describe_enctypes

    r = CheckResult("KCD-6")
    acct = snap.service_account
    mine = _enc_set(acct.supported_encryption_types)
    r.evidence["service_account"] = {"dn": acct.dn, "msDS-SupportedEncryptionTypes":
                                     describe_enctypes(acct.supported_encryption_types)}
    r.evidence["default_when_unset"] = DEFAULT_ENCTYPES_SOURCE
    if not snap.domain_controllers:
        return r.skip("no domain controller account was found (see KCD-3), so there is nothing to compare with")
    sam = acct.sam_account_name or acct.name
    weak_only = []
    for dc in snap.domain_controllers:
        theirs = _enc_set(dc.supported_encryption_types)
        shared = sorted(mine & theirs)
        r.evidence[dc.dns_host_name or dc.dn] = {"msDS-SupportedEncryptionTypes":
                                                 describe_enctypes(dc.supported_encryption_types), "shared": shared}
        if not shared:
            r.fail(f"{_svc(snap)} and domain controller {dc.dns_host_name or dc.dn}",
                   f"share no Kerberos encryption type: the account supports "
                   f"{describe_enctypes(acct.supported_encryption_types)}, the domain controller "
                   f"{describe_enctypes(dc.supported_encryption_types)}; the KDC cannot issue the delegation tickets "
                   "(KDC_ERR_ETYPE_NOSUPP) and smart card sign-in through AD Connector fails.",
                   _ENC_FIX_ACCOUNT.format(sam=sam) + ", " + _ENC_FIX_DC + ".")
        elif not any(t.startswith("AES") for t in shared):
            weak_only.append(f"{dc.dns_host_name or dc.dn} ({', '.join(shared)})")
    if weak_only:
        r.warn(_svc(snap),
               f"shares only RC4/DES with {', '.join(weak_only)}: AES is recommended, and Microsoft is removing RC4 "
               "from the KDC's defaults.",
               _ENC_FIX_ACCOUNT.format(sam=sam) + ".")
    return r


def check_encryption_at_kdc(snap: DomainSnapshot, proof) -> CheckResult:
    """KCD-6 at the KDC: the S4U2Self and S4U2Proxy tickets were issued, and with which
    encryption type (``klist -e``); a KDC_ERR_ETYPE_NOSUPP refusal is a failure."""
    r = CheckResult("KCD-6")
    if proof is None:
        return r.skip("no delegation proof was run")
    if proof.skipped_because:
        return r.skip(proof.skipped_because)
    r.evidence["delegation_proof"] = proof.summary()
    reqs = ([proof.self_request] if proof.self_request else []) + list(proof.requests)
    etype = [q for q in reqs if q.outcome is TicketOutcome.ETYPE]
    for q in etype:
        r.fail(f"{snap.service_account.name} acting for {proof.user} to {q.service} ({q.kind})",
               f"the KDC refused: {q.error}: the account and the domain controller share no encryption type the KDC "
               "allows.",
               _ENC_FIX_ACCOUNT.format(sam=snap.service_account.sam_account_name or snap.service_account.name)
               + ", " + _ENC_FIX_DC + ".")
    if etype:
        return r
    granted = [q for q in reqs if q.granted and q.ticket_enctype]
    if not granted:
        if proof.self_failed:
            return r.skip(f"the KDC gave no S4U2Self ticket ({proof.self_request.error}): see KCD-1 and KCD-2")
        return r.skip("no ticket's encryption type could be read (klist -e)")
    dcs = {dc.dns_host_name.lower(): dc for dc in snap.domain_controllers}
    for q in granted:
        if q.kind == "S4U2Self":
            allowed, whose = _enc_set(snap.service_account.supported_encryption_types), "the service account"
        else:
            host = split_spn(q.service)[1]
            dc = dcs.get(host)
            if dc is None:
                continue
            allowed, whose = _enc_set(dc.supported_encryption_types), f"domain controller {dc.dns_host_name}"
        if q.ticket_enctype not in allowed:
            r.warn(f"{q.kind} ticket to {q.service}",
                   f"is encrypted with {q.ticket_enctype}, which msDS-SupportedEncryptionTypes of {whose} does not "
                   f"list ({', '.join(sorted(allowed))}): the directory and the KDC disagree.",
                   "check the domain controllers' Kerberos policy and the account's msDS-SupportedEncryptionTypes.")
    return r


# --- KCD-7 --------------------------------------------------------------------------

_NTAUTH_FIX = ("publish the issuing CA's certificate to the forest's NTAuth store as an Enterprise Admin: "
               "certutil -dspublish -f <issuing-ca>.cer NTAuthCA (check with certutil -viewstore "
               "\"ldap:///CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,<forest root>"
               "?cACertificate\"), then let it replicate and refresh the WorkSpaces (gpupdate / certutil -pulse)")


def check_ntauth(store, user_certs: list[tuple[str, x509.Certificate]]) -> CheckResult:
    """KCD-7: the CA that issues the users' logon certificates is in the forest's NTAuth
    store (S-TUTORIAL): for each user certificate, a ``cACertificate`` of
    ``CN=NTAuthCertificates`` is its issuer (same name, and its key verifies the user
    certificate's signature). A root or another CA of the chain does not count.

    :param store: :class:`~wscard.ad.model.NtAuthStore`, None when not read.
    :param user_certs: (label, certificate) of each logon certificate under test.
    """
    r = CheckResult("KCD-7")
    if store is None:
        return r.skip("the NTAuth store was not read")
    if store.error:
        return r.skip(f"the NTAuth store could not be read: {store.error}")
    if not user_certs:
        return r.skip("there is no user certificate whose issuing CA could be looked for")
    held, unreadable, facts = [], 0, []
    for der in store.certificates:
        # the one loader: a CA certificate cryptography refuses (DoD Root CA 4's explicit
        # NULL) is read with asn1crypto and judged by its name and key all the same
        found = read_certificates(der, "a cACertificate value of NTAuthCertificates")
        if not found.certificates:
            unreadable += 1
            continue
        held.append(_NtAuthCa.of(found.certificates[0]))
        facts.append(held[-1].facts)
    r.evidence["NTAuthCertificates"] = {"dn": store.dn, "exists": store.exists, "cACertificate": facts,
                                        **({"unreadable_values": unreadable} if unreadable else {})}
    for label, cert in user_certs:
        issuer = cert.issuer.rfc4514_string()
        if not store.exists:
            r.fail(f"NTAuth store ({store.dn})",
                   f"does not exist: no CA has been published to NTAuth, so Windows refuses smart card logon with "
                   f"{label} (issued by '{issuer}') inside the WorkSpace.", _NTAUTH_FIX + ".")
            continue
        if any(ca.issued(cert) for ca in held):
            continue
        names = [ca.name for ca in held]
        same_name = [ca for ca in held if ca.named(cert.issuer)]
        if same_name:
            detail = (f"it holds a certificate named '{issuer}' whose key did not sign {label}: a renewed or "
                      "re-keyed CA certificate that was not published")
        elif names:
            detail = f"it holds only {'; '.join(repr(n) for n in names)}"
            chain_names = [n for n in names if n != issuer]
            if chain_names:
                detail += (": NTAuth must hold the CA that issues the logon certificates itself; its root or another "
                           "CA does not count")
        elif unreadable:
            r.skip(f"the NTAuth store holds {unreadable} value(s) the harness cannot read as certificates, and no "
                   f"readable one issued {label}: whether its issuing CA is there cannot be told")
            continue
        else:
            detail = "it holds no certificate"
        r.fail(f"issuing CA '{issuer}' of {label}",
               f"is not in the forest's NTAuth store ({detail}); Windows smart card logon inside the WorkSpace "
               "requires it.", _NTAUTH_FIX + ".")
    return r


class _NtAuthCa:
    """A CA certificate of the NTAuth store, read by either parser: its name (DER) and key."""

    def __init__(self, name: str, name_der: bytes, public_key, facts: dict):
        self.name, self.name_der, self.public_key, self.facts = name, name_der, public_key, facts

    @classmethod
    def of(cls, loaded) -> "_NtAuthCa":
        from cryptography.hazmat.primitives.serialization import load_der_public_key

        if loaded.cert is not None:
            c = loaded.cert
            try:
                facts = certificate_facts(c)
            except ValueError as exc:  # an extension cryptography refuses: the name and key still count
                facts = {"subject": c.subject.rfc4514_string(), "note": f"extensions unreadable: {exc}"}
            return cls(c.subject.rfc4514_string(), c.subject.public_bytes(), c.public_key(), facts)
        view = loaded.asn1
        try:
            key = load_der_public_key(view.public_key.dump())
        except (ValueError, TypeError):
            key = None
        name = view.subject.human_friendly
        return cls(name, view.subject.dump(), key, {"subject": name, "parsed_with": "asn1crypto",
                                                   "note": loaded.parse_problem})

    def named(self, issuer: x509.Name) -> bool:
        return issuer.public_bytes() == self.name_der

    def issued(self, cert: x509.Certificate) -> bool:
        """Same name as the certificate's issuer, and its key verifies the certificate's
        signature (any algorithm a CA signs with: :func:`wscard.pki.certs.signed_by_key`)."""
        from ..pki.certs import signed_by_key

        return self.named(cert.issuer) and self.public_key is not None and signed_by_key(cert, self.public_key)
