"""From the profile's ``[guest]`` section to the guests the checks read."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from ..checks import CheckResult, Status
from ..errors import EnvironmentProblem
from . import build, nss, windows
from .linux import LinuxGuest, check_chrome_nssdb
from .rootfs import RootFS

_LOCK = threading.Lock()
_BUILT: dict[tuple, Path] = {}


def expected_root_ca(profile) -> x509.Certificate | None:
    """The root CA the directory trusts: ``[guest].root_ca``, else the root of the
    profile's PKI (the CA the simulated world registers). None when neither is there."""
    g = profile.guest
    if g.root_ca:
        from ..pki.certs import CertificateFormatError, load_certificate

        try:
            data = Path(g.root_ca).read_bytes()
        except OSError as exc:
            raise EnvironmentProblem(f"cannot read [guest].root_ca {g.root_ca}: {exc.strerror}") from None
        try:
            return load_certificate(data, f"[guest].root_ca {g.root_ca}")
        except CertificateFormatError as exc:
            raise EnvironmentProblem(f"{exc}. Fix: give the root CA certificate as PEM or DER.") from None
    try:
        from ..pki import get_pki  # type: ignore[attr-defined]
    except ImportError:
        return None
    pki = get_pki(profile.pki)
    chain = list(pki.ca_chain)
    return chain[-1].cert if chain else None


def _build_dir() -> Path:
    """A private folder for guests built outside pytest (removed when the process ends)."""
    d = Path(tempfile.gettempdir()) / f"wscard-guest-{os.getpid()}"
    if not d.exists():
        d.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, d, True)
    return d


def built_linux(variant: str, root_ca: x509.Certificate | None, base: Path | None = None,
                layout: build.Layout | None = None) -> LinuxGuest:
    """The simulated Linux guest for a variant and layout, built once per process."""
    from cryptography.hazmat.primitives import serialization

    layout = layout or build.Layout()
    pem = root_ca.public_bytes(serialization.Encoding.PEM) if root_ca is not None else None
    key = ("linux", variant, pem, layout)
    with _LOCK:
        dest = _BUILT.get(key)
        if dest is None:
            dest = Path(tempfile.mkdtemp(prefix=f"linux-{variant}-", dir=base or _build_dir()))
            build.build_linux(dest, variant, pem, layout=layout)
            _BUILT[key] = dest
    return LinuxGuest(RootFS.at(dest / "root"), build.HOME)


def linux_guest(profile, base: Path | None = None) -> LinuxGuest:
    g = profile.guest
    if g.build:
        variant = g.build if g.build in build_variants("linux") else "compliant"
        lay = g.layout
        guest = built_linux(variant, expected_root_ca(profile), base,
                            build.Layout(lay.pam, lay.firefox, lay.nss_modules))
    else:
        fs = RootFS.at(g.root or "/")
        home = g.home
        if not home:
            if not fs.is_live:
                raise EnvironmentProblem("[guest].home is needed when [guest].root is not /")
            home = str(Path.home())
        elif home.startswith("~"):
            home = os.path.expanduser(home)
        guest = LinuxGuest(fs, home)
    guest.opensc_library = g.opensc_library
    guest.image_nssdb = g.image_nssdb
    guest.firefox_dirs = tuple(g.firefox_dirs)
    guest.sudo_services = tuple(g.sudo_services)
    return guest


def build_variants(os_name: str) -> tuple[str, ...]:
    from ..sections.guest import LINUX_BUILDS, WINDOWS_BUILDS

    return LINUX_BUILDS if os_name == "linux" else WINDOWS_BUILDS


def windows_guest(profile, base: Path | None = None) -> windows.WindowsGuestConfig:
    g = profile.guest
    w = g.windows
    if g.build:
        variant = g.build if g.build in build_variants("windows") else "compliant"
        key = ("windows", variant)
        with _LOCK:
            path = _BUILT.get(key)
            if path is None:
                path = build.build_windows(Path(tempfile.mkdtemp(prefix=f"windows-{variant}-", dir=base or _build_dir())), variant)
                _BUILT[key] = path
        reg: windows.Registry = windows.load_file(path)
    elif w.registry == "winreg":
        if sys.platform != "win32":
            raise EnvironmentProblem("[guest.windows].registry = \"winreg\" works only on Windows")
        reg = windows.WinRegRegistry(wsp_dir=w.admx_dir or windows.WSP_DIR)
    else:
        reg = windows.load_file(w.registry_file)
        if w.admx_dir:
            templates = windows.read_templates(w.admx_dir)
            if templates is None:
                raise EnvironmentProblem(f"[guest.windows].admx_dir {w.admx_dir} has no wsp.admx and en-US/wsp.adml")
            reg.with_templates(templates)
    return windows.WindowsGuestConfig(
        reg, windows.norm_key(w.wsp_policy_key), w.smartcard_redirection_value, w.disconnect_on_lock_value
    )


