"""The [ad] section: defaults, validation, the embedded table, the fault profiles,
and how credentials are read (environment, never the profile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wscard.ad.samba import spec_from_profile
from wscard.ad.target import Endpoint, Secret, secret_from_env, target_from_section
from wscard.errors import EnvironmentProblem, ProfileError
from wscard.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
FAULTS = sorted((ROOT / "profiles" / "faults").glob("ad-*.toml"))


def write(tmp_path, text: str) -> Path:
    p = tmp_path / "p.toml"
    p.write_text(text)
    return p


def test_embedded_profile_has_a_samba_directory():
    p = load_profile()
    assert p.ad.mode == "samba"
    spec = spec_from_profile(p)
    assert spec.dc_hostname == "dc1.corp.example.com"  # from [pki].dc_dns_names
    assert spec.realm == "CORP.EXAMPLE.COM" and spec.netbios_domain == "CORP"
    assert spec.test_user == "testuser"  # local part of [pki].upn
    assert spec.delegation_targets() == ["ldap/dc1.corp.example.com", "ldap/DC1"]


def test_a_profile_without_ad_has_no_directory(tmp_path):
    p = load_profile(write(tmp_path, "[profile]\nname = 'x'\n"))
    assert p.ad.mode == "none"


def test_ldap_mode_needs_a_url(tmp_path):
    with pytest.raises(ProfileError, match=r"\[ad\].ldap_url"):
        load_profile(write(tmp_path, "[ad]\nmode = 'ldap'\n"))


@pytest.mark.parametrize("table, key", [
    ("[ad]\nmode='ldap'\nldap_url='https://dc1'\n", "ldap_url"),
    ("[ad]\nmode='samba'\n[ad.samba]\naddress='10.0.0.5'\n", "address"),
    ("[ad]\nmode='samba'\n[ad.samba]\ndelegate_to='first'\n", "delegate_to"),
    ("[ad]\nmode='samba'\n[ad.samba]\nextra_dcs=['dc 2']\n", "extra_dcs"),
    ("[ad]\npassword_env='not a var'\n", "password_env"),
    ("[ad]\naddresses={'dc1.x'='nowhere'}\n", "addresses"),
    ("[ad]\nmode='samba'\n[ad.samba]\ndelegation='any'\n", "delegation"),
    ("[ad]\npassword='secret'\n", "password"),
])
def test_bad_values_are_refused_naming_the_key(tmp_path, table, key):
    with pytest.raises(ProfileError, match=key):
        load_profile(write(tmp_path, table))


def test_lab_profile_reads_password_from_environment(tmp_path, monkeypatch):
    p = load_profile(write(tmp_path, "[ad]\nmode='ldap'\nldap_url='ldap://dc1.lab.example'\ndomain='lab.example'\n"
                                     "service_account='svc-adc'\nbind_user='reader@lab.example'\n"))
    monkeypatch.setenv("WSCARD_AD_PASSWORD", "bind-pass")
    monkeypatch.delenv("WSCARD_AD_SERVICE_PASSWORD", raising=False)
    t = target_from_section(p.ad, p, ask=False)
    assert t.ldap == Endpoint("dc1.lab.example", 389, False)
    assert t.global_catalog == Endpoint("dc1.lab.example", 3268, False)
    assert t.realm == "LAB.EXAMPLE"
    assert t.bind_password.reveal() == "bind-pass"
    assert t.service_password is None and "WSCARD_AD_SERVICE_PASSWORD" in t.service_password_missing
    assert "bind-pass" not in repr(t)
    monkeypatch.setenv("WSCARD_AD_SERVICE_PASSWORD", "svc-pass")
    assert target_from_section(p.ad, p, ask=False).service_password.reveal() == "svc-pass"


def test_bind_as_service_account_reuses_its_password(tmp_path, monkeypatch):
    p = load_profile(write(tmp_path, "[ad]\nmode='ldap'\nldap_url='ldaps://dc1.lab.example'\n"
                                     "service_account='svc-adc'\nbind_user='LAB\\svc-adc'\n"))
    monkeypatch.setenv("WSCARD_AD_PASSWORD", "pw")
    monkeypatch.delenv("WSCARD_AD_SERVICE_PASSWORD", raising=False)
    t = target_from_section(p.ad, p, ask=False)
    assert t.service_password is t.bind_password
    assert t.ldap.port == 636 and t.global_catalog.port == 3269


def test_missing_password_names_the_variable(monkeypatch):
    monkeypatch.delenv("WSCARD_TEST_NOPE", raising=False)
    with pytest.raises(EnvironmentProblem, match="WSCARD_TEST_NOPE"):
        secret_from_env("WSCARD_TEST_NOPE", "bind", ask=False)


def test_secret_hides_itself():
    s = Secret("hunter2")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and s.reveal() == "hunter2"


@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_fault_profiles_load_and_name_one_ad_requirement(path):
    """A fault names one requirement of the domain (KCD-*, UC-7), plus LOGIN-2 where the
    modelled sign-in depends on it, and the words of its message; a trap (name
    ``*-trap-*``) expects nothing to fail."""
    p = load_profile(path)
    assert p.ad.mode == "samba"
    if "-trap-" in path.stem:
        assert p.expect.failed == [] and p.expect.warning == []
    elif p.expect.failed:
        own = [r for r in p.expect.failed if r != "LOGIN-2"]
        assert len(own) == 1 and (own[0].startswith("KCD-") or own[0] == "UC-7"), p.expect.failed
        assert p.expect.messages, "a fault profile says which words the message must contain"
    else:
        assert p.expect.warning and p.expect.messages, "a profile that fails nothing expects a warning"
    spec_from_profile(p)  # the domain it describes can be built
