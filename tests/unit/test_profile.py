"""The profile loader: sections, types, unknown keys, extends, overrides."""

from __future__ import annotations

import textwrap

import pytest

from wscard.errors import ProfileError
from wscard.profile import load_profile, sections



def write(tmp_path, text, name="p.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_embedded_default_loads_with_every_section():
    prof = load_profile()
    assert prof.name == "embedded"
    assert prof.aws.mode == "embedded"
    assert prof.aws.client_authentication == "SmartCard"
    assert set(sections()) <= set(prof.values)


def test_unknown_section_names_file_and_suggests(tmp_path):
    p = write(tmp_path, "[aws]\nregion = 'us-east-1'\n[awz]\nx = 1\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(p)
    msg = str(exc.value)
    assert str(p) in msg and "unknown section [awz]" in msg and "did you mean 'aws'" in msg


def test_unknown_key_names_the_key(tmp_path):
    p = write(tmp_path, "[aws]\nregon = 'us-east-1'\n")
    with pytest.raises(ProfileError, match=r"\[aws\]\.regon: unknown key \(did you mean 'region'\?\)"):
        load_profile(p)


def test_unknown_key_in_a_nested_list_of_tables(tmp_path):
    p = write(tmp_path, """
        [[aws.certificates]]
        source = "pki:root"
        ocsp = "http://x/"
    """)
    with pytest.raises(ProfileError, match=r"\[aws\]\.certificates\[0\]\.ocsp: unknown key"):
        load_profile(p)


@pytest.mark.parametrize("text, key, expected", [
    ("[aws]\nmode = 'cloud'\n", "[aws].mode", "one of 'embedded', 'server', 'endpoint', 'live'"),
    ("[aws]\nca_expiry_warning_days = '180'\n", "[aws].ca_expiry_warning_days", "an integer"),
    ("[aws]\nca_expiry_warning_days = true\n", "[aws].ca_expiry_warning_days", "an integer"),
    ("[profile]\nauthentication = 'pre-session'\n", "[profile].authentication", "a list of"),
    ("[aws]\ndirectory = 'd-1234567890'\n", "[aws].directory", "a table"),
])
def test_wrong_types_are_refused_with_the_key(tmp_path, text, key, expected):
    p = write(tmp_path, text)
    with pytest.raises(ProfileError) as exc:
        load_profile(p)
    assert key in str(exc.value) and expected in str(exc.value)


def test_missing_required_key(tmp_path):
    p = write(tmp_path, "[[aws.certificates]]\nocsp_url = 'http://x/'\n")
    with pytest.raises(ProfileError, match=r"\[aws\]\.certificates\[0\]\.source: missing required key"):
        load_profile(p)


def test_malformed_toml_and_missing_file(tmp_path):
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(write(tmp_path, "[aws\n"))
    with pytest.raises(ProfileError, match="no such profile file"):
        load_profile(tmp_path / "nope.toml")


def test_extends_merges_tables_and_replaces_lists(tmp_path):
    p = write(tmp_path, """
        extends = "embedded"
        [aws]
        region = "us-east-1"
        certificates = [{ source = "pki:root" }]
    """)
    prof = load_profile(p)
    assert prof.aws.region == "us-east-1"
    assert prof.aws.client_authentication == "SmartCard"  # kept from embedded
    assert [c.source for c in prof.aws.certificates] == ["pki:root"]


def test_extends_relative_path_and_loop(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ProfileError, match="loop"):
        load_profile(tmp_path / "a.toml")


def test_live_needs_a_directory_id_and_refuses_simulated_world(tmp_path):
    with pytest.raises(ProfileError, match=r"\[aws.directory\]\.id"):
        load_profile(write(tmp_path, "[aws]\nmode = 'live'\n"))
    p = write(tmp_path, """
        [aws]
        mode = "live"
        certificates = [{ source = "pki:root" }]
        [aws.directory]
        id = "d-1234567890"
    """)
    with pytest.raises(ProfileError, match=r"\[aws\]\.certificates: describes a simulated world"):
        load_profile(p)


def test_directory_id_pattern(tmp_path):
    with pytest.raises(ProfileError, match="d- and 10 hex digits"):
        load_profile(write(tmp_path, "[aws]\nmode = 'live'\n[aws.directory]\nid = 'd-XYZ'\n"))


def test_unknown_service_fault(tmp_path):
    with pytest.raises(ProfileError, match="unknown service fault 'nope'"):
        load_profile(write(tmp_path, "extends = 'embedded'\n[aws]\nservice_faults = ['nope']\n"))


def test_every_catalogued_service_fault_is_applied_and_undone():
    # the catalogue a profile is checked against (wscard.service_faults) and the moto wrappers
    # (wscard.aws.service_faults) live apart: each name must change the simulated service
    from moto.ds.models import DirectoryServiceBackend
    from moto.ds.responses import DirectoryServiceResponse

    from wscard.aws import moto_ext
    from wscard.aws.service_faults import applied
    from wscard.service_faults import FAULTS

    moto_ext.install()
    def methods():
        return {(cls, name): getattr(cls, name) for cls in (DirectoryServiceBackend, DirectoryServiceResponse)
                for name in dir(cls) if not name.startswith("_")}

    before = methods()
    for name in FAULTS:
        with applied([name]):
            changed = [k for k, v in methods().items() if before.get(k) is not v]
        assert changed, f"service fault {name!r} changes nothing"
        assert methods() == before, f"service fault {name!r} is not undone"
    with pytest.raises(KeyError, match="unknown service fault"):
        with applied(["nope"]):
            pass


# --- rules across sections (wscard.profile.CROSS_SECTION_RULES) -----------------------

def test_samba_ad_needs_the_generated_pki(tmp_path):
    p = write(tmp_path, """
        extends = "embedded"
        [ad]
        mode = "samba"
        [pki]
        mode = "files"
        ca_bundle = ["ca.pem"]
        user_certificates = ["user.pem"]
    """)
    with pytest.raises(ProfileError, match=r"p\.toml.*\[ad\]\.mode.*samba mode needs \[pki\] mode = 'generated'"):
        load_profile(p)
    # trap: the same [pki] with a domain read over LDAP
    ldap = p.read_text().replace('mode = "samba"', 'mode = "ldap"\nldap_url = "ldaps://dc1.corp.example.com"')
    assert load_profile(write(tmp_path, ldap, "ldap.toml")).ad.mode == "ldap"


def test_simulated_workspaces_refused_on_live_aws(tmp_path):
    live = "[aws]\nmode = 'live'\n[aws.directory]\nid = 'd-1234567890'\n"
    with pytest.raises(ProfileError, match=r"\[workspaces\]: describes a simulated world and cannot be used in "
                                           r"mode 'live'"):
        load_profile(write(tmp_path, live + "[workspaces]\nregistered = false\n"))
    assert load_profile(write(tmp_path, live, "trap.toml")).aws.mode == "live"


def test_a_fleet_profile_needs_no_directory_id(tmp_path):
    # trap for the directory-ID rule: `wscard fleet` finds its directories itself
    profile = load_profile(write(tmp_path, "[aws]\nmode = 'live'\n[fleet]\naccounts = ['123456789012']\n"))
    assert profile.aws.mode == "live" and not profile.aws.directory.id


def test_expect_requires_known_requirement_ids(tmp_path):
    with pytest.raises(ProfileError, match="unknown requirement ID 'CA-99'"):
        load_profile(write(tmp_path, "[expect]\nfailed = ['CA-99']\n"))


def test_replace_revalidates():
    prof = load_profile()
    with pytest.raises(ProfileError):
        prof.replace("aws", mode="live")  # the embedded world has certificates, and no directory id
    assert prof.replace("aws", mode="server").aws.mode == "server"


def test_every_shipped_profile_loads():
    from wscard.selftest import ROOT

    for path in sorted((ROOT / "profiles").rglob("*.toml")):
        if "template" in path.name:
            continue  # placeholders
        load_profile(path)


def test_profile_reference_is_up_to_date():
    from wscard.profile_docs import render
    from wscard.selftest import ROOT

    current = (ROOT / "docs" / "profiles.md").read_text()
    assert current == render(), "docs/profiles.md is stale: run python tools/gen_profile_docs.py"


def test_values_left_to_another_section_are_worked_out_from_the_whole_profile(tmp_path):
    from wscard.profile import directory_user_name, domain_name, login_user_name, netbios_name, realm_name

    p = load_profile()
    assert (domain_name(p), netbios_name(p), realm_name(p)) == ("corp.example.com", "CORP", "CORP.EXAMPLE.COM")
    f = tmp_path / "p.toml"
    f.write_text(textwrap.dedent("""
        extends = "embedded"
        [aws.directory]
        name = "Lab.Example.ORG"
        short_name = "lab"
        [ad]
        service_account = "LAB\\\\svc-ws"
        [pki]
        upn = "jdoe@lab.example.org"
        [client]
        user = ""
    """))
    q = load_profile(f)
    assert (domain_name(q), netbios_name(q), realm_name(q)) == ("lab.example.org", "LAB", "LAB.EXAMPLE.ORG")
    assert directory_user_name(q) == "svc-ws" and login_user_name(q) == "jdoe"
    r = q.replace("ad", domain="Other.Example.Com", realm="OTHER.REALM").replace("login", user="alice")
    assert (domain_name(r), realm_name(r), login_user_name(r)) == ("other.example.com", "OTHER.REALM", "alice")


def test_no_section_reads_another_through_a_method():
    """A section's methods take only their own section's values: the one that gets the
    profile is validate (its own keys; rules over two sections are CROSS_SECTION_RULES,
    values left to another section are wscard.profile's functions)."""
    import dataclasses
    import inspect
    import sys

    modules = {cls.__module__ for cls in sections().values()}
    classes = [c for m in modules for c in vars(sys.modules[m]).values()
               if inspect.isclass(c) and dataclasses.is_dataclass(c) and c.__module__ == m]
    assert len(classes) > len(modules)  # the nested tables' dataclasses too ([aws.directory]...)
    offenders = [f"{cls.__module__}.{cls.__name__}.{attr}" for cls in classes for attr, fn in vars(cls).items()
                 if inspect.isfunction(fn) and attr != "validate" and "profile" in inspect.signature(fn).parameters]
    assert not offenders, offenders
