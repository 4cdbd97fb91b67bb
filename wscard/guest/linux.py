"""In-session checks for Linux WorkSpaces (SESSION-3..SESSION-7), read from a root path.

Each check returns a :class:`~wscard.checks.CheckResult`; none changes the guest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ..checks import CheckResult
from . import firefox, lockscreen, nss, opensc, p11kit, pam
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


#: Folders the dynamic loader searches for a library named without a folder
#: (``p11-kit-proxy.so``, as Fedora's NSS configuration writes it).
LOADER_DIRS = ("/lib64", "/usr/lib64", "/lib", "/usr/lib")
LOADER_GLOBS = ("usr/lib/*-linux-gnu", "lib/*-linux-gnu")


def _resolve_library(fs: RootFS, library: str) -> str:
    """The guest file NSS loads for a module's library ("" when none). A bare file name is
    searched like the dynamic loader does (dlopen); a relative path with a folder is
    resolved against the browser's working folder, so it never counts."""
    if library.startswith("/"):
        return library if fs.is_file(library) else ""
    if "/" in library:
        return ""
    dirs = list(LOADER_DIRS) + [fs.guest_path(p) for g in LOADER_GLOBS for p in sorted(fs.root.glob(g))]
    for d in dirs:
        if fs.is_file(f"{d}/{library}"):
            return f"{d}/{library}"
    return ""


def _module_problem(fs: RootFS, mod: nss.Module) -> str | None:
    if not mod.library.startswith("/") and "/" in mod.library:
        return f"its library path {mod.library!r} is not absolute (NSS resolves it against the browser's working folder)"
    if not _resolve_library(fs, mod.library):
        where = "does not exist in the guest" if mod.library.startswith("/") else \
            "is not in any library folder of the guest (the dynamic loader cannot find it)"
        return f"its library {mod.library} {where}"
    if mod.status is not None and mod.status.lower() != "loaded":
        return f"NSS cannot load its library {mod.library} (modutil -list: status {mod.status})"
    return None


@dataclass
class OpenscReach:
    """How an NSS database reaches OpenSC: registered directly, and/or through
    p11-kit-proxy and a p11-kit module file for OpenSC."""

    direct: list[nss.Module] = field(default_factory=list)
    #: (the proxy module, the p11-kit module files for OpenSC that the proxy loads)
    via_p11kit: list[tuple[nss.Module, list[p11kit.ModuleConfig]]] = field(default_factory=list)
    problems: dict[str, str | None] = field(default_factory=dict)
    #: p11-kit module files for OpenSC that the proxy would load but that are broken
    p11kit_problems: list[str] = field(default_factory=list)

    @property
    def working_direct(self) -> list[nss.Module]:
        return [m for m in self.direct if self.problems.get(m.name) is None]

    @property
    def working(self) -> bool:
        return bool(self.working_direct or self.via_p11kit)

    @property
    def first_problem(self) -> str:
        probs = [p for p in self.problems.values() if p] + self.p11kit_problems
        return probs[0] if probs else ""

    def summary(self) -> dict:
        return {"direct": [m.name for m in self.direct],
                "via_p11_kit": [{"proxy": m.name, "library": m.library, "p11_kit_modules": [c.summary() for c in cs]}
                                for m, cs in self.via_p11kit],
                "problems": {k: v for k, v in self.problems.items() if v} | (
                    {"p11-kit": self.p11kit_problems} if self.p11kit_problems else {})}


def _opensc_modules(fs: RootFS, mods: list[nss.Module], program: str = "chrome", home: str = "") -> OpenscReach:
    """OpenSC as an NSS database reaches it: the modules registered for it directly, and
    p11-kit-proxy with p11-kit's module files for OpenSC (those loaded in ``program``)."""
    out = OpenscReach()
    out.direct = [m for m in mods if _is_opensc(m)]
    out.problems = {m.name: _module_problem(fs, m) for m in out.direct}
    proxies = [m for m in mods if not m.internal and p11kit.is_proxy(m.library)]
    if proxies:
        configs = [c for c in p11kit.module_configs(fs, home)
                   if opensc.is_opensc_library(c.module) or c.name.lower().startswith("opensc")]
        good = []
        if not configs:
            out.p11kit_problems.append(
                f'"{proxies[0].name}" ({proxies[0].library}) is registered, but p11-kit has no module file for OpenSC '
                f"(in {' or '.join(p11kit.MODULE_CONFIG_DIRS)}), so the proxy loads no OpenSC")
        for c in configs:
            if not c.library:
                out.p11kit_problems.append(f"p11-kit's {c.path} names {c.module}, which is not in p11-kit's module "
                                           f"folder ({', '.join(p11kit.module_dirs(fs))})")
            elif not c.loaded_in(program):
                out.p11kit_problems.append(f"p11-kit's {c.path} does not load OpenSC in {program} "
                                           f"(enable-in: {' '.join(c.enable_in) or '-'}, disable-in: "
                                           f"{' '.join(c.disable_in) or '-'})")
            else:
                good.append(c)
        for proxy in proxies:
            problem = _module_problem(fs, proxy)
            if problem:
                out.p11kit_problems.append(f'module "{proxy.name}": {problem}')
            elif good:
                out.via_p11kit.append((proxy, good))
    return out


