"""Step glue for features/ad: each step calls one method of the run's AdSession
(wscard.ad.session), which reads the directory once and proves delegation once."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding
from pytest_bdd import given, scenarios, then, when

scenarios("ad")


@given("the Active Directory domain behind the AD Connector", target_fixture="ad")
def _domain(ad_session, evidence):
    evidence.attach_json("Directory under test", ad_session.describe())
    return ad_session


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
