"""In-session checks for Linux WorkSpaces (SESSION-3..SESSION-7), read from a root path.

Each check returns a :class:`~wscard.checks.CheckResult`; none changes the guest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ..checks import CheckResult
from . import firefox, lockscreen, nss, opensc, pam
from .rootfs import RootFS

ENABLE_SMARTCARD = "/usr/lib/skylight/enable_smartcard --ca-cert <root CA PEM>"


@dataclass
class LinuxGuest:
    """What the Linux checks need to know about the guest."""

    fs: RootFS
    #: guest path of the user's home directory
    home: str
    #: the OpenSC library path to recommend (guest path)
    opensc_library: str = opensc.DOCUMENTED
    #: guest path of the image's NSS database (SESSION-6)
    image_nssdb: str = "/etc/pki/nssdb"
    firefox_dirs: tuple[str, ...] = ()
    sudo_services: tuple[str, ...] = ("sudo", "sudo-i")
    notes: list[str] = field(default_factory=list)

    @property
    def user_nssdb(self) -> str:
        return f"{self.home.rstrip('/')}/.pki/nssdb"

    def library_to_recommend(self) -> str:
        return opensc.find(self.fs, self.opensc_library) or self.opensc_library


def _is_opensc(mod: nss.Module) -> bool:
    return (not mod.internal) and (opensc.is_opensc_library(mod.library) or mod.name.strip().lower() == "opensc")


def _module_problem(fs: RootFS, mod: nss.Module) -> str | None:
    if not mod.library.startswith("/"):
        return f"its library path {mod.library!r} is not absolute (NSS resolves it against the browser's working folder)"
    if not fs.is_file(mod.library):
        return f"its library {mod.library} does not exist in the guest"
    if mod.status is not None and mod.status.lower() != "loaded":
        return f"NSS cannot load its library {mod.library} (modutil -list: status {mod.status})"
    return None


def _modules_evidence(mods: list[nss.Module]) -> list[dict]:
    return [{"name": m.name, "library": m.library, "status": m.status} for m in mods if not m.internal]


# --- SESSION-3 ------------------------------------------------------------------------

def check_chrome_nssdb(guest: LinuxGuest) -> CheckResult:
    """Chrome on Linux: OpenSC is registered in ``~/.pki/nssdb`` with a library that exists."""
    res = CheckResult("SESSION-3", "Chrome on Linux: the OpenSC module is in the user's NSS database")
    fs = guest.fs
    db_guest = guest.user_nssdb
    db = fs.host_path(db_guest)
    lib = guest.library_to_recommend()
    cmd = nss.documented_add_command(lib)
    res.evidence.update({"nssdb": db_guest, "documented_command": cmd})
    state = nss.db_state(db)
    res.evidence["format"] = state.value
    if state in (nss.DbState.MISSING, nss.DbState.EMPTY):
        res.fail(
            f"{db_guest}",
            "there is no NSS database, so Chrome has no OpenSC module "
            "(Chrome creates the database when it first starts; the user guide's modutil command "
            "fails with SEC_ERROR_BAD_DATABASE until then).",
            f"start Chrome once and close it (or create the database: mkdir -p ~/.pki/nssdb && "
            f"certutil -d sql:$HOME/.pki/nssdb -N --empty-password), then run: {cmd}",
        )
        return res
    if state is nss.DbState.LEGACY:
        res.fail(
            db_guest,
            "the database is in the legacy dbm format (cert8.db/secmod.db); Chrome reads the sql: format.",
            f"move the old files aside, start Chrome once, then run: {cmd}",
        )
        return res
    try:
        nss.list_certs(db)  # opens cert9.db and key4.db as Chrome does: damaged or locked?
        mods = nss.list_modules(db, load=fs.is_live)
    except nss.NssDbError as exc:
        res.fail(db_guest, f"{exc.detail}; Chrome cannot use it either.",
                 f"move the database aside, start Chrome once, then run: {cmd}")
        return res
    res.evidence["modules"] = _modules_evidence(mods)
    candidates = [m for m in mods if _is_opensc(m)]
    if not candidates:
        others = ", ".join(f"{m.name} ({m.library})" for m in mods if not m.internal) or "none"
        res.fail(
            db_guest,
            f"no OpenSC module is registered (other modules: {others}).",
            f"close Chrome and run: {cmd}  (it answers: {nss.ADDED_MESSAGE.format(name='OpenSC')})",
        )
        return res
    problems = {m.name: _module_problem(fs, m) for m in candidates}
    good = [m for m in candidates if problems[m.name] is None]
    for m in candidates:
        if problems[m.name] and good:
            res.warn(f'module "{m.name}" in {db_guest}', f"{problems[m.name]} (another OpenSC module works).",
                     f'modutil -dbdir sql:.pki/nssdb/ -delete "{m.name}"')
    if not good:
        m = candidates[0]
        res.fail(
            f'module "{m.name}" in {db_guest}',
            f"the OpenSC module is registered but {problems[m.name]}.",
            f'close Chrome, remove it (cd; modutil -dbdir sql:.pki/nssdb/ -delete "{m.name}") and run: {cmd}',
        )
    return res


# --- SESSION-4 ------------------------------------------------------------------------

def check_firefox_linux(guest: LinuxGuest) -> CheckResult:
    """Firefox on Linux: OpenSC loaded by a SecurityDevices policy or in the profile."""
    res = CheckResult("SESSION-4", "Firefox on Linux: the OpenSC module is loaded as a security device")
    fs = guest.fs
    installs = firefox.effective_policies(fs, guest.firefox_dirs)
    if not installs:
        return res.skip(
            "Firefox is not installed in the guest (no installation folder among "
            + ", ".join((*guest.firefox_dirs, *firefox.INSTALL_DIRS)) + ")"
        )
    lib = guest.library_to_recommend()
    # profiles: modules loaded by hand
    profiles: dict[str, str | None] = {}  # profile -> problem (None: has OpenSC)
    for pdir in firefox.profile_dirs(fs, guest.home):
        host = fs.host_path(pdir)
        if nss.db_state(host) is not nss.DbState.SQL:
            profiles[pdir] = "no sql: NSS database (Firefox has not run with this profile yet)"
            continue
        try:
            mods = nss.list_modules(host, load=fs.is_live)
        except nss.NssDbError as exc:
            profiles[pdir] = exc.detail
            continue
        cands = [m for m in mods if _is_opensc(m)]
        probs = [p for p in (_module_problem(fs, m) for m in cands)]
        if not cands:
            profiles[pdir] = "no OpenSC security device"
        elif all(probs):
            profiles[pdir] = f"OpenSC is loaded but {probs[0]}"
        else:
            profiles[pdir] = None
    res.evidence["profiles"] = {k: (v or "OpenSC loaded") for k, v in profiles.items()}
    by_hand = bool(profiles) and all(v is None for v in profiles.values())
    installs_ev = []
    for inst in installs:
        pol = inst.policy
        installs_ev.append({"install": inst.directory, "policy_file": pol.path if pol else None,
                            "devices": pol.devices if pol else {}, "error": pol.error if pol else ""})
        problem, fix = _firefox_policy_problem(fs, inst, lib)
        if problem is None:
            continue
        subject = f"Firefox in {inst.directory}"
        policy_fix = (
            f"add to {inst.policy.path if inst.policy else inst.directory + '/distribution/policies.json'} "
            f'{{"policies": {{"SecurityDevices": {{"OpenSC": "{lib}"}}}}}} (the administration guide\'s policy; '
            f"Firefox reads {firefox.SYSTEM_POLICY} instead when that file exists)"
        )
        if by_hand:
            res.warn(subject, f"{problem}; OpenSC is loaded by hand in every Firefox profile of the user, "
                              "but new profiles will not have it.", fix or policy_fix)
            continue
        hand = ""
        if profiles:
            hand = " and it is not loaded by hand in every profile (" + "; ".join(
                f"{k}: {v}" for k, v in profiles.items() if v) + ")"
        res.fail(subject, f"OpenSC is not loaded as a security device: {problem}{hand}.", fix or policy_fix)
    res.evidence["installations"] = installs_ev
    return res


def _firefox_policy_problem(fs: RootFS, inst: firefox.Install, lib: str) -> tuple[str | None, str]:
    """What is wrong with the policy this Firefox reads (None: it loads OpenSC), and the
    specific fix when there is one."""
    pol = inst.policy
    if pol is None:
        return (f"no policies.json ({firefox.SYSTEM_POLICY} and {inst.directory}/distribution/policies.json "
                "do not exist)"), ""
    if pol.error:
        return f"{pol.path} is {pol.error}", ""
    devs = {n: p for n, p in pol.devices.items() if opensc.is_opensc_library(p) or n.lower() == "opensc"}
    if not devs:
        shadow = ""
        if pol.path == firefox.SYSTEM_POLICY:
            dist = firefox.read_policy(fs, f"{inst.directory}/distribution/policies.json")
            if dist is not None and dist.devices:
                shadow = (f" ({inst.directory}/distribution/policies.json has SecurityDevices, but Firefox reads "
                          f"only {firefox.SYSTEM_POLICY} when that exists)")
        return f"{pol.path} has no SecurityDevices entry for OpenSC{shadow}", ""
    if any(p.startswith("/") and fs.is_file(p) for p in devs.values()):
        return None, ""
    n, p = next(iter(devs.items()))
    return (f'{pol.path}: SecurityDevices "{n}" names {p}, which does not exist in the guest',
            f'point "{n}" at {lib} in {pol.path}')


# --- SESSION-5 ------------------------------------------------------------------------

def check_sudo_pam(guest: LinuxGuest) -> CheckResult:
    """sudo and sudo -i can authenticate with the card: pam_pkcs11 is reached for them."""
    res = CheckResult("SESSION-5", "sudo and sudo -i accept the smart card (pam_pkcs11, service not excluded)")
    fs = guest.fs
    ev = {}
    for service in guest.sudo_services:
        path = f"{pam.PAM_DIR}/{service}"
        if not fs.is_file(path):
            if service != "sudo":
                ev[service] = "no PAM file: sudo -i uses the sudo service's stack"
                continue
            res.fail(path, "sudo has no PAM configuration (is sudo installed?).", "install sudo")
            continue
        reach = pam.smartcard_reach(fs, service)
        ev[service] = {
            "files": reach.stack.files,
            "smart card lines": [ln.render() for ln in reach.smartcard_lines],
            "reached": reach.reached,
            "skipped by": [ln.render() for ln in reach.skipped_by],
        }
        for prob in reach.stack.problems:
            res.warn(f"PAM stack of {service}", prob)
        if not reach.smartcard_lines:
            res.fail(
                f"PAM stack of {service} ({', '.join(reach.stack.files)})",
                "pam_pkcs11.so is not in the auth stack: sudo cannot use the smart card.",
                f"enable smart cards in the image ({ENABLE_SMARTCARD}), which installs pam_pkcs11",
            )
        elif not reach.reached:
            culprit = reach.skipped_by[0].render() if reach.skipped_by else "the lines above it"
            res.fail(
                f"PAM stack of {service}",
                f"the service {service} is excluded from smart card authentication: {culprit} "
                "skips pam_pkcs11.so for it.",
                f"add {service} to that pam_succeed_if.so service list (or comment the line out again) in "
                "/etc/pam.d/system-auth, as the WorkSpaces administration guide describes",
            )
    if not fs.is_file("/etc/pam_pkcs11/pam_pkcs11.conf") and not res.failures():
        res.warn("/etc/pam_pkcs11/pam_pkcs11.conf", "pam_pkcs11 has no configuration file.",
                 f"run {ENABLE_SMARTCARD}")
    res.evidence["services"] = ev
    return res


# --- SESSION-6 ------------------------------------------------------------------------

def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_image_root_ca(guest: LinuxGuest, expected: x509.Certificate | None) -> CheckResult:
    """The root CA the directory trusts is in the image's NSS database, trusted as a CA."""
    res = CheckResult("SESSION-6", "the root CA is in the image's NSS database")
    if expected is None:
        return res.skip("the expected root CA is unknown: set [guest].root_ca, or configure the PKI")
    subject = expected.subject.rfc4514_string()
    res.evidence.update({"expected": subject, "expected_sha256": _fingerprint(expected), "nssdb": guest.image_nssdb})
    db = guest.fs.host_path(guest.image_nssdb)
    state = nss.db_state(db)
    if state in (nss.DbState.MISSING, nss.DbState.EMPTY):
        res.fail(guest.image_nssdb, "there is no NSS database, so the root CA is not in it.",
                 f"import the root CA: {ENABLE_SMARTCARD}")
        return res
    try:
        entries = nss.list_certs(db)
        found = []
        lookalikes = []
        for entry in entries:
            for cert in nss.export_certs(db, entry.nickname):
                same = cert.public_bytes(serialization.Encoding.DER) == expected.public_bytes(serialization.Encoding.DER)
                same_key = cert.subject == expected.subject and _spki(cert) == _spki(expected)
                if same or same_key:
                    found.append((entry, cert))
                elif cert.subject == expected.subject:
                    lookalikes.append((entry, cert))
    except nss.NssDbError as exc:
        res.fail(guest.image_nssdb, f"{exc.detail}; pam_pkcs11 cannot read it either.",
                 f"rebuild the database and import the root CA ({ENABLE_SMARTCARD})")
        return res
    res.evidence["certificates"] = [{"nickname": e.nickname, "trust": e.trust} for e in entries]
    if not found:
        extra = ""
        if lookalikes:
            e, c = lookalikes[0]
            extra = (f" A certificate with the same name is there (\"{e.nickname}\", SHA-256 {_fingerprint(c)}), "
                     "but with another key: it is not the CA registered on the directory.")
        res.fail(f"root CA {subject}", f"is not in {guest.image_nssdb} ({len(entries)} certificates there).{extra}",
                 f"import the PEM of the CA registered on the directory: {ENABLE_SMARTCARD}")
        return res
    trusted = [e for e, _ in found if e.is_trusted_ca]
    if not trusted:
        e = found[0][0]
        res.fail(f'root CA "{e.nickname}" in {guest.image_nssdb}',
                 f"is present but not trusted as a CA (trust flags \"{e.trust}\").",
                 f'certutil -M -d sql:{guest.image_nssdb} -n "{e.nickname}" -t "CT,C,C"')
    elif not any("T" in e.ssl_trust for e in trusted):
        e = trusted[0]
        res.warn(f'root CA "{e.nickname}" in {guest.image_nssdb}',
                 f"is trusted (\"{e.trust}\") but not for issuing client certificates (no T in the SSL flags).",
                 f'certutil -M -d sql:{guest.image_nssdb} -n "{e.nickname}" -t "CT,C,C"')
    return res


