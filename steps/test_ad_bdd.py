"""Step glue for features/ad: each step calls one method of the run's AdSession
(wscard.ad.session), which reads the directory once and proves delegation once."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding
from pytest_bdd import given, scenarios, then, when

from wscard.aws.ad_connector import read_customer_user_name

from .glue import shown

scenarios("ad")


@given("the Active Directory domain behind the AD Connector", target_fixture="ad")
def _domain(ad_session, evidence):
    return shown(evidence, "Directory under test", ad_session.describe(), ad_session)


@given("the AD Connector service account")
def _service_account(ad, evidence):
    evidence.attach_json("Service account as read from the directory", ad.snapshot().service_account.describe())


@given("the domain controllers of the domain")
def _domain_controllers(ad, evidence):
    evidence.attach_json("Domain controllers (SERVER_TRUST_ACCOUNT)", ad.snapshot().evidence()["domain_controllers"])


@then("the service account has a service principal name that no other account in the forest holds")
def _spn(ad, evidence):
    evidence.check(ad.check_spn())


@then("the account is trusted for delegation to specified services only, with any authentication protocol")
def _delegation_settings(ad, evidence):
    evidence.check(ad.check_delegation_settings())


@when("the service account asks the KDC for tickets to the listed ldap services on behalf of a user")
def _ask_kdc(ad, evidence):
    proof = ad.proof()
    if proof.skipped_because is None:
        evidence.attach_json("S4U2Self + S4U2Proxy requests", proof.summary())
        evidence.attach_text("Kerberos trace (kinit, kvno -U; key fingerprints masked)", proof.trace)


@then("the KDC issues a ticket to the domain controller's ldap service through protocol transition")
def _granted(ad, evidence):
    evidence.check(ad.check_delegation_granted())


@then("the KDC refuses to delegate to a service that is not listed")
def _refused(ad, evidence):
    evidence.check(ad.check_delegation_refused_elsewhere())


@then("the delegation targets include the ldap service of a domain controller")
def _ldap_service(ad, evidence):
    evidence.check(ad.check_ldap_service_chosen())


@then("the ldap service of every domain controller is a delegation target")
def _every_dc(ad, evidence):
    evidence.check(ad.check_every_domain_controller())


@then("the KDC issues a ticket to the ldap service of every domain controller")
def _every_dc_proof(ad, evidence):
    evidence.check(ad.check_delegation_every_dc())


@when("the harness reads the certificate each domain controller presents on LDAPS")
def _read_certificates(ad, evidence):
    for probe in ad.probes():
        if probe.certificate is not None:
            evidence.attach_pem(f"Certificate presented by {probe.dc}", probe.certificate.public_bytes(Encoding.PEM))


@then("every domain controller's certificate has the KDC Authentication EKU")
def _kdc_eku(ad, evidence):
    evidence.check(ad.check_dc_certificates())


# --- KCD-5 ---------------------------------------------------------------------------------

@given("the user name AD Connector signs in with (DescribeDirectories ConnectSettings.CustomerUserName)",
       target_fixture="customer_user_name")
def _customer_user_name(request, evidence):
    # the fixture is asked for here, lazily, so that a directory that cannot be read skips KCD-5 only
    found = read_customer_user_name(lambda: request.getfixturevalue("directory_under_test").snapshot)
    evidence.attach_json("AD Connector (DescribeDirectories)", found.evidence)
    return found


@then("it is the sAMAccountName of an account of the domain, at most 20 characters long")
def _kcd5(ad, customer_user_name, evidence):
    evidence.check(ad.check_service_account_name(customer_user_name.name, customer_user_name.unreadable))


# --- KCD-6 ---------------------------------------------------------------------------------

@then("the service account and every domain controller share a Kerberos encryption type")
def _kcd6(ad, evidence):
    evidence.check(ad.check_encryption_types())


@then("the KDC issues the delegation tickets with an encryption type both sides support")
def _kcd6_kdc(ad, evidence):
    evidence.check(ad.check_encryption_at_kdc())


# --- KCD-7, UC-7 ---------------------------------------------------------------------------

@given("the users' logon certificates", target_fixture="logon_certs")
def _logon_certs(pki_env, evidence):
    for u in pki_env.users:
        evidence.attach_pem(f"Logon certificate {u.name}", u.pem)
    return [(f"certificate '{u.subject}' ({u.name})", u.cert) for u in pki_env.users]


@when("the harness reads the forest's NTAuth store")
def _read_ntauth(ad, evidence):
    store = ad.snapshot().ntauth
    if store is not None:
        evidence.attach_json("NTAuth store", {"dn": store.dn, "exists": store.exists,
                                              "cACertificate_values": len(store.certificates),
                                              **({"error": store.error} if store.error else {})})


@then("the CA that issues each logon certificate is in the NTAuth store")
def _kcd7(ad, logon_certs, evidence):
    evidence.check(ad.check_ntauth(logon_certs))


@then("each logon certificate carries its account's objectSid in the SID extension, or the account's "
      "altSecurityIdentities maps it strongly")
def _uc7(ad, logon_certs, profile, evidence):
    evidence.check(ad.check_strong_mapping(logon_certs, profile.pki.upn))
