"""KCD-1..KCD-4 checks on snapshots built by hand (no directory needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wscard.ad import checks
from wscard.ad.kerberos import DelegationProof, TicketOutcome, TicketRequest, classify, krb5_conf, mask_trace
from wscard.ad.model import (
    TRUSTED_FOR_DELEGATION,
    TRUSTED_TO_AUTH_FOR_DELEGATION,
    Account,
    CertificateProbe,
    DomainSnapshot,
    DomainController,
    SpnHolder,
)
from wscard.checks import Status

DOMAIN = "corp.example.com"
NORMAL = 0x200


def dc(name="dc1"):
    return DomainController(f"CN={name.upper()},OU=Domain Controllers,DC=corp,DC=example,DC=com",
                            f"{name}.{DOMAIN}", f"{name.upper()}$", 532480, [f"ldap/{name}.{DOMAIN}"])


def snap(uac=NORMAL | TRUSTED_TO_AUTH_FOR_DELEGATION, spns=("adconnector/svc.corp.example.com",),
         targets=("ldap/dc1.corp.example.com", "ldap/DC1"), dcs=None, holders=(), scope="forest"):
    acct = Account("CN=svc-adconnector,CN=Users,DC=corp,DC=example,DC=com", "svc-adconnector",
                   "svc-adconnector@corp.example.com", uac, list(spns), list(targets))
    return DomainSnapshot(DOMAIN, acct, dcs if dcs is not None else [dc()], list(holders), scope,
                             "" if scope == "forest" else "port 3269 closed")


def messages(result):
    return "\n".join(f.render() for f in result.findings)


# --- KCD-1 ---------------------------------------------------------------------------

def test_kcd1_passes_with_a_unique_spn():
    assert checks.check_service_principal_name(snap()).status is Status.PASSED


def test_kcd1_fails_without_spn_and_says_setspn():
    r = checks.check_service_principal_name(snap(spns=()))
    assert r.status is Status.FAILED
    assert "svc-adconnector" in messages(r) and "setspn -s" in messages(r)


def test_kcd1_names_the_other_holder_of_a_duplicate():
    h = SpnHolder("adconnector/svc.corp.example.com", "CN=svc-legacy,CN=Users,DC=corp,DC=example,DC=com",
                  "svc-legacy")
    r = checks.check_service_principal_name(snap(holders=[h]))
    assert r.status is Status.FAILED
    text = messages(r)
    assert "svc-legacy" in text and "setspn -d" in text and "unique in the forest" in text


def test_kcd1_alias_collision_and_domain_only_search_are_warnings():
    h = SpnHolder("http/dc1.corp.example.com", "CN=DC1,OU=Domain Controllers,DC=corp,DC=example,DC=com",
                  "DC1$", "alias")
    r = checks.check_service_principal_name(snap(holders=[h], scope="domain"))
    assert r.status is Status.WARNING
    assert len(r.warnings()) == 2
    assert "global catalog" in messages(r)


# --- KCD-2 ---------------------------------------------------------------------------

def test_kcd2_passes_with_protocol_transition():
    assert checks.check_delegation_settings(snap()).status is Status.PASSED


def test_kcd2_unconstrained_delegation_fails():
    r = checks.check_delegation_settings(snap(uac=NORMAL | TRUSTED_FOR_DELEGATION, targets=()))
    assert r.status is Status.FAILED
    text = messages(r)
    assert "TRUSTED_FOR_DELEGATION (0x80000)" in text and "unconstrained" in text
    assert "msDS-AllowedToDelegateTo is empty" in text


def test_kcd2_kerberos_only_fails_naming_the_flag():
    r = checks.check_delegation_settings(snap(uac=NORMAL))
    assert r.status is Status.FAILED
    assert "TRUSTED_TO_AUTH_FOR_DELEGATION (0x1000000)" in messages(r)
    assert "Use Kerberos only" in messages(r)


def test_kcd2_both_flags_fail_on_the_unconstrained_one():
    r = checks.check_delegation_settings(snap(uac=NORMAL | TRUSTED_FOR_DELEGATION | TRUSTED_TO_AUTH_FOR_DELEGATION))
    assert [f.problem for f in r.failures()][0].startswith("userAccountControl")
    assert len(r.failures()) == 1


# --- KCD-3 ---------------------------------------------------------------------------

def test_kcd3_lists_the_missing_domain_controllers():
    s = snap(dcs=[dc("dc1"), dc("dc2"), dc("dc3")])
    r = checks.check_every_domain_controller(s)
    assert r.status is Status.FAILED
    assert r.evidence["missing"] == ["dc2.corp.example.com", "dc3.corp.example.com"]
    assert "ldap/dc2.corp.example.com" in messages(r)
    # the ldap service type was chosen for one DC: the "ldap service" scenario passes
    assert checks.check_ldap_service_chosen(s).status is Status.PASSED


def test_kcd3_netbios_form_alone_is_not_enough():
    r = checks.check_every_domain_controller(snap(targets=("ldap/DC1",)))
    assert r.status is Status.FAILED and "NetBIOS form" in messages(r)


def test_kcd3_wrong_service_type_is_named():
    r = checks.check_ldap_service_chosen(snap(targets=("cifs/dc1.corp.example.com", "HOST/DC1")))
    assert r.status is Status.FAILED
    assert "another service type was chosen" in messages(r)
    assert "cifs/dc1.corp.example.com" in messages(r)


def test_kcd3_case_insensitive_match():
    assert checks.check_every_domain_controller(snap(targets=("LDAP/DC1.CORP.EXAMPLE.COM",))).status is Status.PASSED


def test_split_spn():
    assert checks.split_spn("ldap/DC1.corp.example.com:389/corp.example.com") == ("ldap", "dc1.corp.example.com")


# --- KCD-4 ---------------------------------------------------------------------------

def _cert(ekus, days=365, name="dc1.corp.example.com"):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    b = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=2))
         .not_valid_after(now + dt.timedelta(days=days)))
    if ekus is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(ekus), False)
    return b.sign(key, hashes.SHA256())


KDC = x509.ObjectIdentifier("1.3.6.1.5.2.3.5")


def test_kcd4_passes_with_kdc_eku():
    p = CertificateProbe("dc1.corp.example.com", "127.0.0.1", 636, _cert([ExtendedKeyUsageOID.SERVER_AUTH, KDC]), True)
    assert checks.check_dc_certificates(snap(), [p]).status is Status.PASSED


@pytest.mark.parametrize("ekus", [[ExtendedKeyUsageOID.SERVER_AUTH], None])
def test_kcd4_fails_without_kdc_eku(ekus):
    p = CertificateProbe("dc1.corp.example.com", "127.0.0.1", 636, _cert(ekus), True)
    r = checks.check_dc_certificates(snap(), [p])
    assert r.status is Status.FAILED
    assert "dc1.corp.example.com" in messages(r) and "1.3.6.1.5.2.3.5" in messages(r)


def test_kcd4_expired_fails_untrusted_warns():
    expired = CertificateProbe("dc1.corp.example.com", "127.0.0.1", 636, _cert([KDC], days=-1), True)
    assert checks.check_dc_certificates(snap(), [expired]).status is Status.FAILED
    untrusted = CertificateProbe("dc1.corp.example.com", "127.0.0.1", 636, _cert([KDC]), False, "unknown CA")
    assert checks.check_dc_certificates(snap(), [untrusted]).status is Status.WARNING


def test_kcd4_unreachable_dc_warns_unless_it_publishes_a_kdc_certificate():
    s = snap(dcs=[dc("dc1"), dc("dc2")])
    ok = CertificateProbe("dc1.corp.example.com", "127.0.0.1", 636, _cert([KDC]), True)
    gone = CertificateProbe("dc2.corp.example.com", error="connection refused")
    r = checks.check_dc_certificates(s, [ok, gone])
    assert r.status is Status.WARNING and "dc2.corp.example.com" in messages(r)
    from cryptography.hazmat.primitives.serialization import Encoding

    s.domain_controllers[1].published_certificates = [_cert([KDC], name="dc2.corp.example.com").public_bytes(Encoding.DER)]
    assert checks.check_dc_certificates(s, [ok, gone]).status is Status.PASSED


# --- the delegation proof ------------------------------------------------------------------

def proof(listed="granted", unlisted="refused", self_ok=True):
    p = DelegationProof("svc-adconnector", "testuser", "CORP.EXAMPLE.COM",
                        listed_service="ldap/dc1.corp.example.com", unlisted_service="host/dc1.corp.example.com")
    p.self_request = TicketRequest("svc-adconnector@CORP.EXAMPLE.COM", "S4U2Self",
                                   "granted" if self_ok else "unknown-principal",
                                   "" if self_ok else "Server not found in Kerberos database")
    if self_ok:
        p.requests = [TicketRequest("ldap/dc1.corp.example.com", "S4U2Proxy", listed, "" if listed == "granted" else "x"),
                      TicketRequest("host/dc1.corp.example.com", "S4U2Proxy", unlisted,
                                    "" if unlisted == "granted" else "KDC can't fulfill requested option")]
    return p


def test_proof_passes_when_listed_granted_and_unlisted_refused():
    assert checks.check_delegation_proof(snap(), proof()).status is Status.PASSED
    assert checks.check_delegation_every_dc(snap(), proof()).status is Status.PASSED


def test_proof_fails_when_unlisted_service_is_granted():
    r = checks.check_delegation_proof(snap(), proof(unlisted="granted"))
    assert r.status is Status.FAILED and "not constrained" in messages(r)


def test_proof_fails_when_listed_refused():
    r = checks.check_delegation_proof(snap(), proof(listed="refused"))
    assert r.status is Status.FAILED
    r3 = checks.check_delegation_every_dc(snap(), proof(listed="refused"))
    assert r3.status is Status.FAILED and "dc1.corp.example.com" in messages(r3)


def test_proof_skips_when_s4u2self_fails_for_lack_of_spn():
    r = checks.check_delegation_proof(snap(spns=()), proof(self_ok=False))
    assert r.status is Status.SKIPPED and "KCD-1" in r.skipped_because


def test_a_skipped_half_never_hides_a_failed_half():
    """The fault case: S4U2Self fails with SPNs present (the KDC refused: "granted" half
    failed) while the other half cannot be judged; merged, the result is FAILED, not
    SKIPPED (the requirement would read "not evaluated" instead of "failed")."""
    r = checks.check_delegation_proof(snap(), proof(self_ok=False))
    assert r.status is Status.FAILED, (r.status, r.skipped_because, messages(r))


def test_a_failure_recorded_before_a_skip_stays_a_failure_and_a_lone_skip_stays_a_skip():
    from wscard.checks import CheckResult, merge

    r = CheckResult("KCD-2", "t")
    r.fail("x", "broken", "fix it")
    r.skip("the rest cannot be judged")
    assert r.status is Status.FAILED
    skipped, passed = CheckResult("KCD-2", "t").skip("no user"), CheckResult("KCD-2", "t")
    assert merge("KCD-2", "t", [passed, skipped]).status is Status.SKIPPED  # the trap: never passed
    assert merge("KCD-2", "t", [skipped, r]).status is Status.FAILED


def test_proof_skipped_because_is_passed_through():
    p = proof()
    p.skipped_because = "no user"
    assert checks.check_delegation_proof(snap(), p).skipped_because == "no user"


def test_kvno_errors_are_classified():
    assert classify("KDC can't fulfill requested option while getting credentials") is TicketOutcome.REFUSED
    assert classify("Server not found in Kerberos database") is TicketOutcome.UNKNOWN_PRINCIPAL
    assert classify("Cannot contact any KDC for realm") is TicketOutcome.ERROR
    with pytest.raises(ValueError):  # an outcome that is not one
        TicketRequest("ldap/dc1", "S4U2Proxy", "grantd")


def test_trace_masks_key_fingerprints_and_secrets():
    text = "AS key obtained: aes256-cts/E000\nsession key rc4-hmac/AB12 for pw Hunter2!"
    out = mask_trace(text, ("Hunter2!",))
    assert "E000" not in out and "AB12" not in out and "Hunter2!" not in out
    assert "aes256-cts/****" in out


def test_krb5_conf_is_private_and_tcp():
    conf = krb5_conf("CORP.EXAMPLE.COM", ["127.0.0.1:88"], 5)
    assert "kdc = 127.0.0.1:88" in conf and "dns_lookup_kdc = false" in conf and "udp_preference_limit = 1" in conf
    assert "dns_lookup_kdc = true" in krb5_conf("CORP.EXAMPLE.COM", [], 5)


def test_kcd3_is_skipped_when_there_are_no_targets_at_all():
    s = snap(uac=NORMAL | TRUSTED_FOR_DELEGATION, targets=())
    for r in (checks.check_ldap_service_chosen(s), checks.check_every_domain_controller(s)):
        assert r.status is Status.SKIPPED and "KCD-2" in r.skipped_because


def test_kcd3_proof_is_skipped_when_kcd2_settings_fail():
    r = checks.check_delegation_every_dc(snap(uac=NORMAL), proof(listed="refused"))
    assert r.status is Status.SKIPPED and "KCD-2" in r.skipped_because


# --- delegation entries in any case and SPN form (issue 12, point 6) -------------------

@pytest.mark.parametrize("targets", [
    ("LDAP/DC1.CORP.EXAMPLE.COM",),
    ("ldap/dc1.corp.example.com", "ldap/dc1.corp.example.com/corp.example.com", "ldap/DC1"),
    ("Ldap/Dc1.Corp.Example.Com", "ldap/dc1.corp.example.com:389"),
])
def test_kcd3_the_dns_entry_in_any_case_counts_and_other_forms_beside_it_are_harmless(targets):
    s = snap(targets=targets)
    assert checks.check_every_domain_controller(s).status is Status.PASSED
    assert checks.check_ldap_service_chosen(s).status is Status.PASSED


@pytest.mark.parametrize("target,form", [
    ("ldap/dc1.corp.example.com/corp.example.com", "three-part SPN with service name corp.example.com"),
    ("LDAP/DC1", "the NetBIOS form"),
    ("ldap/dc1.corp.example.com:389", "port 389"),
])
def test_kcd3_another_form_alone_fails_and_is_named(target, form):
    r = checks.check_every_domain_controller(snap(targets=(target,)))
    assert r.status is Status.FAILED and f"{target} ({form})" in messages(r)
    assert "ldap/dc1.corp.example.com" in messages(r)


def test_kcd3_names_the_dc_whose_entries_are_in_other_forms_only():
    s = snap(targets=("LDAP/DC1.CORP.EXAMPLE.COM", "ldap/DC2", "ldap/dc2.corp.example.com/corp.example.com"),
             dcs=[dc("dc1"), dc("dc2")])
    r = checks.check_every_domain_controller(s)
    assert r.status is Status.FAILED and r.evidence["missing"] == ["dc2.corp.example.com"]
    assert "ldap/DC2 (the NetBIOS form)" in messages(r) and "dc1.corp" not in messages(r).split(":")[0]


def test_kcd2_proof_defers_to_kcd3_when_the_list_lacks_the_ticket_form():
    s = snap(targets=("ldap/DC1",))
    p = DelegationProof("svc-adconnector", "testuser", "CORP.EXAMPLE.COM", listed_service="ldap/dc1.corp.example.com")
    p.self_request = TicketRequest("svc-adconnector@CORP.EXAMPLE.COM", "S4U2Self", "granted")
    p.requests = [TicketRequest("ldap/dc1.corp.example.com", "S4U2Proxy", "refused", "KDC can't fulfill")]
    r = checks.check_delegation_granted(s, p)
    assert r.status is Status.SKIPPED and "KCD-3" in r.skipped_because
    # listed in capitals: the KDC's refusal is KCD-2's
    s = snap(targets=("LDAP/DC1.CORP.EXAMPLE.COM",))
    assert checks.check_delegation_granted(s, p).status is Status.FAILED


def test_kcd2_unconstrained_with_a_list_fails_once_and_says_the_list_constrains_nothing():
    r = checks.check_delegation_settings(snap(uac=NORMAL | TRUSTED_FOR_DELEGATION))
    assert len(r.failures()) == 1 and "still lists 2 service(s)" in messages(r)
