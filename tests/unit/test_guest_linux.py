"""Linux in-session probes (SESSION-3..7) against trees and NSS databases built with the
real NSS tools, and the parsers against recorded tool output."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from wscard.checks import Status
from wscard.errors import EnvironmentProblem
from wscard.guest import build, firefox, linux, lockscreen, nss, opensc, pam
from wscard.guest.rootfs import RootFS

DATA = Path(__file__).resolve().parents[1] / "data" / "guest"
NEEDS_NSS = pytest.mark.skipif(shutil.which("modutil") is None, reason="libnss3-tools not installed")
HOST_OPENSC = opensc.host_library()
NEEDS_OPENSC = pytest.mark.skipif(HOST_OPENSC is None, reason="opensc-pkcs11 not installed")

LINUX_VARIANTS = {
    "compliant": None,
    "module-not-registered": "SESSION-3",
    "wrong-library-path": "SESSION-3",
    "no-firefox-policy": "SESSION-4",
    "sudo-excluded": "SESSION-5",
    "ca-missing": "SESSION-6",
    "lock-screen-enabled": "SESSION-7",
}


def make_ca(cn: str = "Guest Test Root CA") -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name.from_rfc4514_string(f"CN={cn},O=Example")
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def ca() -> x509.Certificate:
    return make_ca()


@pytest.fixture(scope="module")
def trees(tmp_path_factory, ca):
    """Every Linux variant, built once for the module."""
    if shutil.which("modutil") is None:
        pytest.skip("libnss3-tools not installed")
    pem = ca.public_bytes(serialization.Encoding.PEM)
    out = {}
    for v in LINUX_VARIANTS:
        built = build.build_linux(tmp_path_factory.mktemp(v), v, pem)
        out[v] = built
    return out


def guest_of(built) -> linux.LinuxGuest:
    return linux.LinuxGuest(RootFS.at(built.root), built.home)


def run_all(guest, ca):
    return [
        linux.check_chrome_nssdb(guest),
        linux.check_firefox_linux(guest),
        linux.check_sudo_pam(guest),
        linux.check_image_root_ca(guest, ca),
        linux.check_lock_screen_linux(guest),
    ]


def copy_tree(built, tmp_path) -> linux.LinuxGuest:
    dest = tmp_path / "copy"
    shutil.copytree(built.root, dest, symlinks=True)
    return linux.LinuxGuest(RootFS.at(dest), built.home)


# --- the root path ------------------------------------------------------------------------

def test_symlinks_resolve_inside_the_root(tmp_path):
    root = tmp_path / "r"
    (root / "usr/lib64").mkdir(parents=True)
    (root / "usr/lib64/x.so").write_text("x")
    (root / "lib64").symlink_to("/usr/lib64")  # absolute target: must stay under root
    (root / "etc").mkdir()
    (root / "etc/evil").symlink_to("../../../../etc/passwd")
    fs = RootFS.at(root)
    assert fs.host_path("/lib64/x.so") == root.resolve() / "usr/lib64/x.so"
    assert fs.is_file("/lib64/x.so")
    assert fs.host_path("/etc/evil") == root.resolve() / "etc/passwd"
    assert not fs.exists("/etc/evil")
    assert fs.host_path("/../../etc") == root.resolve() / "etc"
    assert fs.guest_path(root.resolve() / "usr/lib64/x.so") == "/usr/lib64/x.so"


def test_missing_root_is_an_environment_problem(tmp_path):
    with pytest.raises(EnvironmentProblem, match="not a readable directory"):
        RootFS.at(tmp_path / "nope")


# --- parsers (recorded output of NSS 3.87) --------------------------------------------------

def test_rawlist_recorded_output():
    mods = nss.parse_rawlist((DATA / "nss/rawlist-opensc.txt").read_text())
    assert [(m.name, m.library) for m in mods] == [
        ("NSS Internal PKCS #11 Module", ""),
        ("OpenSC", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
    ]
    assert mods[0].internal and not mods[1].internal


def test_list_status_recorded_output():
    assert nss.parse_list_status((DATA / "nss/list-opensc-loaded.txt").read_text())["OpenSC"] == "loaded"
    assert nss.parse_list_status((DATA / "nss/list-opensc-not-loaded.txt").read_text())["OpenSC"] == "Not loaded"


def test_certutil_list_recorded_output():
    entries = nss.parse_certutil_list((DATA / "nss/certutil-L.txt").read_text())
    assert [(e.nickname, e.trust, e.is_trusted_ca) for e in entries] == [
        ("WorkSpaces smart card root CA", "CT,C,C", True),
        ("Other CA (not trusted)", ",,", False),
    ]


def test_module_spec_quoting():
    spec = nss.parse_module_spec(r'library="/opt/my dir/\"x\".so" name="Open SC" NSS="a=(1={b=[c] d})"')
    assert spec == {"library": '/opt/my dir/"x".so', "name": "Open SC", "NSS": "a=(1={b=[c] d})"}


# --- every variant fails exactly its requirement ---------------------------------------------

@NEEDS_NSS
@pytest.mark.parametrize("variant", list(LINUX_VARIANTS))
def test_each_variant_fails_exactly_its_requirement(trees, ca, variant):
    results = run_all(guest_of(trees[variant]), ca)
    failed = sorted(r.requirement for r in results if r.status is Status.FAILED)
    expected = [LINUX_VARIANTS[variant]] if LINUX_VARIANTS[variant] else []
    assert failed == expected, [f.render() for r in results for f in r.findings]
    assert all(r.status is not Status.SKIPPED for r in results)


@NEEDS_NSS
def test_probes_change_nothing(trees, ca):
    root = trees["compliant"].root

    def snapshot():
        out = {}
        for dirpath, _, files in os.walk(root):
            for f in files:
                p = Path(dirpath) / f
                if not p.is_symlink():
                    st = p.stat()
                    out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mtime_ns)
        return out

    before = snapshot()
    run_all(guest_of(trees["compliant"]), ca)
    assert snapshot() == before


@NEEDS_NSS
@NEEDS_OPENSC
def test_compliant_tree_has_the_library_its_database_names(trees):
    g = guest_of(trees["compliant"])
    mods = nss.list_modules(g.fs.host_path(g.user_nssdb))
    opensc_mods = [m for m in mods if m.name == "OpenSC"]
    assert opensc_mods and g.fs.is_file(opensc_mods[0].library)
    assert g.fs.is_file("/lib64/opensc-pkcs11.so")  # through the /lib64 -> usr/lib64 link


# --- SESSION-3 messages -------------------------------------------------------------------

@NEEDS_NSS
def test_missing_database_says_to_start_chrome_then_run_the_command(trees, tmp_path):
    g = copy_tree(trees["compliant"], tmp_path)
    shutil.rmtree(g.fs.host_path(g.user_nssdb))
    r = linux.check_chrome_nssdb(g)
    assert r.status is Status.FAILED
    msg = r.message()
    assert "no NSS database" in msg and "start Chrome once" in msg
    assert 'modutil -dbdir sql:.pki/nssdb/ -add "OpenSC" -libfile /lib64/opensc-pkcs11.so' in msg


@NEEDS_NSS
def test_not_registered_names_the_documented_command(trees):
    r = linux.check_chrome_nssdb(guest_of(trees["module-not-registered"]))
    msg = r.message()
    assert 'cd; modutil -dbdir sql:.pki/nssdb/ -add "OpenSC" -libfile /lib64/opensc-pkcs11.so' in msg
    assert 'Module "OpenSC" added to database.' in msg


@NEEDS_NSS
def test_wrong_library_path_is_named(trees):
    r = linux.check_chrome_nssdb(guest_of(trees["wrong-library-path"]))
    assert r.status is Status.FAILED
    assert f"{build.WRONG_LIBRARY} does not exist in the guest" in r.message()
    assert '-delete "OpenSC"' in r.message()


@NEEDS_NSS
def test_locked_database_is_an_environment_problem(trees, tmp_path):
    g = copy_tree(trees["compliant"], tmp_path)
    db = g.fs.host_path(g.user_nssdb) / "cert9.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(EnvironmentProblem, match="locked by another process"):
            linux.check_chrome_nssdb(g)
    finally:
        con.rollback()
        con.close()


@NEEDS_NSS
def test_damaged_database_fails_the_check(trees, tmp_path):
    g = copy_tree(trees["compliant"], tmp_path)
    d = g.fs.host_path(g.user_nssdb)
    (d / "cert9.db").write_bytes(b"this is not sqlite" * 100)
    (d / "key4.db").write_bytes(b"this is not sqlite" * 100)
    r = linux.check_chrome_nssdb(g)
    assert r.status is Status.FAILED
    assert "damaged" in r.message() and "move the database aside" in r.message()


@NEEDS_NSS
def test_legacy_database_fails_with_format_explained(tmp_path):
    root = tmp_path / "r"
    db = root / "home/u/.pki/nssdb"
    db.mkdir(parents=True)
    proc = nss._run([nss.tool("certutil"), "-N", "-d", f"dbm:{db}", "--empty-password"])
    if proc.returncode != 0:
        pytest.skip("this NSS cannot create dbm databases")
    r = linux.check_chrome_nssdb(linux.LinuxGuest(RootFS.at(root), "/home/u"))
    assert r.status is Status.FAILED and "legacy dbm format" in r.message()


# --- SESSION-3: following the user guide on a fresh database ---------------------------------

@NEEDS_NSS
@NEEDS_OPENSC
def test_documented_command_on_a_fresh_database(tmp_path):
    home = tmp_path / "home"
    nss.create_db(home / ".pki/nssdb")
    g = linux.LinuxGuest(RootFS.at("/"), str(home), opensc_library=HOST_OPENSC)
    before = linux.check_chrome_nssdb(g)
    assert before.status is Status.FAILED
    assert f'modutil -dbdir sql:.pki/nssdb/ -add "OpenSC" -libfile {HOST_OPENSC}' in before.message()
    proc = nss.run_documented_add(home, HOST_OPENSC)
    assert 'Module "OpenSC" added to database.' in proc.stdout
    after = linux.check_chrome_nssdb(g)
    assert after.status is Status.PASSED, after.message()
    assert any(m["status"] == "loaded" for m in after.evidence["modules"])  # live root: NSS loaded it


@NEEDS_NSS
def test_documented_command_without_a_database_fails_like_the_tool_says(tmp_path):
    """Measured: the user guide's command needs the database Chrome creates first."""
    if HOST_OPENSC is None:
        pytest.skip("opensc-pkcs11 not installed")
    home = tmp_path / "home"
    home.mkdir()
    proc = nss.run_documented_add(home, HOST_OPENSC)
    assert proc.returncode != 0 and "SEC_ERROR_BAD_DATABASE" in proc.stderr


