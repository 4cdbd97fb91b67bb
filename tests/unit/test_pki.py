"""The test PKI generator: API, variants, caching (on disk, across processes, across days)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from wscard.errors import ProfileError
from wscard.pki import certs as C
from wscard.pki import clear_memory_cache, get_pki
from wscard.profile import load_profile
from wscard.sections.pki import PkiSection

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pki-cache")


def make(cache: Path, **settings):
    return get_pki(dataclasses.replace(PkiSection(), **settings), now=NOW, cache_dir=cache)


def test_default_pki_has_the_documented_certificates(cache):
    pki = make(cache)
    for name in ("root", "intermediate", "user", "ocsp", "dc", "dc-no-kdc", "other-root"):
        entry = pki.get(name)
        assert entry.name == name
        assert entry.pem.startswith(b"-----BEGIN CERTIFICATE-----")
        assert entry.path.exists() and entry.path.read_bytes() == entry.data
        # the base's certificates in its folder; the test user's under users/<key>/ there
        assert entry.path.parent == pki.directory or entry.path.parent.parent == pki.directory / "users"
    assert [e.name for e in pki.ca_chain] == ["intermediate", "root"]
    assert "other-root" not in [e.name for e in pki.ca_chain]
    with pytest.raises(KeyError, match="no certificate 'nope'"):
        pki.get("nope")


def test_user_certificate_is_a_smart_card_logon_certificate(cache):
    pki = make(cache)
    user = pki.get("user").cert
    assert C.upns(user) == ["testuser@corp.example.com"]
    assert set(C.ekus(user)) == {"1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2"}
    assert C.aia(user).ocsp == ["http://ocsp.pki.example.com/"]
    assert not C.is_ca(user)
    user.verify_directly_issued_by(pki.get("intermediate").cert)
    pki.get("intermediate").cert.verify_directly_issued_by(pki.get("root").cert)
    assert C.is_self_signed(pki.get("root").cert)
    assert user.not_valid_before_utc <= NOW <= user.not_valid_after_utc
    assert isinstance(pki.get("user").key, rsa.RSAPrivateKey)
    assert pki.get("user").key.public_key().public_numbers() == user.public_key().public_numbers()


def test_dc_ocsp_and_other_root(cache):
    pki = make(cache)
    dc = pki.get("dc").cert
    assert "1.3.6.1.5.2.3.5" in C.ekus(dc) and "1.3.6.1.5.5.7.3.1" in C.ekus(dc)
    assert "1.3.6.1.5.2.3.5" not in C.ekus(pki.get("dc-no-kdc").cert)
    san = dc.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "dc1.corp.example.com" in san.get_values_for_type(x509.DNSName)
    assert pki.get("dc").key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    ocsp = pki.get("ocsp").cert
    assert C.ekus(ocsp) == ["1.3.6.1.5.5.7.3.9"]
    ocsp.extensions.get_extension_for_class(x509.OCSPNoCheck)
    other = pki.get("other-root").cert
    assert C.is_self_signed(other) and C.is_ca(other)
    assert other.subject != pki.get("root").cert.subject


def test_ec_keys(cache):
    pki = make(cache, key_type="ec-p256")
    for name in ("root", "intermediate", "user"):
        assert isinstance(pki.get(name).cert.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(pki.get("user").key, ec.EllipticCurvePrivateKey)


def test_issuing_ca_expiring_soon(cache):
    pki = make(cache, ca_days_left=60)
    left = pki.get("intermediate").cert.not_valid_after_utc - NOW
    assert timedelta(days=60) <= left < timedelta(days=61)
    # leaves never outlive their CA
    assert pki.get("user").cert.not_valid_after_utc <= pki.get("intermediate").cert.not_valid_after_utc
    assert make(cache).get("intermediate").cert.not_valid_after_utc - NOW > timedelta(days=3000)


def test_pss_signed_ca(cache):
    pki = make(cache, ca_signature="pss")
    assert C.signed_with_pss(pki.get("intermediate").cert)
    assert not C.signed_with_pss(pki.get("root").cert)
    assert not C.signed_with_pss(make(cache).get("intermediate").cert)


def test_der_shipped_cas_keep_their_bytes(cache):
    pki = make(cache, ca_encoding="der")
    for entry in pki.ca_chain:
        assert entry.path.suffix == ".der"
        assert not C.is_pem(entry.data) and C.is_der(entry.data)
        assert entry.pem.startswith(b"-----BEGIN CERTIFICATE-----")
        assert entry.encoding == "der"
    assert C.is_pem(pki.get("user").data)
    assert pki.bundle_path.read_bytes().count(b"BEGIN CERTIFICATE") == 2


@pytest.mark.parametrize(
    "settings, check",
    [
        ({"user_upn_in_san": False}, lambda c: C.upns(c) == []),
        ({"user_ekus": ["smart-card-logon"]}, lambda c: C.ekus(c) == ["1.3.6.1.4.1.311.20.2.2"]),
        ({"user_ekus": ["client-auth"]}, lambda c: C.ekus(c) == ["1.3.6.1.5.5.7.3.2"]),
        ({"user_validity": "expired"}, lambda c: c.not_valid_after_utc < NOW),
        ({"user_validity": "not-yet-valid"}, lambda c: c.not_valid_before_utc > NOW),
        ({"user_ocsp_url": ""}, lambda c: C.aia(c).ocsp == []),
        ({"user_ocsp_url": "https://ocsp.pki.example.com/"}, lambda c: C.aia(c).ocsp == ["https://ocsp.pki.example.com/"]),
        ({"upn": "alice@corp.example.com"}, lambda c: C.upns(c) == ["alice@corp.example.com"]),
    ],
)
def test_user_variants(cache, settings, check):
    assert check(make(cache, **settings).get("user").cert)


def test_deeper_chain(cache):
    pki = make(cache, intermediates=2)
    assert [e.name for e in pki.ca_chain] == ["intermediate", "intermediate-2", "root"]
    pki.get("intermediate").cert.verify_directly_issued_by(pki.get("intermediate-2").cert)
    pki.get("intermediate-2").cert.verify_directly_issued_by(pki.get("root").cert)


def test_fixed_variant_users_and_ocsp_index(cache):
    pki = make(cache)
    assert C.aia(pki.get("user-aia-absent").cert).ocsp == []
    assert C.aia(pki.get("user-aia-silent").cert).ocsp == ["http://ocsp-silent.pki.example.com/"]
    index = pki.ocsp_index()
    assert index[pki.get("user").serial_hex]["status"] == "good"
    assert index[pki.get("user-revoked").serial_hex]["status"] == "revoked"
    assert pki.get("user-unknown").serial_hex not in index
    assert pki.get("user").serial_hex not in pki.ocsp_index("unknown")
    assert pki.ocsp_index("revoked")[pki.get("user").serial_hex]["status"] == "revoked"


def test_user_ocsp_status_does_not_change_the_certificates(cache):
    a = make(cache)
    b = make(cache, user_ocsp_status="revoked")
    assert a.directory == b.directory
    assert b.ocsp_index()[b.get("user").serial_hex]["status"] == "revoked"


@pytest.mark.parametrize("user", [{"user_validity": "expired"}, {"user_ekus": ["client-auth"]},
                                  {"user_key_type": "ec-p256"}, {"user_ocsp_url": ""},
                                  {"user_upn_in_san": False}, {"user_sid_extension": "none"}],
                         ids=lambda d: next(iter(d)))
def test_a_user_certificate_fault_shares_the_base(cache, user):
    # the CAs, the DC's, the responder's and the fixed users' certificates depend on the
    # base fields alone: a change to the user's certificate builds that one only
    a, b = make(cache), make(cache, **user)
    assert a.directory == b.directory
    for name in sorted(set(a.names()) - {"user"}):
        assert b.get(name).cert == a.get(name).cert and b.get(name).data == a.get(name).data, name
    assert b.get("user").cert != a.get("user").cert
    b.get("user").cert.verify_directly_issued_by(b.get("intermediate").cert)
    serials = [b.get(n).cert.serial_number for n in b.names()]
    assert len(set(serials)) == len(serials)
    # the responder's database knows the user's certificate of the section it was given
    assert b.get("user").serial_hex in b.ocsp_index() and b.get("user").serial_hex in b.issued
    assert a.get("user").serial_hex not in b.ocsp_index()


def test_two_views_of_one_pki_are_the_same_pki_to_a_responder(cache):
    # each get_pki call is a view of its own: who shares a running OCSP responder between
    # two of them (the login model's worlds) compares identity(), which must hold exactly
    # when the responder would answer the same
    assert make(cache) is not make(cache)
    assert make(cache).identity() == make(cache).identity()
    assert make(cache).identity() != make(cache, user_validity="expired").identity()
    assert make(cache).identity() != make(cache, user_ocsp_status="revoked").identity()
    assert make(cache).identity() != make(cache, ca_days_left=150).identity()


def test_a_base_field_builds_another_base(cache):
    a, b = make(cache), make(cache, ca_days_left=150)
    assert a.directory != b.directory and a.get("intermediate").cert != b.get("intermediate").cert


def test_reading_the_base_never_reads_the_user_certificates_fields(cache):
    """What the self-test's tracer relies on (wscard.selftest.SectionTracer): an area that
    uses only the CAs (AD Connector registrations, the guest trees) does not read the user
    certificate's keys, so a user-certificate fault does not run it."""
    from wscard.sections.pki import USER_CERTIFICATE_FIELDS

    read: list[str] = []

    @dataclasses.dataclass
    class Recording(PkiSection):
        def __getattribute__(self, name):
            read.append(name)
            return super().__getattribute__(name)

    sec = Recording()
    pki = get_pki(sec, now=NOW, cache_dir=cache)
    _ = (pki.ca_chain, pki.bundle_path, pki.get("intermediate"), pki.get("dc"), pki.get("user-good"),
         pki.names(), pki.issuer_of(pki.get("dc").cert), pki.extra_cas(1))
    user_keys = set(USER_CERTIFICATE_FIELDS) | {"user_ocsp_status"}
    assert not user_keys & set(read), sorted(user_keys & set(read))
    read.clear()
    pki.get("user")
    assert set(USER_CERTIFICATE_FIELDS) <= set(read)
    read.clear()
    pki.get("user")  # again: read again (a tracer attributes it to every reader, not the first)
    assert set(USER_CERTIFICATE_FIELDS) <= set(read)
    read.clear()
    pki.ocsp_index()
    assert "user_ocsp_status" in read and set(USER_CERTIFICATE_FIELDS) <= set(read)