def _modules_evidence(mods: list[nss.Module]) -> list[dict]:
    return [{"name": m.name, "library": m.library, "status": m.status} for m in mods if not m.internal]


# --- SESSION-3 ------------------------------------------------------------------------

def check_chrome_nssdb(guest: LinuxGuest) -> CheckResult:
    """Chrome on Linux: OpenSC is registered in ``~/.pki/nssdb`` with a library that exists."""
    res = CheckResult("SESSION-3")
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
    reach = _opensc_modules(fs, mods, "chrome", guest.home)
    res.evidence["opensc"] = reach.summary()
    candidates = reach.direct
    if not candidates and reach.via_p11kit:
        # NSS loads p11-kit-proxy, which loads OpenSC: Chrome reaches the card (the
        # documented modutil command would register OpenSC a second time)
        proxy, configs = reach.via_p11kit[0]
        res.evidence["opensc_reached_through"] = (f'module "{proxy.name}" ({proxy.library}) and p11-kit\'s '
                                                  f"{configs[0].path} ({configs[0].library})")
        return res
    if not candidates:
        others = ", ".join(f"{m.name} ({m.library})" for m in mods if not m.internal) or "none"
        why = f" {'; '.join(reach.p11kit_problems)}." if reach.p11kit_problems else ""
        fix = f"close Chrome and run: {cmd}  (it answers: {nss.ADDED_MESSAGE.format(name='OpenSC')})"
        if reach.p11kit_problems:
            fix = ("NSS loads p11-kit here: give p11-kit a working OpenSC module file (the opensc package installs "
                   "/usr/share/p11-kit/modules/opensc.module, 'module: opensc-pkcs11.so'), or " + fix)
        res.fail(db_guest, f"no OpenSC module is registered (other modules: {others}).{why}", fix)
        return res
    problems = reach.problems
    good = reach.working_direct
    for m in candidates:
        if problems[m.name] and (good or reach.via_p11kit):
            res.warn(f'module "{m.name}" in {db_guest}', f"{problems[m.name]} (OpenSC is reached another way).",
                     f'modutil -dbdir sql:.pki/nssdb/ -delete "{m.name}"')
    if good and reach.via_p11kit:
        proxy, configs = reach.via_p11kit[0]
        m = good[0]
        res.warn(f'module "{m.name}" in {db_guest}',
                 f'OpenSC is registered twice: directly, and through "{proxy.name}" ({proxy.library}), which loads '
                 f"it by p11-kit's {configs[0].path}; the card shows up twice (two tokens, each certificate twice).",
                 f'keep one: close Chrome and run cd; modutil -dbdir sql:.pki/nssdb/ -delete "{m.name}"')
    if not good and not reach.via_p11kit:
        m = candidates[0]
        res.fail(
            f'module "{m.name}" in {db_guest}',
            f"the OpenSC module is registered but {problems[m.name]}.",
            f'close Chrome, remove it (cd; modutil -dbdir sql:.pki/nssdb/ -delete "{m.name}") and run: {cmd}',
        )
    return res


# --- SESSION-4 ------------------------------------------------------------------------

def _firefox_library(fs: RootFS, lay: firefox.Layout, default: str) -> str:
    """The OpenSC library to name in a fix for this installation: for a snap, the OpenSC
    the snap ships (a confined snap does not see the guest's /usr/lib); else ``default``."""
    if lay.kind == "snap":
        snap_root = lay.directory.rsplit("/usr/lib/firefox", 1)[0]
        host_root = fs.host_path(snap_root)
        for pattern in opensc.MULTIARCH_GLOBS:
            hits = sorted(host_root.glob(pattern))
            if hits:  # named through /snap/firefox/current, as the snap's own files are
                return f"{snap_root}/{hits[0].relative_to(host_root).as_posix()}"
    return default


