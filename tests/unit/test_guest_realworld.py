"""Guests as real images have them (issue 12, point 5): PAM stacks built on pam_sss, NSS
databases that reach OpenSC through p11-kit, Firefox as a snap (and flatpak, /opt), read
from the real inputs in ``tests/data/realworld/`` (see its README) and from trees the guest
builder lays out the same way (``[guest.layout]``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from wscard.checks import Status
from wscard.guest import build, firefox, linux, nss, pam
from wscard.guest.rootfs import RootFS

DATA = Path(__file__).resolve().parents[1] / "data" / "realworld"
NEEDS_NSS = pytest.mark.skipif(shutil.which("modutil") is None, reason="libnss3-tools not installed")


def copy_of(tmp_path: Path, case: str, sub: str = "") -> Path:
    dest = tmp_path / case
    shutil.copytree(DATA / case / sub if sub else DATA / case, dest, symlinks=True)
    for p in [dest, *dest.rglob("*")]:  # the collection is read-only; the copies are ours
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


# --- PAM: pam_sss with certificate authentication -------------------------------------------

def test_real_rhel_stack_fails_session5_naming_the_line_that_skips_the_card(tmp_path):
    root = copy_of(tmp_path, "pam-sss-sudo-excluded", "root")
    r = linux.check_sudo_pam(linux.LinuxGuest(RootFS.at(root), "/home/jdoe"))
    assert r.status is Status.FAILED
    msg = r.message()
    assert "pam_pkcs11" not in msg  # judged as the stack it is, not as if only pam_pkcs11 existed
    assert "the service sudo is excluded from smart card authentication" in msg
    assert "/etc/pam.d/system-auth:3" in msg and "pam_succeed_if.so service notin login:gdm:" in msg
    assert "pam_sss.so require_cert_auth" in msg and "/etc/pam.d/system-auth:4" in msg
    assert ("let sudo reach /etc/pam.d/system-auth:4: add sudo and sudo-i to the service list at "
            "/etc/pam.d/system-auth:3 (service notin login:gdm:xdm:kdm:xscreensaver:gnome-screensaver:kscreensaver:"
            "sudo:sudo-i)") in msg
    assert {f.subject for f in r.failures()} == {"PAM stack of sudo", "PAM stack of sudo-i"}


def _let_sudo_in(root: Path, sssd_conf: str | None = build.SSSD_CONF) -> RootFS:
    sa = root / "etc/pam.d/system-auth"
    sa.write_text(sa.read_text().replace("kscreensaver quiet", "kscreensaver:sudo:sudo-i quiet"))
    if sssd_conf is not None:
        (root / "etc/sssd").mkdir(parents=True, exist_ok=True)
        (root / "etc/sssd/sssd.conf").write_text(sssd_conf)
    return RootFS.at(root)


def test_real_rhel_stack_that_sudo_reaches_passes(tmp_path):
    fs = _let_sudo_in(copy_of(tmp_path, "pam-sss-sudo-excluded", "root"))
    r = linux.check_sudo_pam(linux.LinuxGuest(fs, "/home/jdoe"))
    assert r.status is Status.PASSED, r.findings
    assert r.evidence["services"]["sudo"]["reached"] is True
    assert r.evidence["sssd"]["pam_cert_auth"] is True


@pytest.mark.parametrize("conf, status, text", [
    (None, Status.WARNING, "pam_cert_auth = True"),
    ("[pam]\npam_cert_auth = False\n", Status.FAILED, "pam_cert_auth is not True"),
    ("[pam]\npam_cert_auth = True\npam_p11_allowed_services = -sudo\n", Status.FAILED,
     "pam_p11_allowed_services does not include sudo"),
    ("[pam]\npam_cert_auth = True\npam_p11_allowed_services = login, gdm-smartcard\n", Status.FAILED,
     "does not include sudo"),
    ("[pam]\npam_cert_auth = True\npam_p11_allowed_services = +my-app\n", Status.PASSED, ""),
])
def test_sssd_must_do_certificate_authentication_for_sudo(tmp_path, conf, status, text):
    fs = _let_sudo_in(copy_of(tmp_path, "pam-sss-sudo-excluded", "root"), conf)
    r = linux.check_sudo_pam(linux.LinuxGuest(fs, "/home/jdoe"))
    assert r.status is status, r.findings
    if text:
        assert text in " ".join(f.render() for f in r.findings)


def _pam(tmp_path, files: dict[str, str]) -> RootFS:
    d = tmp_path / "pam/etc/pam.d"
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return RootFS.at(tmp_path / "pam")


@pytest.mark.parametrize("line, smartcard", [
    ("auth sufficient pam_sss.so try_cert_auth", True),
    ("auth [success=done ignore=ignore default=die] pam_sss.so require_cert_auth", True),
    ("auth sufficient pam_sss.so forward_pass", False),  # password only
    ("auth [success=done default=die] pam_pkcs11.so wait_for_card", True),
])
def test_smart_card_modules(tmp_path, line, smartcard):
    fs = _pam(tmp_path, {"sudo": line + "\nauth required pam_deny.so\n"})
    assert pam.smartcard_reach(fs, "sudo").reached is smartcard


def test_a_parent_jump_counts_a_substack_as_one_module(tmp_path):
    # [success=1] over a 3-line substack lands on the card line: the substack is one module
    fs = _pam(tmp_path, {
        "sudo": "auth [success=1 default=ignore] pam_succeed_if.so service in sudo\n"
                "auth substack pw\n"
                "auth sufficient pam_sss.so try_cert_auth\nauth required pam_deny.so\n",
        "pw": "auth optional pam_env.so\nauth optional pam_faildelay.so\nauth optional pam_unix.so\n",
    })
    reach = pam.smartcard_reach(fs, "sudo")
    assert reach.reached
    lines = reach.stack.lines
    assert pam.jump_target(lines, 0, 1) == 4 and lines[4].smartcard


def test_a_jump_inside_a_substack_cannot_leave_it(tmp_path):
    # [success=5] inside the substack stops at its end, so the card line after it is reached
    fs = _pam(tmp_path, {
        "sudo": "auth substack sc\nauth sufficient pam_sss.so try_cert_auth\nauth required pam_deny.so\n",
        "sc": "auth [success=5 default=5] pam_succeed_if.so service in sudo\nauth optional pam_env.so\n",
    })
    assert pam.smartcard_reach(fs, "sudo").reached
    # the same lines included (not a substack): the jump runs past the file's end and skips the card line
    fs2 = _pam(tmp_path / "inc", {
        "sudo": "auth include sc\nauth sufficient pam_sss.so try_cert_auth\nauth required pam_deny.so\n",
        "sc": "auth [success=5 default=5] pam_succeed_if.so service in sudo\nauth optional pam_env.so\n",
    })
    reach = pam.smartcard_reach(fs2, "sudo")
    assert not reach.reached and reach.deciding.where == "/etc/pam.d/sc:1"


def test_service_in_list_fix_says_add(tmp_path):
    fs = _pam(tmp_path, {"sudo": "auth requisite pam_succeed_if.so service in login:gdm quiet\n"
                                 "auth sufficient pam_sss.so try_cert_auth\n"})
    r = linux.check_sudo_pam(linux.LinuxGuest(fs, "/root"))
    # no sudo-i stack here (sudo -i uses sudo's): only sudo is named
    assert "add sudo to the service list at /etc/pam.d/sudo:1 (service in login:gdm:sudo)" in r.message()


def test_no_smart_card_module_on_an_sssd_stack_gets_the_sssd_fix(tmp_path):
    fs = _pam(tmp_path, {"sudo": "auth sufficient pam_unix.so\nauth sufficient pam_sss.so forward_pass\n"
                                 "auth required pam_deny.so\n"})
    r = linux.check_sudo_pam(linux.LinuxGuest(fs, "/root"))
    assert r.status is Status.FAILED
    assert "pam_sss.so try_cert_auth" in r.message() and "enable_smartcard" not in r.message()


# --- NSS through p11-kit ---------------------------------------------------------------------

def _p11kit_guest(tmp_path, *, opensc_module: bool = True, direct: bool = False) -> linux.LinuxGuest:
    root = tmp_path / "fedora"
    db = root / "home/jdoe/.pki/nssdb"
    nss.create_db(db)
    shutil.copyfile(DATA / "nss-p11-kit-proxy/pkcs11.txt", db / "pkcs11.txt")  # the real file
    for lib in ("usr/lib64/p11-kit-proxy.so", "usr/lib64/pkcs11/opensc-pkcs11.so"):
        (root / lib).parent.mkdir(parents=True, exist_ok=True)
        (root / lib).write_bytes(b"")
    if opensc_module:
        (root / "usr/share/p11-kit/modules").mkdir(parents=True)
        shutil.copyfile(DATA / "nss-p11-kit-proxy/opensc.module", root / "usr/share/p11-kit/modules/opensc.module")
    if direct:
        # the collection's file ends without the blank line NSS writes after an entry
        (db / "pkcs11.txt").write_text((db / "pkcs11.txt").read_text() + "\n")
        nss.rawadd_module(db, "OpenSC", "/usr/lib64/pkcs11/opensc-pkcs11.so")
    return linux.LinuxGuest(RootFS.at(root), "/home/jdoe", opensc_library="/usr/lib64/pkcs11/opensc-pkcs11.so")


@NEEDS_NSS
def test_real_p11kit_proxy_database_reaches_opensc(tmp_path):
    r = linux.check_chrome_nssdb(_p11kit_guest(tmp_path))
    assert r.status is Status.PASSED, r.findings
    assert "p11-kit-proxy" in r.evidence["opensc_reached_through"]
    assert "/usr/share/p11-kit/modules/opensc.module" in r.evidence["opensc_reached_through"]


@NEEDS_NSS
def test_opensc_registered_twice_is_a_warning_with_one_removal(tmp_path):
    r = linux.check_chrome_nssdb(_p11kit_guest(tmp_path, direct=True))
    assert r.status is Status.WARNING
    w = r.warnings()[0].render()
    assert "registered twice" in w and '-delete "OpenSC"' in w and "-add" not in w


@NEEDS_NSS
def test_proxy_without_an_opensc_module_file_fails_naming_p11kit(tmp_path):
    r = linux.check_chrome_nssdb(_p11kit_guest(tmp_path, opensc_module=False))
    assert r.status is Status.FAILED
    assert "p11-kit has no module file for OpenSC" in r.message()
    assert "/usr/share/p11-kit/modules/opensc.module" in r.message()


def test_p11kit_module_file_parsing_and_disable_in(tmp_path):
    from wscard.guest import p11kit

    kv = p11kit.parse_module_file((DATA / "nss-p11-kit-proxy/opensc.module").read_text())
    assert kv == {"module": "opensc-pkcs11.so"}
    root = tmp_path / "r"
    (root / "etc/pkcs11/modules").mkdir(parents=True)
    (root / "usr/share/p11-kit/modules").mkdir(parents=True)
    (root / "usr/lib64/pkcs11").mkdir(parents=True)
    (root / "usr/lib64/pkcs11/opensc-pkcs11.so").write_bytes(b"")
    shutil.copyfile(DATA / "nss-p11-kit-proxy/opensc.module", root / "usr/share/p11-kit/modules/opensc.module")
    (root / "etc/pkcs11/modules/opensc.module").write_text("module: opensc-pkcs11.so\ndisable-in: chrome\n")
    [cfg] = p11kit.module_configs(RootFS.at(root))  # the /etc file replaces the package's
    assert cfg.path == "/etc/pkcs11/modules/opensc.module" and cfg.library == "/usr/lib64/pkcs11/opensc-pkcs11.so"
    assert not cfg.loaded_in("chrome") and cfg.loaded_in("firefox")


def test_bare_library_names_are_found_like_the_dynamic_loader_does(tmp_path):
    root = tmp_path / "r"
    (root / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    (root / "usr/lib/x86_64-linux-gnu/p11-kit-proxy.so").write_bytes(b"")
    fs = RootFS.at(root)
    assert linux._module_problem(fs, nss.Module("p11-kit-proxy", "p11-kit-proxy.so")) is None
    assert "not in any library folder" in linux._module_problem(fs, nss.Module("x", "libx.so"))
    assert "not absolute" in linux._module_problem(fs, nss.Module("x", "lib/libx.so"))


# --- Firefox where distributions install it --------------------------------------------------

def test_real_snap_firefox_is_found_and_passes(tmp_path):
    root = copy_of(tmp_path, "firefox-snap")
    assert firefox.installations(RootFS.at(root)) == ["/snap/firefox/current/usr/lib/firefox"]
    r = linux.check_firefox_linux(linux.LinuxGuest(RootFS.at(root), "/home/jdoe"))
    assert r.status is Status.PASSED, (r.findings, r.skipped_because)
    [inst] = r.evidence["installations"]
    assert inst["kind"] == "snap" and inst["install"] == "/snap/firefox/current/usr/lib/firefox"
    assert inst["policy_file"] == "/etc/firefox/policies/policies.json"
    assert inst["profiles"] == "~/snap/firefox/common/.mozilla/firefox"
    # the snap's profiles.ini was read (its profile has not been started yet)
    assert list(r.evidence["profiles"]) == ["/home/jdoe/snap/firefox/common/.mozilla/firefox/abcd.default"]


@NEEDS_NSS
def test_snap_profiles_are_read_for_modules_loaded_by_hand(tmp_path):
    root = copy_of(tmp_path, "firefox-snap")
    (root / "etc/firefox/policies/policies.json").unlink()
    prof = root / "home/jdoe/snap/firefox/common/.mozilla/firefox/abcd.default"
    nss.create_db(prof)
    nss.rawadd_module(prof, "OpenSC", "/snap/firefox/current/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")
    r = linux.check_firefox_linux(linux.LinuxGuest(RootFS.at(root), "/home/jdoe"))
    assert r.status is Status.WARNING, r.findings
    w = r.warnings()[0].render()
    assert "loaded by hand in every Firefox profile" in w
    # the fix writes where the snap reads, naming the OpenSC the snap ships
    assert "add to /etc/firefox/policies/policies.json" in w
    assert '"OpenSC": "/snap/firefox/current/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"' in w


def test_snap_policy_naming_a_library_outside_the_snap_warns(tmp_path):
    root = copy_of(tmp_path, "firefox-snap")
    (root / "etc/firefox/policies/policies.json").write_text(json.dumps(
        {"policies": {"SecurityDevices": {"OpenSC": "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"}}}))
    r = linux.check_firefox_linux(linux.LinuxGuest(RootFS.at(root), "/home/jdoe"))
    assert r.status is Status.WARNING and "outside the snap" in r.warnings()[0].render()


def test_usr_bin_firefox_to_a_missing_snap_is_not_installed_saying_so(tmp_path):
    root = tmp_path / "ubuntu"
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/firefox").symlink_to("/snap/bin/firefox")
    r = linux.check_firefox_linux(linux.LinuxGuest(RootFS.at(root), "/home/u"))
    assert r.status is Status.SKIPPED
    assert "not installed" in r.skipped_because and "/snap/bin/firefox" in r.skipped_because


@pytest.mark.parametrize("install, profiles, policy", [
    ("/opt/firefox", ".mozilla/firefox", "/etc/firefox/policies/policies.json"),
    ("/var/lib/flatpak/app/org.mozilla.firefox/current/active/files/lib/firefox",
     ".var/app/org.mozilla.firefox/.mozilla/firefox",
     "/var/lib/flatpak/extension/org.mozilla.firefox.systemconfig/x86_64/stable/policies/policies.json"),
    ("/home/u/.local/share/flatpak/app/org.mozilla.firefox/current/active/files/lib/firefox",
     ".var/app/org.mozilla.firefox/.mozilla/firefox",
     "/var/lib/flatpak/extension/org.mozilla.firefox.systemconfig/x86_64/stable/policies/policies.json"),
])
def test_opt_and_flatpak_installations(tmp_path, install, profiles, policy):
    root = tmp_path / "g"
    (root / install.lstrip("/")).mkdir(parents=True)
    (root / install.lstrip("/") / "application.ini").write_text("[App]\nName=Firefox\n")
    files = install.rsplit("/lib/firefox", 1)[0]
    lib = "/app/lib/opensc-pkcs11.so" if "flatpak" in install else "/usr/lib64/opensc-pkcs11.so"
    host_lib = f"{files}/lib/opensc-pkcs11.so" if "flatpak" in install else lib
    (root / host_lib.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (root / host_lib.lstrip("/")).write_bytes(b"")
    (root / policy.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (root / policy.lstrip("/")).write_text(json.dumps({"policies": {"SecurityDevices": {"OpenSC": lib}}}))
    (root / "home/u").mkdir(parents=True, exist_ok=True)
    g = linux.LinuxGuest(RootFS.at(root), "/home/u")
    [lay] = firefox.layouts(g.fs, home="/home/u")
    assert lay.directory == install and lay.profiles == profiles
    r = linux.check_firefox_linux(g)
    assert r.status is Status.PASSED, r.findings
    assert r.evidence["installations"][0]["policy_file"] == policy


# --- the builder lays these out ------------------------------------------------------------

@pytest.fixture(scope="module")
def ca():
    from test_guest_linux import make_ca

    return make_ca("Realworld Layout Root CA")


@NEEDS_NSS
@pytest.mark.parametrize("layout, variant, requirement, status", [
    (build.Layout(pam="sssd"), "compliant", "SESSION-5", Status.PASSED),
    (build.Layout(pam="sssd"), "sudo-excluded", "SESSION-5", Status.FAILED),
    (build.Layout(firefox="snap"), "compliant", "SESSION-4", Status.PASSED),
    (build.Layout(firefox="snap"), "no-firefox-policy", "SESSION-4", Status.FAILED),
    (build.Layout(nss_modules="p11-kit"), "compliant", "SESSION-3", Status.PASSED),
    (build.Layout(nss_modules="p11-kit"), "module-not-registered", "SESSION-3", Status.FAILED),
    (build.Layout(nss_modules="p11-kit"), "wrong-library-path", "SESSION-3", Status.FAILED),
])
def test_built_layouts(tmp_path, ca, layout, variant, requirement, status):
    pem = ca.public_bytes(serialization.Encoding.PEM)
    built = build.build_linux(tmp_path / "t", variant, pem, layout=layout)
    guest = linux.LinuxGuest(RootFS.at(built.root), built.home)
    results = {r.requirement: r for r in (linux.check_chrome_nssdb(guest), linux.check_firefox_linux(guest),
                                          linux.check_sudo_pam(guest), linux.check_image_root_ca(guest, ca),
                                          linux.check_lock_screen_linux(guest))}
    assert results[requirement].status is status, (results[requirement].findings,
                                                   results[requirement].skipped_because)
    others = {rid: r.status for rid, r in results.items() if rid != requirement}
    assert set(others.values()) <= {Status.PASSED, Status.SKIPPED}, {k: results[k].findings for k in others}


@NEEDS_NSS
def test_built_sssd_excluded_matches_the_real_stack(tmp_path, ca):
    built = build.build_linux(tmp_path / "t", "sudo-excluded", None, layout=build.Layout(pam="sssd"))
    real = (DATA / "pam-sss-sudo-excluded/root/etc/pam.d/system-auth").read_text()
    ours = (built.root / "etc/authselect/system-auth").read_text()
    assert [ln for ln in ours.splitlines() if ln.startswith("auth")] == real.strip().splitlines()
    r = linux.check_sudo_pam(linux.LinuxGuest(RootFS.at(built.root), built.home))
    assert "written by authselect" in r.message()


# --- a card without a readable certificate is the card's finding, not the browsers' ----------

def test_no_certificate_on_the_token_skips_the_browser_smoke_test(tmp_path, monkeypatch):
    from wscard.guest import card, world

    proc = world.Procedure(tmp_path, "/usr/lib/opensc-pkcs11.so", RootFS.at(tmp_path))
    proc.output = "Certificate Nickname    Trust Attributes\n                        SSL,S/MIME,JAR/XPI\n"
    monkeypatch.setattr(card, "token_certificate_count", lambda lib: 0)
    r = proc.card_certificates_result()
    assert r.status is Status.SKIPPED and "see UC-5" in r.skipped_because
    monkeypatch.setattr(card, "token_certificate_count", lambda lib: 1)
    assert proc.card_certificates_result().status is Status.FAILED  # OpenSC has one, NSS shows none
    proc.output += "PIV_II:Certificate for PIV Authentication               u,u,u\n"
    assert proc.card_certificates_result().status is Status.PASSED


def test_sssd_conf_d_snippets_are_merged_over_sssd_conf(tmp_path):
    fs = _let_sudo_in(copy_of(tmp_path, "pam-sss-sudo-excluded", "root"), "[pam]\npam_cert_auth = False\n")
    (tmp_path / "pam-sss-sudo-excluded/etc/sssd/conf.d").mkdir()
    (tmp_path / "pam-sss-sudo-excluded/etc/sssd/conf.d/50-smartcard.conf").write_text("[pam]\npam_cert_auth = True\n")
    assert linux.check_sudo_pam(linux.LinuxGuest(fs, "/home/jdoe")).status is Status.PASSED


def test_p11kit_user_modules_merge_over_the_system_ones(tmp_path):
    from wscard.guest import p11kit

    root = tmp_path / "r"
    (root / "usr/share/p11-kit/modules").mkdir(parents=True)
    (root / "usr/lib64/pkcs11").mkdir(parents=True)
    (root / "usr/lib64/pkcs11/opensc-pkcs11.so").write_bytes(b"")
    shutil.copyfile(DATA / "nss-p11-kit-proxy/opensc.module", root / "usr/share/p11-kit/modules/opensc.module")
    user = root / "home/u/.config/pkcs11/modules"
    user.mkdir(parents=True)
    (user / "opensc.module").write_text("disable-in: chrome # a comment after a value is part of it\n")
    fs = RootFS.at(root)
    [cfg] = p11kit.module_configs(fs, "/home/u")
    assert cfg.module == "opensc-pkcs11.so" and cfg.path == "/home/u/.config/pkcs11/modules/opensc.module"
    assert not cfg.loaded_in("chrome")
    (root / "etc/pkcs11").mkdir(parents=True)
    (root / "etc/pkcs11/pkcs11.conf").write_text("user-config: none\n")
    [cfg] = p11kit.module_configs(fs, "/home/u")
    assert cfg.path == "/usr/share/p11-kit/modules/opensc.module" and cfg.loaded_in("chrome")