def test_extra_cas(cache):
    pki = make(cache)
    cas = pki.extra_cas(5)
    assert len({e.cert.subject for e in cas}) == 5
    assert len({e.cert.public_key().public_numbers() for e in cas}) == 1  # one shared key
    assert [e.name for e in cas] == [f"extra-ca-{i:03d}" for i in range(1, 6)]
    for e in cas:
        assert C.is_ca(e.cert) and C.is_self_signed(e.cert)
        assert e.cert.not_valid_after_utc - NOW > timedelta(days=365)
        assert e.path.exists()
    assert [e.cert for e in pki.extra_cas(3)] == [e.cert for e in cas[:3]]


def test_cached_on_disk_and_deterministic(tmp_path):
    a = make(tmp_path)
    manifest = a.directory / "manifest.json"
    mtime = manifest.stat().st_mtime_ns
    keys = sorted(p.name for p in (tmp_path / "keys" / "rsa2048").iterdir())
    clear_memory_cache()
    b = make(tmp_path)
    assert b is not a and b.directory == a.directory
    assert manifest.stat().st_mtime_ns == mtime
    assert b.get("user").cert == a.get("user").cert
    # a new day: new certificates, same keys (no key generation)
    c = get_pki(PkiSection(), now=NOW + timedelta(days=1), cache_dir=tmp_path)
    assert c.directory != a.directory
    assert sorted(p.name for p in (tmp_path / "keys" / "rsa2048").iterdir()) == keys
    assert c.get("user").cert.public_key() == a.get("user").cert.public_key()
    # names and serial numbers depend only on the settings and the day
    other = tmp_path / "elsewhere"
    d = make(other)
    assert d.get("user").cert.serial_number == a.get("user").cert.serial_number
    assert d.get("user").cert.subject == a.get("user").cert.subject