def _library_exists(fs: RootFS, lay: firefox.Layout, path: str) -> bool:
    if lay.library_root and path.startswith("/app/"):
        return fs.is_file(f"{lay.library_root}/{path[len('/app/'):]}")
    return path.startswith("/") and fs.is_file(path)


def check_firefox_linux(guest: LinuxGuest) -> CheckResult:
    """Firefox on Linux: OpenSC loaded by a SecurityDevices policy or in the profile, for
    every Firefox installed (packages, /opt, snap, flatpak), each read where it keeps its
    policies and profiles."""
    res = CheckResult("SESSION-4")
    fs = guest.fs
    installs = firefox.effective_policies(fs, guest.firefox_dirs, guest.home)
    if not installs:
        looked = ", ".join((*guest.firefox_dirs, *firefox.PACKAGE_DIRS, firefox.SNAP_DIR,
                            f"{firefox.FLATPAK_SYSTEM}/lib/firefox", f"~/{firefox.FLATPAK_USER}/lib/firefox"))
        ref = firefox.snap_reference(fs)
        extra = f"; {ref}, but the snap is not installed" if ref else ""
        return res.skip(f"Firefox is not installed in the guest (no installation folder among {looked}){extra}")
    default_lib = guest.library_to_recommend()
    profiles_ev: dict[str, str] = {}
    installs_ev = []
    for inst in installs:
        lay = inst.layout or firefox._package(inst.directory)
        lib = _firefox_library(fs, lay, default_lib)
        # profiles of this installation: modules loaded by hand
        profiles: dict[str, str | None] = {}  # profile -> problem (None: has OpenSC)
        for pdir in firefox.profile_dirs(fs, guest.home, lay.profiles):
            host = fs.host_path(pdir)
            if nss.db_state(host) is not nss.DbState.SQL:
                profiles[pdir] = "no sql: NSS database (Firefox has not run with this profile yet)"
                continue
            try:
                mods = nss.list_modules(host, load=fs.is_live)
            except nss.NssDbError as exc:
                profiles[pdir] = exc.detail
                continue
            found = _opensc_modules(fs, mods, "firefox", guest.home)
            if not found.direct and not found.via_p11kit:
                profiles[pdir] = "no OpenSC security device"
            elif not found.working:
                profiles[pdir] = f"OpenSC is loaded but {found.first_problem}"
            else:
                profiles[pdir] = None
        profiles_ev.update({k: (v or "OpenSC loaded") for k, v in profiles.items()})
        by_hand = bool(profiles) and all(v is None for v in profiles.values())
        pol = inst.policy
        installs_ev.append({"install": inst.directory, "kind": lay.kind, "policy_file": pol.path if pol else None,
                            "policy_files_read_in_order": list(lay.policy_files),
                            "profiles": f"~/{lay.profiles}",
                            "devices": pol.devices if pol else {}, "error": pol.error if pol else ""})
        problem, fix = _firefox_policy_problem(fs, inst, lay, lib)
        if problem is None:
            _snap_library_note(res, fs, inst, lay, lib)
            continue
        subject = lay.label
        target = pol.path if pol is not None and pol.path == lay.writable_policy else lay.writable_policy
        policy_fix = f'add to {target} {{"policies": {{"SecurityDevices": {{"OpenSC": "{lib}"}}}}}}'
        if lay.kind == "package":
            policy_fix += (" (the administration guide's policy; Firefox reads "
                           f"{firefox.SYSTEM_POLICY} instead when that file exists)")
        elif lay.kind == "snap":
            policy_fix += (f" ({lay.directory} is part of the read-only snap; the snap reads "
                           f"{firefox.SYSTEM_POLICY})")
        if by_hand:
            res.warn(subject, f"{problem}; OpenSC is loaded by hand in every Firefox profile of the user, "
                              "but new profiles will not have it.", fix or policy_fix)
            continue
        hand = ""
        if profiles:
            hand = " and it is not loaded by hand in every profile (" + "; ".join(
                f"{k}: {v}" for k, v in profiles.items() if v) + ")"
        res.fail(subject, f"OpenSC is not loaded as a security device: {problem}{hand}.", fix or policy_fix)
    res.evidence["profiles"] = profiles_ev
    res.evidence["installations"] = installs_ev
    return res