# --- SESSION-4 ----------------------------------------------------------------------------

def fx_root(tmp_path, policies: dict | str | None, system: dict | None = None) -> linux.LinuxGuest:
    root = tmp_path / "fx"
    (root / "usr/lib64/firefox/distribution").mkdir(parents=True)
    (root / "usr/lib64/firefox/application.ini").write_text("[App]\nName=Firefox\n")
    (root / "usr/lib64/opensc-pkcs11.so").write_bytes(b"")
    if policies is not None:
        text = policies if isinstance(policies, str) else json.dumps(policies)
        (root / "usr/lib64/firefox/distribution/policies.json").write_text(text)
    if system is not None:
        (root / "etc/firefox/policies").mkdir(parents=True)
        (root / "etc/firefox/policies/policies.json").write_text(json.dumps(system))
    (root / "home/u").mkdir(parents=True)
    return linux.LinuxGuest(RootFS.at(root), "/home/u")


def test_firefox_policy_legacy_and_add_forms(tmp_path):
    g = fx_root(tmp_path, {"policies": {"SecurityDevices": {"Add": {"OpenSC": "/usr/lib64/opensc-pkcs11.so"}, "Delete": []}}})
    assert linux.check_firefox_linux(g).status is Status.PASSED


def test_firefox_reads_only_the_etc_policy_when_it_exists(tmp_path):
    g = fx_root(tmp_path, {"policies": {"SecurityDevices": {"OpenSC": "/usr/lib64/opensc-pkcs11.so"}}},
                system={"policies": {"DisableTelemetry": True}})
    r = linux.check_firefox_linux(g)
    assert r.status is Status.FAILED
    assert "reads only /etc/firefox/policies/policies.json" in r.message()


