"""The simulated world's side of KCD-5..KCD-7 and UC-7, without starting a domain
controller: the test PKI's SID extension per [pki].user_sid_extension, the domain spec
and smb.conf per [ad.samba], and the LDIF written at start for NTAuth and
altSecurityIdentities (a name the PKI lacks stops the set-up, naming the key)."""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime, timezone

import pytest

from wscard.ad import mapping, samba
from wscard.errors import EnvironmentProblem
from wscard.pki import get_pki
from wscard.profile import directory_user_name, load_profile
from wscard.sections.pki import PkiSection
from wscard.sid import SERVICE_ACCOUNT_RID, TEST_USER_RID, read_sid_extension, simulated_sid

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pki-cache")


@pytest.mark.parametrize("variant,sids", [
    ("account", [simulated_sid(TEST_USER_RID)]),
    ("other-account", [simulated_sid(SERVICE_ACCOUNT_RID)]),
    ("none", []),
])
def test_the_test_pki_writes_the_sid_extension_the_profile_asks_for(cache, variant, sids):
    pki = get_pki(dataclasses.replace(PkiSection(), user_sid_extension=variant), now=NOW, cache_dir=cache)
    ext = read_sid_extension(pki.get("user").cert)
    assert ext.sids == sids and ext.present == bool(sids) and not ext.error


def test_the_domain_gives_the_test_user_the_sid_the_pki_writes():
    spec = samba.spec_from_profile(load_profile())
    assert spec.test_user_sid == simulated_sid(TEST_USER_RID)
    assert spec.service_sid == simulated_sid(SERVICE_ACCOUNT_RID)
    assert spec.service_enctypes == ("AES128_CTS_HMAC_SHA1_96", "AES256_CTS_HMAC_SHA1_96")


def _profile(tmp_path, body):
    p = tmp_path / "p.toml"
    p.write_text('extends = "embedded"\n' + body)
    return load_profile(p)


def test_dc_encryption_policy_goes_to_the_kdc_only_when_it_differs(tmp_path):
    default = samba.spec_from_profile(load_profile())
    assert "kdc supported enctypes" not in samba.render_conf(default, tmp_path)
    aes = samba.spec_from_profile(_profile(tmp_path, '[ad.samba]\ndc_encryption_types = '
                                                     '["AES128_CTS_HMAC_SHA1_96", "AES256_CTS_HMAC_SHA1_96"]\n'))
    assert "\tkdc supported enctypes = 24" in samba.render_conf(aes, tmp_path)
    assert aes.compliant().dc_enctypes == default.dc_enctypes  # a variant of the compliant template


def test_enctype_variants_and_names_change_the_template_key(tmp_path):
    base = samba.spec_from_profile(load_profile())
    unset = samba.spec_from_profile(_profile(tmp_path, "[ad.samba]\nservice_account_encryption_types = []\n"))
    named = samba.spec_from_profile(_profile(tmp_path, '[ad.samba]\nservice_account_logon_name = "adconnector"\n'))
    assert len({base.key("v"), unset.key("v"), named.key("v")}) == 3


def test_ntauth_and_mappings_ldif_come_from_the_days_pki(cache):
    pki = get_pki(PkiSection(), now=NOW, cache_dir=cache)
    spec = samba.spec_from_profile(load_profile())
    ldif = samba.pki_ldif(spec, pki, ["other-root", "intermediate"], ["X509IssuerSerialNumber", "X509SKI"])
    assert "dn: CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,DC=corp,DC=example" in ldif
    assert f"cACertificate:: {base64.b64encode(pki.get('intermediate').der).decode()}" in ldif
    values = mapping.mapping_values(pki.get("user").cert)
    assert f"altSecurityIdentities: {values['X509IssuerSerialNumber']}" in ldif
    assert f"altSecurityIdentities: {values['X509SKI']}" in ldif
    assert samba.pki_ldif(spec, pki, [], []) == ""  # no NTAuth object at all


def test_a_name_the_pki_lacks_stops_the_set_up_naming_the_key(cache):
    pki = get_pki(PkiSection(), now=NOW, cache_dir=cache)
    spec = samba.spec_from_profile(load_profile())
    with pytest.raises(EnvironmentProblem, match=r"\[ad.samba\].ntauth: no certificate 'nope'"):
        samba.pki_ldif(spec, pki, ["nope"], [])
    with pytest.raises(EnvironmentProblem, match="X509RFC822"):
        samba.pki_ldif(spec, pki, [], ["X509RFC822"])  # the test user's certificate has no e-mail address


def test_ad_connector_is_given_the_service_accounts_name_unless_the_profile_says_otherwise(tmp_path):
    assert directory_user_name(load_profile()) == "svc-adconnector"
    p = _profile(tmp_path, '[ad]\nservice_account = "svc-ws@corp.example.com"\n')
    assert directory_user_name(p) == "svc-ws"
    p = _profile(tmp_path, '[aws.directory]\ncustomer_user_name = "other"\n')
    assert directory_user_name(p) == "other"


@pytest.mark.parametrize("body,key", [
    ('[ad.samba]\nservice_account_encryption_types = ["AES512"]\n', "service_account_encryption_types"),
    ('[ad.samba]\nservice_account_logon_name = "svc@corp.example.com"\n', "service_account_logon_name"),
    ("[ad.samba]\ndc_encryption_types = []\n", "dc_encryption_types"),
    ('[ad.samba]\nalt_security_identities = ["X509UPN"]\n', "alt_security_identities"),
    ('[pki]\nuser_sid_extension = "yes"\n', "user_sid_extension"),
])
def test_bad_settings_are_refused_naming_the_key(tmp_path, body, key):
    from wscard.errors import ProfileError

    with pytest.raises(ProfileError, match=key):
        _profile(tmp_path, body)


def test_customer_user_name_is_refused_on_live_aws(tmp_path):
    from wscard.errors import ProfileError

    p = tmp_path / "live.toml"
    p.write_text('[aws]\nmode = "live"\n[aws.directory]\nid = "d-1234567890"\ncustomer_user_name = "x"\n')
    with pytest.raises(ProfileError, match=r"\[aws.directory\].customer_user_name"):
        load_profile(p)


def test_raw_delegation_values_are_written_as_given_and_are_a_variant(tmp_path):
    p = _profile(tmp_path, '[ad.samba]\ndelegate_to_values = ["LDAP/DC1.CORP.EXAMPLE.COM", "ldap/DC1"]\n'
                           'spn = "duplicate"\nduplicate_holder_type = "computer"\n')
    spec = samba.spec_from_profile(p)
    assert spec.delegation_targets() == ["LDAP/DC1.CORP.EXAMPLE.COM", "ldap/DC1"]
    assert spec.compliant().delegation_targets() == ["ldap/dc1.corp.example.com", "ldap/DC1"]
    assert spec.compliant().duplicate_holder_type == "user" and spec.key("v") != spec.compliant().key("v")
    with pytest.raises(Exception, match="delegate_to_values"):
        _profile(tmp_path, '[ad.samba]\ndelegate_to_values = ["dc1.corp.example.com"]\n')
