"""The simulated domain controller for real (Samba AD DC), one DC for the module: the
embedded domain passes every check; it listens on loopback only; a lab profile (ldap
mode, StartTLS, global catalog) reads the same domain; duplicate SPNs are refused as
setspn -s refuses them. Set-up/tear-down: test_ad_samba_cycle.py.

Skipped, with the install command, where Samba is not installed."""

from __future__ import annotations

import json
import ssl
import subprocess
from pathlib import Path

import ldap3
import pytest

from wscard.ad import samba
from wscard.ad.session import session_for_samba
from wscard.checks import Status
from wscard.profile import load_profile

REASON = samba.unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

@pytest.fixture(scope="module")
def profile():
    return load_profile()


@pytest.fixture(scope="module")
def dc(profile, tmp_path_factory):
    """One running simulated DC for this module, from a copy of the embedded template
    whose Administrator has a password this test knows (for the LDAP write attempt)."""
    from wscard.pki import get_pki

    spec = samba.spec_from_profile(profile)
    tpl = samba.TemplateCache().get(spec)
    copy = tmp_path_factory.mktemp("ad") / "dom"
    samba._copy_tree(tpl.path, copy)
    (copy / "etc" / "smb.conf").write_text(samba.render_conf(spec, copy))
    admin_pw = samba.new_password()
    samba._set_password(copy, f"CN=Administrator,CN=Users,{spec.base_dn}", admin_pw)
    d = samba.SambaDC(samba.Template(copy, spec, {**tpl.passwords, "admin": admin_pw}),
                      samba.tls_from_pki(get_pki(profile.pki), "dc"))
    d.start()
    try:
        yield d
    finally:
        d.stop()


def test_compliant_domain_passes_every_check(dc, profile):
    s = session_for_samba(profile, dc)
    results = [s.check_spn(), s.check_delegation_settings(), s.check_delegation_granted(),
               s.check_delegation_refused_elsewhere(), s.check_ldap_service_chosen(),
               s.check_every_domain_controller(), s.check_delegation_every_dc(), s.check_dc_certificates()]
    assert [r.status for r in results] == [Status.PASSED] * len(results), [r.message() for r in results]
    proof = s.proof()
    assert [r.outcome for r in proof.requests] == ["granted", "refused"]
    assert proof.unlisted.service == "host/dc1.corp.example.com"
    assert dc.template.passwords["service"] not in proof.trace
    assert "kvno -U testuser -P ldap/dc1.corp.example.com" in proof.trace
    print(f"\nAD timings: dc {dc.timings}, template build {dc.template.timings}, session {s.timings}")


def test_listens_on_loopback_only(dc):
    out = subprocess.run(["ss", "-Hltnu"], capture_output=True, text=True).stdout
    ports = {":88", ":389", ":636", ":3268", ":3269"}
    for line in out.splitlines():
        local = line.split()[4] if len(line.split()) > 4 else ""
        if any(local.endswith(p) for p in ports) and "samba" in line:
            assert local.startswith("127.0.0.1:"), line


def test_lab_profile_reads_the_same_domain_over_starttls(dc, tmp_path, monkeypatch):
    """Ldap mode as a lab uses it: StartTLS on 389, the global catalog on 3268, the CA
    bundle verified, the password from the environment."""
    monkeypatch.setenv("WSCARD_AD_PASSWORD", dc.template.passwords["service"])
    monkeypatch.delenv("WSCARD_AD_SERVICE_PASSWORD", raising=False)
    lab = tmp_path / "lab.toml"
    lab.write_text(
        "[ad]\nmode = 'ldap'\nldap_url = 'ldap://dc1.corp.example.com'\n"
        f"ca_bundle = '{dc.ca_bundle}'\nservice_account = 'svc-adconnector'\ntest_user = 'testuser'\n"
        "[ad.addresses]\n'dc1.corp.example.com' = '127.0.0.1'\n")
    from wscard.ad import session_for_ldap

    s = session_for_ldap(load_profile(lab), ask=False)
    assert s.target.ldap.port == 389 and not s.target.ldap.tls
    snap = s.snapshot()
    assert snap.spn_search_scope == "forest"
    assert s.check_spn().status is Status.PASSED
    assert s.check_delegation_granted().status is Status.PASSED
    assert s.check_dc_certificates().status is Status.PASSED
    assert "Ws1!" not in json.dumps(s.describe())


def test_wrong_ca_bundle_is_an_environment_problem(dc, profile, tmp_path):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from wscard.errors import EnvironmentProblem

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
            .add_extension(x509.BasicConstraints(True, None), True).sign(key, hashes.SHA256()))
    other = tmp_path / "other-ca.pem"
    other.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    s = session_for_samba(profile, dc)
    s.target.ca_bundle = str(other)
    with pytest.raises(EnvironmentProblem, match="does not verify"):
        s.snapshot()


def test_duplicate_spn_is_refused_offline_and_over_ldap(dc, tmp_path):
    """setspn -s refuses a duplicate; so do samba-tool and LDAP (constraintViolation
    0000202F), which is why the duplicate fault is written below Samba's modules."""
    spec = dc.spec
    copy = tmp_path / "dom"
    samba._copy_tree(dc.template.path, copy)
    (copy / "etc" / "smb.conf").write_text(samba.render_conf(spec, copy))
    conf, h = str(copy / "etc" / "smb.conf"), str(copy / "private" / "sam.ldb")
    p = subprocess.run([samba.which("samba-tool"), "spn", "add", spec.spn_value, spec.test_user, "-s", conf, "-H", h],
                       capture_output=True, text=True, env=samba._env(copy))
    assert p.returncode != 0 and "already" in (p.stdout + p.stderr)
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(dc.ca_bundle), valid_names=[spec.dc_hostname])
    server = ldap3.Server("127.0.0.1", 636, use_ssl=True, tls=tls)
    conn = ldap3.Connection(server, f"Administrator@{spec.domain}", dc.template.passwords["admin"], auto_bind=True)
    try:
        user_dn = f"CN={spec.test_user},CN=Users,{spec.base_dn}"
        ok = conn.modify(user_dn, {"servicePrincipalName": [(ldap3.MODIFY_ADD, [spec.spn_value.upper()])]})
        assert not ok
        assert conn.result["description"] == "constraintViolation", conn.result
        assert "0000202F" in conn.result["message"]
    finally:
        conn.unbind()


def test_second_dc_in_the_same_process_is_refused(dc, profile):
    from wscard.errors import EnvironmentProblem

    with pytest.raises(EnvironmentProblem, match="already runs"):
        samba.start_for_profile(profile)