def test_firefox_invalid_json_is_ignored_by_firefox(tmp_path):
    g = fx_root(tmp_path, '{"policies": {"SecurityDevices": {"OpenSC": "/usr/lib64/opensc-pkcs11.so",}}}')
    r = linux.check_firefox_linux(g)
    assert r.status is Status.FAILED and "not valid JSON" in r.message()


def test_firefox_policy_naming_a_missing_library(tmp_path):
    g = fx_root(tmp_path, {"policies": {"SecurityDevices": {"OpenSC": "/usr/lib/opensc-pkcs11.so"}}})
    r = linux.check_firefox_linux(g)
    assert r.status is Status.FAILED and "/usr/lib/opensc-pkcs11.so, which does not exist" in r.message()


def test_firefox_not_installed_is_skipped(tmp_path):
    (tmp_path / "empty/home/u").mkdir(parents=True)
    r = linux.check_firefox_linux(linux.LinuxGuest(RootFS.at(tmp_path / "empty"), "/home/u"))
    assert r.status is Status.SKIPPED and "not installed" in r.skipped_because


@NEEDS_NSS
def test_firefox_module_loaded_by_hand_in_the_profile(tmp_path):
    g = fx_root(tmp_path, None)
    base = g.fs.host_path("/home/u/.mozilla/firefox")
    base.mkdir(parents=True)
    (base / "profiles.ini").write_text("[Profile0]\nName=default\nIsRelative=1\nPath=abc.default\n")
    nss.create_db(base / "abc.default")
    nss.rawadd_module(base / "abc.default", "OpenSC", "/usr/lib64/opensc-pkcs11.so")
    r = linux.check_firefox_linux(g)
    assert r.status is Status.WARNING, r.message()
    assert "new profiles will not have it" in r.warnings()[0].render()