# --- SESSION-7 (Linux) ------------------------------------------------------------------

def check_lock_screen_linux(guest: LinuxGuest) -> CheckResult:
    """The lock screen is disabled (a card cannot unlock it)."""
    res = CheckResult("SESSION-7", "Linux: the lock screen is disabled")
    fs = guest.fs
    states = [lockscreen.probe(fs, s, k) for s, k in lockscreen.LOCK_KEYS]
    installed = [s for s in states if s.installed or s.overrides or s.dconf]
    res.evidence["lock settings"] = [
        {"schema": s.schema, "installed": s.installed, "compiled_default": s.compiled,
         "overrides": s.overrides, "not_compiled": s.override_newer_than_compiled,
         "dconf": s.dconf, "session": s.session_value} for s in states]
    if not installed:
        return res.skip("neither the MATE nor the GNOME screen saver is installed in the guest: nothing to judge")
    for st in installed:
        fix = (f"create {lockscreen.OVERRIDE_FILE} with \"[{st.schema}]\" / \"{st.key}=false\" (the last override "
               f"file read wins), then run sudo glib-compile-schemas {lockscreen.SCHEMA_DIR}/")
        if st.dconf and st.dconf[-1][1]:
            fix += f"; and remove {st.key}=true from {st.dconf[-1][0]} (then dconf update)"
        subject = f"{st.schema} {st.key}"
        enabled = st.effective
        if enabled is None:
            # no gsettings answer: judge from the override files alone
            if st.overrides and not st.overrides[-1][1] and not st.override_newer_than_compiled:
                continue
            enabled = True
        if not enabled:
            continue
        why = []
        if st.session_value is True:
            why.append("gsettings reports it enabled for this user")
        if st.dconf and st.dconf[-1][1]:
            why.append(f"the dconf key file {st.dconf[-1][0]} sets it to true")
        if not st.overrides:
            why.append("no schema override sets it to false")
        elif st.overrides[-1][1]:
            why.append(f"the override {st.overrides[-1][0]} (the last one read) sets it to true")
        elif st.override_newer_than_compiled:
            why.append(f"{', '.join(st.override_newer_than_compiled)} was not compiled (gschemas.compiled is older)")
        res.fail(subject, "the screen locks, and a smart card cannot unlock it: " + "; ".join(why or ["enabled"]) + ".",
                 fix)
    return res