def test_several_processes_build_the_same_pki_once(tmp_path):
    script = textwrap.dedent("""
        import sys
        from datetime import datetime, timezone
        from pathlib import Path
        from wscard.pki import get_pki
        from wscard.sections.pki import PkiSection
        pki = get_pki(PkiSection(key_type="ec-p256"), now=datetime(2026, 11, 22, tzinfo=timezone.utc),
                      cache_dir=Path(sys.argv[1]))
        print(pki.directory, pki.get("user").cert.fingerprint(__import__("cryptography.hazmat.primitives.hashes",
              fromlist=["SHA256"]).SHA256()).hex())
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) for _ in range(4)]
    outs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outs) == 1
    dirs = [p for p in tmp_path.iterdir() if p.is_dir() and p.name != "keys"]
    assert len(dirs) == 1 and not any(p.name.startswith(".") and p.is_dir() for p in tmp_path.iterdir())
    # the user's certificate too: one folder, no temporary one left (the same fingerprint
    # in every process above: an ECDSA signature differs each time it is made)
    users = [p for p in (dirs[0] / "users").iterdir() if p.is_dir()]
    assert len(users) == 1 and not users[0].name.startswith(".")


def test_profile_pki_section_and_validation(tmp_path):
    prof = load_profile()
    assert prof.pki.mode == "generated"
    assert prof.pki.user_ocsp_url == prof.aws.ocsp_url
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "embedded"\n[pki]\nkey_type = "ec-p256"\nca_signature = "pss"\n')
    with pytest.raises(ProfileError, match=r"\[pki\].ca_signature"):
        load_profile(bad)
    with pytest.raises(ProfileError, match=r"\[pki\].ca_bundle"):
        PkiSection(mode="files").validate(prof)
    with pytest.raises(ProfileError, match=r"\[pki\].user_certificates"):
        PkiSection(mode="files", ca_bundle=["x.pem"]).validate(prof)
    bad.write_text('extends = "embedded"\n[pki]\nkey_typ = "rsa2048"\n')
    with pytest.raises(ProfileError, match="did you mean 'key_type'"):
        load_profile(bad)


def test_files_mode_reads_pem_and_der_as_given(cache, tmp_path):
    gen = make(cache, intermediates=2)
    (tmp_path / "root.cer").write_bytes(gen.get("root").der)
    (tmp_path / "cas.pem").write_bytes(gen.get("intermediate-2").pem + gen.get("intermediate").pem)
    (tmp_path / "alice.der").write_bytes(gen.get("user").der)
    sec = PkiSection(mode="files", ca_bundle=[str(tmp_path / "root.cer"), str(tmp_path / "cas.pem")],
                     user_certificates=[str(tmp_path / "alice.der")])
    sec.validate(None)
    pki = get_pki(sec)
    assert pki.mode == "files"
    assert [e.cert for e in pki.ca_chain] == [gen.get(n).cert for n in ("intermediate", "intermediate-2", "root")]
    root = pki.get("root")
    assert root.data == gen.get("root").der and root.encoding == "der" and root.path.name == "root.cer"
    assert pki.get("intermediate").cert == gen.get("intermediate").cert
    assert C.is_pem(pki.get("intermediate").data)
    assert [u.cert for u in pki.users] == [gen.get("user").cert]
    assert pki.get("user").key is None


def test_files_mode_keeps_garbage_for_the_checks(tmp_path):
    """Garbage in the files does not stop the load: it is kept, naming the file, for
    the checks that take those certificates (CA-3; UC-* raise EnvironmentProblem)."""
    from wscard.errors import EnvironmentProblem

    (tmp_path / "junk.pem").write_bytes(b"not a certificate")
    (tmp_path / "u.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n")
    sec = PkiSection(mode="files", ca_bundle=[str(tmp_path / "junk.pem")], user_certificates=[str(tmp_path / "u.pem")])
    pki = get_pki(sec)
    assert any("junk.pem" in p for p in pki.file_problems("ca"))
    assert any("u.pem" in p and "BEGIN without its END" in p for p in pki.file_problems("user"))
    sec = PkiSection(mode="files", ca_bundle=[str(tmp_path / "missing.pem")], user_certificates=[str(tmp_path / "u.pem")])
    with pytest.raises(EnvironmentProblem, match="missing.pem"):
        get_pki(sec)


def test_old_days_are_pruned_keys_kept(tmp_path):
    old = get_pki(PkiSection(key_type="ec-p256"), now=NOW - timedelta(days=10), cache_dir=tmp_path)
    recent = get_pki(PkiSection(key_type="ec-p256"), now=NOW - timedelta(days=5), cache_dir=tmp_path)
    assert old.directory.exists()
    new = get_pki(PkiSection(key_type="ec-p256"), now=NOW, cache_dir=tmp_path)
    assert not old.directory.exists() and recent.directory.exists() and new.directory.exists()
    assert (tmp_path / "keys" / "ec-p256" / "user.key.pem").exists()


def test_get_pki_takes_the_pki_section_not_a_whole_profile():
    with pytest.raises(TypeError, match=r"the \[pki\] section \(profile\.pki\), not Profile"):
        get_pki(load_profile())


def test_certificate_facts_share_one_naming_core(cache):
    """The card summary (hardware.identify) and the KCD-4 evidence (wscard.ad.checks) name a
    certificate with the same facts from certs.identity_facts; each keeps its own EKU keys."""
    from hardware.identify import describe_certificate, has_logon_eku
    from wscard.ad.checks import certificate_facts

    pki = make(cache)
    user, dc = pki.get("user").cert, pki.get("dc-no-kdc").cert
    core = C.identity_facts(user)
    assert list(core) == ["subject", "issuer", "serial", "not_after"]
    assert core["serial"] == format(user.serial_number, "X")
    assert core["not_after"] == user.not_valid_after_utc.isoformat()
    assert describe_certificate(user) == {**core, "smart_card_logon": True, "client_auth": True}
    assert has_logon_eku(user) and not has_logon_eku(dc)
    assert certificate_facts(dc) == {**C.identity_facts(dc), "extended_key_usage": C.ekus(dc)}
    root = pki.get("root").cert
    assert C.ekus(root) is None  # no EKU extension: None, and the evidence shows []
    assert certificate_facts(root)["extended_key_usage"] == []
    assert describe_certificate(root)["smart_card_logon"] is False