# --- SESSION-5 ----------------------------------------------------------------------------

def pam_root(tmp_path, system_auth: str, sudo_i: bool = True) -> RootFS:
    d = tmp_path / "pam/etc/pam.d"
    d.mkdir(parents=True)
    (d / "sudo").write_text(build.SUDO_PAM)
    if sudo_i:
        (d / "sudo-i").write_text(build.SUDO_I_PAM)
    (d / "system-auth").write_text(system_auth)
    return RootFS.at(tmp_path / "pam")


PKCS11 = "auth [success=done authinfo_unavail=ignore ignore=ignore default=die] pam_pkcs11.so nodebug\n"


@pytest.mark.parametrize("filter_line,reached", [
    ("", True),
    ("#auth [success=1 default=ignore] pam_succeed_if.so service notin login:gdm quiet use_uid\n", True),
    ("auth [success=1 default=ignore] pam_succeed_if.so service notin login:gdm quiet use_uid\n", False),
    ("auth [success=1 default=ignore] pam_succeed_if.so service notin login:sudo:sudo-i quiet use_uid\n", True),
    ("auth [success=ignore default=1] pam_succeed_if.so service in login:gdm quiet\n", False),
    ("auth [success=ignore default=1] pam_succeed_if.so service in sudo:sudo-i:login quiet\n", True),
    ("auth requisite pam_succeed_if.so service in login:gdm quiet\n", False),
    ("auth [success=2 default=ignore] pam_succeed_if.so service in sudo:sudo-i\nauth optional pam_env.so\n", False),
])
def test_service_filters(tmp_path, filter_line, reached):
    fs = pam_root(tmp_path, "auth required pam_env.so\n" + filter_line + PKCS11 + "auth required pam_unix.so\n")
    assert pam.smartcard_reach(fs, "sudo").reached is reached
    assert pam.smartcard_reach(fs, "sudo-i").reached is reached


def test_sudo_i_without_its_own_stack_uses_sudo(tmp_path):
    fs = pam_root(tmp_path, PKCS11, sudo_i=False)
    r = linux.check_sudo_pam(linux.LinuxGuest(fs, "/root"))
    assert r.status is not Status.FAILED
    assert "uses the sudo service" in r.evidence["services"]["sudo-i"]


def test_no_pam_pkcs11_in_the_stack(tmp_path):
    fs = pam_root(tmp_path, "auth sufficient pam_unix.so\nauth required pam_deny.so\n")
    r = linux.check_sudo_pam(linux.LinuxGuest(fs, "/root"))
    assert r.status is Status.FAILED and "no smart card module is in the auth stack" in r.message()


def test_debian_include_and_substack(tmp_path):
    d = tmp_path / "pam/etc/pam.d"
    d.mkdir(parents=True)
    (d / "sudo").write_text("@include common-auth\n")
    (d / "login").write_text("@include common-auth\n")
    (d / "common-auth").write_text("auth substack smartcard\nauth [success=1 default=ignore] pam_unix.so\n"
                                   "auth requisite pam_deny.so\nauth required pam_permit.so\n")
    (d / "smartcard").write_text("auth [success=ignore default=done] pam_succeed_if.so service in login\n" + PKCS11)
    fs = RootFS.at(tmp_path / "pam")
    reach = pam.smartcard_reach(fs, "sudo")
    assert reach.reached is False  # "done" ends the substack before pam_pkcs11
    assert pam.smartcard_reach(fs, "login").reached is True
    assert [ln.module_name for ln in reach.stack.lines][:2] == ["pam_succeed_if.so", "pam_pkcs11.so"]
    assert reach.stack.lines[0].substack_end == 2


def test_line_continuation_and_comments():
    lines = pam.parse_file("auth \\\n  required pam_env.so # comment\n# auth required pam_x.so\n", "/etc/pam.d/x")
    assert len(lines) == 1 and lines[0].module == "pam_env.so" and lines[0].args == []