@dataclass
class Procedure:
    """The user guide's Chrome step (SESSION-3) on a throwaway home of this machine."""

    home: Path
    library: str
    fs: RootFS
    output: str = ""

    def guest(self) -> LinuxGuest:
        return LinuxGuest(self.fs, str(self.home), opensc_library=self.library)

    @property
    def command(self) -> str:
        return nss.documented_add_command(self.library)

    def check(self):
        return check_chrome_nssdb(self.guest())

    def run_documented_command(self) -> str:
        proc = nss.run_documented_add(self.home, self.library)
        self.output = (proc.stdout + proc.stderr).strip()
        return self.output

    def check_failure_names_the_command(self) -> CheckResult:
        """SESSION-3 on the fresh database (before the user guide's command): the Chrome check
        must fail with a fix naming the documented modutil command (``self.command`` without
        its leading ``cd; ``). A :class:`CheckResult` failing otherwise; the Chrome check's own
        verdict is in its ``evidence["chrome_check"]``."""
        result = CheckResult("SESSION-3")
        chrome = self.check()
        result.evidence["chrome_check"] = {"status": chrome.status.value, "message": chrome.message()}
        want = self.command.replace("cd; ", "")
        if chrome.status is not Status.FAILED or not any(want in f.fix for f in chrome.failures()):
            result.fail(
                f"the Chrome check on {self.home / '.pki/nssdb'} (a database without OpenSC)",
                f"it should fail and name the command {self.command!r}; it gave: "
                f"{chrome.status.value}: {chrome.message()}",
                "make check_chrome_nssdb (wscard/guest/linux.py) fail on a database without OpenSC "
                "with the user guide's modutil command as its fix",
            )
        return result

    def check_added_message(self) -> CheckResult:
        """SESSION-3 after :meth:`run_documented_command`: modutil answered the user guide's
        message (``nss.ADDED_MESSAGE`` for OpenSC). A :class:`CheckResult` failing otherwise."""
        result = CheckResult("SESSION-3")
        want = nss.ADDED_MESSAGE.format(name="OpenSC")
        result.evidence["modutil_output"] = self.output
        if want not in self.output:
            result.fail(
                f"the user guide's command {self.command!r}",
                f"it should answer {want!r}; it answered: {self.output!r}",
                "check the user guide's modutil command and the OpenSC library it names "
                f"({self.library})",
            )
        return result

    def list_all_token_certs(self) -> str:
        proc = nss.list_token_certs(self.home / ".pki/nssdb")
        self.output = (proc.stdout + proc.stderr).strip()
        if proc.returncode != 0:
            raise EnvironmentProblem(f"certutil -L -h all failed: {self.output[:300]}")
        return self.output

    def card_certificates_result(self):
        """SESSION-3 (Chrome through this NSS database): the card's certificates are among
        the listed ones. When OpenSC's token itself shows no certificate (the card holds
        none, or none OpenSC can decode), the browsers cannot show one either, and that is
        the card's requirement (UC-5), not this one: the result is a skip saying so."""
        from ..checks import CheckResult
        from .card import token_certificate_count

        res = CheckResult("SESSION-3")
        certs = [e.nickname for e in nss.parse_certutil_list(self.output)
                 if ":" in e.nickname and not e.nickname.startswith("NSS ")]
        res.evidence["certificates on the card"] = certs
        if certs:
            return res
        on_token = token_certificate_count(self.library)
        res.evidence["certificate objects on OpenSC's token"] = on_token
        if on_token == 0:
            return res.skip("OpenSC's token for the card shows no certificate (pkcs11-tool --list-objects): the card "
                            "holds none that OpenSC can read, so no browser can show one (see UC-5)")
        res.fail("the NSS database where OpenSC is registered",
                 f"no certificate of the card is visible through it (certutil -L -h all): {self.output[:500]}",
                 "check that the card's certificates are readable by OpenSC (pkcs11-tool --list-objects)")
        return res


def fresh_home(home: Path, library: str) -> Procedure:
    """A home whose NSS database was just created, as Chrome does on first start."""
    nss.create_db(Path(home) / ".pki/nssdb")
    return Procedure(Path(home), library, RootFS.at("/"))