def _snap_library_note(res: CheckResult, fs: RootFS, inst: firefox.Install, lay: firefox.Layout, lib: str) -> None:
    """A snap whose policy names a library outside the snap: the confined snap may not see
    it (a warning, since the library exists in the guest)."""
    if lay.kind != "snap" or inst.policy is None:
        return
    outside = {n: p for n, p in inst.policy.devices.items()
               if (opensc.is_opensc_library(p) or n.lower() == "opensc") and not p.startswith("/snap/")}
    inside = [p for p in inst.policy.devices.values() if p.startswith("/snap/") and opensc.is_opensc_library(p)]
    if outside and not inside:
        n, p = next(iter(outside.items()))
        res.warn(lay.label, f'{inst.policy.path}: SecurityDevices "{n}" names {p}, outside the snap; Firefox runs '
                            "confined as a snap and may not be able to load a library of the guest's /usr",
                 f'point "{n}" at the OpenSC the snap ships ({lib})')


def _firefox_policy_problem(fs: RootFS, inst: firefox.Install, lay: firefox.Layout,
                            lib: str) -> tuple[str | None, str]:
    """What is wrong with the policy this Firefox reads (None: it loads OpenSC), and the
    specific fix when there is one."""
    pol = inst.policy
    if pol is None:
        return f"no policies.json ({' and '.join(lay.policy_files)} do not exist)", ""
    if pol.error:
        return f"{pol.path} is {pol.error}", ""
    devs = {n: p for n, p in pol.devices.items() if opensc.is_opensc_library(p) or n.lower() == "opensc"}
    if not devs:
        shadow = ""
        later = lay.policy_files[lay.policy_files.index(pol.path) + 1:] if pol.path in lay.policy_files else ()
        for other in later:
            dist = firefox.read_policy(fs, other)
            if dist is not None and dist.devices:
                shadow = (f" ({other} has SecurityDevices, but Firefox reads only {pol.path} when that exists)")
                break
        return f"{pol.path} has no SecurityDevices entry for OpenSC{shadow}", ""
    if any(_library_exists(fs, lay, p) for p in devs.values()):
        return None, ""
    n, p = next(iter(devs.items()))
    return (f'{pol.path}: SecurityDevices "{n}" names {p}, which does not exist in the guest',
            f'point "{n}" at {lib} in {pol.path}')


# --- SESSION-5 ------------------------------------------------------------------------

AUTHSELECT_DIR = "/etc/authselect"


#: The PAM files authselect writes (links from /etc/pam.d into /etc/authselect).
AUTHSELECT_FILES = ("system-auth", "password-auth", "smartcard-auth", "fingerprint-auth", "postlogin")


def _authselect_managed(fs: RootFS, path: str) -> bool:
    """Is this PAM file written by authselect (a link into /etc/authselect, or one of its
    files on a system with an authselect configuration)?"""
    link = fs.root / path.lstrip("/")
    try:
        if link.is_symlink() and AUTHSELECT_DIR in os.readlink(link):
            return True
    except OSError:
        return False
    return (fs.is_file(f"{AUTHSELECT_DIR}/authselect.conf") and path.startswith(pam.PAM_DIR)
            and path.rsplit("/", 1)[-1] in AUTHSELECT_FILES)


def _no_smartcard_fix(fs: RootFS, reach: pam.Reach) -> str:
    """The fix for a stack with no smart card line, fitted to the stack found."""
    sss = [ln for ln in reach.stack.lines if ln.module_name == "pam_sss.so"]
    if sss:
        ln = sss[0]
        how = ("authselect enable-feature with-smartcard (then set [pam] pam_cert_auth = True in "
               f"{pam.SSSD_CONF})") if _authselect_managed(fs, ln.file) else \
            f"add a line 'auth [success=done ignore=ignore default=die] pam_sss.so try_cert_auth' above {ln.where}"
        return f"this stack authenticates through pam_sss ({ln.where}): enable its certificate authentication: {how}"
    if fs.is_file("/etc/pam_pkcs11/pam_pkcs11.conf") or fs.is_dir("/usr/lib/skylight"):
        return f"enable smart cards in the image ({ENABLE_SMARTCARD}), which installs pam_pkcs11"
    return (f"add a smart card module to the auth stack: pam_pkcs11.so (Amazon Linux 2 WorkSpaces: "
            f"{ENABLE_SMARTCARD}) or pam_sss.so try_cert_auth (RHEL/Rocky 8 and 9: authselect enable-feature "
            "with-smartcard)")


