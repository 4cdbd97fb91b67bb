"""Certificate checks (UC-1..UC-4, CA-3/4/5/7, KCD-4) over generated certificates, with
a fixed validation time."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wscard.checks import Status
from wscard.pki import checks as K
from wscard.pki import get_pki
from wscard.sections.pki import PkiSection

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pki-cache")


def make(cache, **settings):
    return get_pki(dataclasses.replace(PkiSection(), **settings), now=NOW, cache_dir=cache)


def failed(result) -> str:
    assert result.status is Status.FAILED, result.findings
    return "\n".join(f.render() for f in result.failures())


def test_good_user_certificate_passes_uc_1_to_4(cache):
    pki = make(cache)
    results = K.check_user_certificate(pki.get("user"), expected_upn="TestUser@corp.example.com",
                                       cas=pki.ca_chain, now=NOW)
    assert [r.requirement for r in results] == ["UC-1", "UC-2", "UC-3", "UC-4"]
    assert all(r.status is Status.PASSED for r in results), [r.findings for r in results]
    assert results[3].evidence["path"] == ["CN=WSCard Test Issuing CA,O=WSCard Test PKI",
                                           "CN=WSCard Test Root CA,O=WSCard Test PKI"]


def test_uc1_missing_or_other_upn(cache):
    user = make(cache, user_upn_in_san=False).get("user")
    msg = failed(K.check_upn(user, "testuser@corp.example.com"))
    assert "CN=Test User" in msg and f"serial {user.serial_hex}" in msg and "1.3.6.1.4.1.311.20.2.3" in msg
    assert "Fix:" in msg
    msg = failed(K.check_upn(make(cache).get("user"), "alice@corp.example.com"))
    assert "not the AD user's userPrincipalName alice@corp.example.com" in msg


def test_uc2_uc3_missing_ekus(cache):
    assert "Client Authentication EKU (1.3.6.1.5.5.7.3.2)" in failed(
        K.check_client_auth_eku(make(cache, user_ekus=["smart-card-logon"]).get("user")))
    assert "Smart Card Logon EKU (1.3.6.1.4.1.311.20.2.2)" in failed(
        K.check_smart_card_logon_eku(make(cache, user_ekus=["client-auth"]).get("user")))
    # a certificate without any EKU extension (the root) fails both
    root = make(cache).get("root")
    assert "no extended key usage extension" in failed(K.check_client_auth_eku(root))


def test_uc4_validity_and_chain(cache):
    pki = make(cache, user_validity="expired")
    msg = failed(K.check_chain_and_validity(pki.get("user"), pki.ca_chain, now=NOW))
    assert "expired on" in msg and "does not chain" not in msg  # the chain itself is fine
    pki = make(cache, user_validity="not-yet-valid")
    assert "is not valid before" in failed(K.check_chain_and_validity(pki.get("user"), pki.ca_chain, now=NOW))
    pki = make(cache)
    msg = failed(K.check_chain_and_validity(pki.get("user"), [pki.get("other-root")], now=NOW))
    assert "WSCard Test Issuing CA" in msg and "is not among them" in msg
    # the same certificate is valid again when judged at a time inside its validity
    assert K.check_chain_and_validity(pki.get("user"), pki.ca_chain, now=NOW + timedelta(days=30)).status \
        is Status.PASSED
    assert K.check_chain_and_validity(pki.get("user"), pki.ca_chain, now=NOW + timedelta(days=400)).status \
        is Status.FAILED


def test_build_chain_names_the_missing_link(cache):
    pki = make(cache, intermediates=2)
    full = K.build_chain(pki.get("user"), pki.ca_chain, now=NOW)
    assert full.complete and [c.subject.rfc4514_string() for c in full.path] == [
        e.subject for e in pki.ca_chain]
    res = K.build_chain(pki.get("user").cert, [pki.get("intermediate").cert, pki.get("root").cert], now=NOW)
    assert not res.complete and res.error_type == "PathBuildingError"
    assert "WSCard Test Intermediate CA 2" in res.missing
    res = K.build_chain(pki.get("user"), [pki.get("intermediate"), pki.get("intermediate-2")], now=NOW)
    assert not res.complete and "WSCard Test Root CA" in res.missing
    assert not K.build_chain(pki.get("user"), [], now=NOW).complete  # never the system's roots


def test_ca5_chain_completeness(cache):
    pki = make(cache, intermediates=2)
    assert K.check_ca_chain([pki.get("user")], pki.ca_chain, now=NOW).status is Status.PASSED
    msg = failed(K.check_ca_chain([pki.get("user")], [pki.get("intermediate"), pki.get("root")], now=NOW))
    assert "Register the CA certificate" in msg and "WSCard Test Intermediate CA 2" in msg
    # an expired user certificate is UC-4's business, not a missing CA
    exp = make(cache, user_validity="expired")
    assert K.check_ca_chain([exp.get("user")], exp.ca_chain, now=NOW).status is Status.PASSED


def test_ca3_pem_der_garbage_and_non_ca(cache):
    pem = make(cache)
    assert K.check_ca_format(pem.ca_chain).status is Status.PASSED
    der = make(cache, ca_encoding="der")
    msg = failed(K.check_ca_format(der.ca_chain))
    assert "is not in PEM format (it is DER)" in msg and "openssl x509 -inform DER" in msg and ".der" in msg
    assert "AWS would refuse it" in msg
    assert K.is_pem(pem.get("root").data) and not K.is_pem(der.get("root").data)
    assert not K.is_pem(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    msg = failed(K.check_ca_format([b"garbage", pem.get("root").pem[:200]]))
    assert msg.count("cannot be read") == 2 and "BEGIN without its END" in msg
    assert "is not a CA certificate" in failed(K.check_ca_format([pem.get("user")]))


def test_ca4_expiry_margin(cache):
    soon = make(cache, ca_days_left=60)
    msg = failed(K.check_ca_expiry(soon.ca_chain, now=NOW))
    assert "CN=WSCard Test Issuing CA" in msg and "expires in 60 days" in msg and "Root" not in msg
    assert K.check_ca_expiry(make(cache, ca_days_left=91).ca_chain, now=NOW).status is Status.PASSED
    assert K.check_ca_expiry(make(cache, ca_days_left=90).ca_chain, now=NOW).status is Status.PASSED  # 90 < left < 91
    assert K.check_ca_expiry(make(cache, ca_days_left=89).ca_chain, now=NOW).status is Status.FAILED
    assert K.min_days_to_expiry() == 90
    assert 60 <= K.days_to_expiry(soon.get("intermediate"), NOW) < 61


def test_ca7_pss(cache):
    pss = make(cache, ca_signature="pss")
    assert K.signed_with_pss(pss.get("intermediate").cert)
    msg = failed(K.check_ca_signatures(pss.ca_chain))
    assert "CN=WSCard Test Issuing CA" in msg and "RSASSA-PSS" in msg
    assert K.check_ca_signatures(make(cache).ca_chain).status is Status.PASSED
    # path validation still works with a PSS signature (AD Connector refuses it; X.509 does not)
    assert K.build_chain(pss.get("user"), pss.ca_chain, now=NOW).complete


def test_ec_pki_passes_everything(cache):
    pki = make(cache, key_type="ec-p256")
    results = K.check_user_certificate(pki.get("user"), expected_upn="testuser@corp.example.com",
                                       cas=pki.ca_chain, now=NOW)
    results += [K.check_ca_format(pki.ca_chain), K.check_ca_expiry(pki.ca_chain, now=NOW),
                K.check_ca_signatures(pki.ca_chain)]
    assert all(r.status is Status.PASSED for r in results)


def test_kcd4_kdc_eku(cache):
    pki = make(cache)
    assert K.has_kdc_eku(pki.get("dc")) and not K.has_kdc_eku(pki.get("dc-no-kdc"))
    r = K.check_kdc_eku([("dc1.corp.example.com", pki.get("dc")), ("dc2.corp.example.com", pki.get("dc-no-kdc"))])
    msg = failed(r)
    assert "domain controller dc2.corp.example.com" in msg and "domain controller dc1" not in msg
    assert "1.3.6.1.5.2.3.5" in msg


def test_refusal_reasons_name_the_data_length_once_whether_the_certificate_or_the_text_around_it_is_long(pki):
    """RegisterCertificate measures the CertificateData it is sent: a CA certificate that
    fits, with text around it past 8192 characters, is refused for the length (the fault);
    the same certificate alone is not (the trap); a user certificate is refused as CA-3
    words it (taken from the check, not restated)."""
    pem = pki.get("root").pem.decode()
    assert K.aws_refusal_reasons(pem) == []
    long = K.aws_refusal_reasons("comment\n" * 1100 + pem)
    assert len(long) == 1 and "over the 8192 characters" in long[0]
    user = K.aws_refusal_reasons(pki.get("user").pem)
    assert len(user) == 1 and "is not a CA certificate" in user[0]