# --- SESSION-6 ----------------------------------------------------------------------------

@NEEDS_NSS
@pytest.mark.parametrize("trust,status", [("CT,C,C", Status.PASSED), ("C,C,C", Status.WARNING), (",,", Status.FAILED)])
def test_root_ca_trust_flags(tmp_path, ca, trust, status):
    root = tmp_path / "r"
    db = root / "etc/pki/nssdb"
    nss.create_db(db)
    nss.add_cert(db, "root", ca.public_bytes(serialization.Encoding.PEM), trust)
    r = linux.check_image_root_ca(linux.LinuxGuest(RootFS.at(root), "/root"), ca)
    assert r.status is status, r.findings


@NEEDS_NSS
def test_root_ca_lookalike_is_named(trees, ca):
    r = linux.check_image_root_ca(guest_of(trees["ca-missing"]), ca)
    assert "same name is there" in r.message() and "another key" in r.message()


def test_root_ca_unknown_is_skipped(tmp_path):
    r = linux.check_image_root_ca(linux.LinuxGuest(RootFS.at(tmp_path), "/root"), None)
    assert r.status is Status.SKIPPED


# --- SESSION-7 ----------------------------------------------------------------------------

NEEDS_GLIB = pytest.mark.skipif(shutil.which("glib-compile-schemas") is None or shutil.which("gsettings") is None,
                                reason="libglib2.0-bin not installed")


def lock_root(tmp_path, overrides: dict[str, str], compile_: bool = True) -> linux.LinuxGuest:
    root = tmp_path / "lock"
    schemas = root / "usr/share/glib-2.0/schemas"
    schemas.mkdir(parents=True)
    (schemas / "org.mate.screensaver.gschema.xml").write_text(build.MATE_SCHEMA)
    for name, text in overrides.items():
        (schemas / name).write_text(text)
    if compile_:
        import subprocess
        subprocess.run(["glib-compile-schemas", str(schemas)], check=True)
    return linux.LinuxGuest(RootFS.at(root), "/root")


@NEEDS_GLIB
def test_lock_override_must_be_compiled(tmp_path):
    g = lock_root(tmp_path, {})
    override = g.fs.host_path(lockscreen.OVERRIDE_FILE)
    override.write_text(build.LOCK_OVERRIDE)
    compiled = g.fs.host_path(f"{lockscreen.SCHEMA_DIR}/gschemas.compiled")
    os.utime(compiled, (1_000_000, 1_000_000))
    r = linux.check_lock_screen_linux(g)
    assert r.status is Status.FAILED and "was not compiled" in r.message()


@NEEDS_GLIB
def test_a_later_override_wins(tmp_path):
    g = lock_root(tmp_path, {"10_screensaver.gschema.override": build.LOCK_OVERRIDE,
                             "20_vendor.gschema.override": "[org.mate.screensaver]\nlock-enabled=true\n"})
    r = linux.check_lock_screen_linux(g)
    assert r.status is Status.FAILED and "20_vendor.gschema.override (the last one read) sets it to true" in r.message()


@NEEDS_GLIB
def test_dconf_system_setting_overrides_the_schema(tmp_path):
    g = lock_root(tmp_path, {"10_screensaver.gschema.override": build.LOCK_OVERRIDE})
    d = g.fs.host_path("/etc/dconf/db/local.d")
    d.mkdir(parents=True)
    (d / "00-screensaver").write_text("[org/mate/screensaver]\nlock-enabled=true\n")
    r = linux.check_lock_screen_linux(g)
    assert r.status is Status.FAILED and "dconf key file" in r.message()


def test_no_screen_saver_is_skipped(tmp_path):
    r = linux.check_lock_screen_linux(linux.LinuxGuest(RootFS.at(tmp_path), "/root"))
    assert r.status is Status.SKIPPED


def test_lock_from_override_files_when_gsettings_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(lockscreen.shutil, "which", lambda name: None)
    g = lock_root(tmp_path, {"10_screensaver.gschema.override": build.LOCK_OVERRIDE}, compile_=False)
    g.fs.host_path(f"{lockscreen.SCHEMA_DIR}/gschemas.compiled").write_bytes(b"")
    assert linux.check_lock_screen_linux(g).status is Status.PASSED


@NEEDS_NSS
def test_unreadable_database_is_an_environment_problem(trees, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    g = copy_tree(trees["compliant"], tmp_path)
    (g.fs.host_path(g.user_nssdb) / "cert9.db").chmod(0)
    with pytest.raises(EnvironmentProblem, match="permission denied"):
        linux.check_chrome_nssdb(g)