def check_sudo_pam(guest: LinuxGuest) -> CheckResult:
    """sudo and sudo -i can authenticate with the card: a smart card module (pam_pkcs11,
    or pam_sss with try_cert_auth / require_cert_auth) is reached for them."""
    res = CheckResult("SESSION-5")
    fs = guest.fs
    ev: dict = {}
    modules_reached: set[str] = set()
    with_stacks = tuple(sv for sv in guest.sudo_services if fs.is_file(f"{pam.PAM_DIR}/{sv}"))
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
                "no smart card module is in the auth stack (neither pam_pkcs11.so nor pam_sss.so with try_cert_auth "
                "or require_cert_auth): sudo cannot use the smart card.",
                _no_smartcard_fix(fs, reach),
            )
        elif not reach.reached:
            card_line = reach.smartcard_lines[0]
            culprit = reach.deciding
            if culprit is not None:
                decides = f"{culprit.where} ({culprit.type} {culprit.control} {culprit.short()})"
                fix = (f"let {service} reach {card_line.where}: " + (
                    pam.service_fix(culprit, service, with_stacks) if culprit.module_name == "pam_succeed_if.so"
                    else f"change {culprit.where}"))
            else:
                decides, fix = "the lines above it", f"let {service} reach {card_line.where}"
            if _authselect_managed(fs, (culprit or card_line).file):
                fix += (f" ({(culprit or card_line).file} is written by authselect, which overwrites edits: make the "
                        "change in a custom profile: authselect create-profile NAME --base-on sssd, edit its "
                        "system-auth, authselect select custom/NAME with the same features)")
            elif card_line.module_name == "pam_pkcs11.so":
                fix += " (as the WorkSpaces administration guide describes for /etc/pam.d/system-auth)"
            res.fail(
                f"PAM stack of {service}",
                f"the service {service} is excluded from smart card authentication: {decides} skips "
                f"{card_line.short()} ({card_line.where}) for it.",
                fix,
            )
        else:
            modules_reached.update(ln.module_name for ln in reach.smartcard_lines)
    if "pam_sss.so" in modules_reached and not res.failures():
        _check_sssd(res, fs, guest.sudo_services, ev)
    if "pam_pkcs11.so" in modules_reached and not fs.is_file("/etc/pam_pkcs11/pam_pkcs11.conf") \
            and not res.failures():
        res.warn("/etc/pam_pkcs11/pam_pkcs11.conf", "pam_pkcs11 has no configuration file.",
                 f"run {ENABLE_SMARTCARD}")
    res.evidence["services"] = ev
    return res


def _check_sssd(res: CheckResult, fs: RootFS, services: tuple[str, ...], ev: dict) -> None:
    """pam_sss is the smart card module: sssd must do certificate authentication for the
    sudo services ([pam] pam_cert_auth, pam_p11_allowed_services in sssd.conf)."""
    conf = pam.sssd_pam(fs)
    res.evidence["sssd"] = {"file": pam.SSSD_CONF, "readable": conf.readable, "present": conf.present,
                  "pam_cert_auth": conf.cert_auth, "pam_p11_allowed_services": list(conf.allowed_services),
                  "detail": conf.detail}
    if not conf.readable:
        return  # root's file: the PAM stack is judged, sssd's side is recorded as not read
    if not conf.present:
        res.warn(pam.SSSD_CONF, "does not exist: pam_sss does certificate authentication only when sssd is "
                 "configured with [pam] pam_cert_auth = True.", f"configure sssd and set pam_cert_auth = True in "
                 f"the [pam] section of {pam.SSSD_CONF}")
        return
    if not conf.cert_auth:
        res.fail(f"{pam.SSSD_CONF} [pam]", "pam_cert_auth is not True, so pam_sss answers every certificate "
                 "authentication with 'unavailable': no service, sudo included, can use the card.",
                 f"set pam_cert_auth = True in the [pam] section of {pam.SSSD_CONF} and restart sssd")
        return
    for service in services:
        if service not in conf.allowed_services and isinstance(ev.get(service), dict):
            res.fail(f"{pam.SSSD_CONF} [pam]", f"pam_p11_allowed_services does not include {service} "
                     f"(allowed: {', '.join(conf.allowed_services)}), so sssd refuses the card for it.",
                     f"add +{service} to pam_p11_allowed_services in {pam.SSSD_CONF} and restart sssd")


# --- SESSION-6 ------------------------------------------------------------------------

def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_image_root_ca(guest: LinuxGuest, expected: x509.Certificate | None) -> CheckResult:
    """The root CA the directory trusts is in the image's NSS database, trusted as a CA."""
    res = CheckResult("SESSION-6")
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
    res = CheckResult("SESSION-7")
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
