"""The project's entry points in Python, for Windows (``harness.ps1`` calls this) and
Linux alike: the same commands, with the same meaning, as ``./harness``.

    python tools/bootstrap.py [--dry-run] setup               set up only
    python tools/bootstrap.py [--dry-run] check [pytest options]   set up, then the compliance
                                                               suite, the report and the summary
    python tools/bootstrap.py [--dry-run] selftest            set up, then the project's own tests

The set-up, each step skipped when already done:

1. Debian/Ubuntu: the packages of ``tools/apt-packages.txt`` (``apt-get``, as root or with
   password-less sudo; otherwise the command to run is printed). Windows: none (Python,
   the reader's driver and OpenSC are installed by hand: docs/card.md).
2. ``.venv`` (``.venv\\Scripts\\python.exe`` on Windows, ``.venv/bin/python`` elsewhere) with
   the project installed (``pip install -e .``; pyscard and python-pkcs11 come as wheels
   on Windows); redone when ``pyproject.toml`` changes (a stamp in ``.venv``).
3. The report tools (npm ``allure`` into ``reports/node_modules``) when npm is present;
   without it the run still writes the results and the summary, not the HTML report.

Then ``check`` runs ``wscard check`` (pytest on the features, then the report) with the
options given; ``selftest`` runs ``tools/selftest.sh`` on Linux (what CI runs) and, on
Windows, the unit tests and ``pytest --collect-only -m hw`` (the simulated world's Samba DC,
pcscd and virtual cards are Linux-only, see docs/card.md).

``--dry-run`` prints the commands instead of running them. ``WSCARD_SKIP_BOOTSTRAP=1``
skips the set-up. Runs with the system Python 3.11+ and imports nothing outside the
standard library (it is what installs the rest).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_PYTHON = (3, 11)
COMMANDS = ("setup", "check", "selftest")
#: The stamp files ./harness writes too: a set-up by either script counts for both.
VENV_STAMP = ".wscard-installed"
NPM_STAMP = ".wscard-installed"


def say(msg: str) -> None:
    print(f"[harness] {msg}", file=sys.stderr, flush=True)


class SetupError(Exception):
    """The set-up cannot go on; the message says what to do (exit status 2)."""


@dataclass
class Machine:
    """What the set-up needs to know about this machine (tests pass a fake one)."""

    windows: bool = sys.platform == "win32"
    root: Path = ROOT
    python: str = sys.executable
    env: dict = field(default_factory=lambda: dict(os.environ))
    is_root: bool = getattr(os, "geteuid", lambda: -1)() == 0
    bits: int = 64 if sys.maxsize > 2**32 else 32
    version: tuple = tuple(sys.version_info[:2])

    def which(self, cmd: str) -> str | None:
        return shutil.which(cmd, path=self.env.get("PATH"))

    @property
    def venv(self) -> Path:
        return self.root / ".venv"

    @property
    def venv_python(self) -> Path:
        """The virtual environment's interpreter: Scripts\\python.exe on Windows, bin/python elsewhere."""
        return self.venv / ("Scripts/python.exe" if self.windows else "bin/python")


@dataclass
class Runner:
    """Runs commands in the repository, or prints them (``dry_run``); records them either way."""

    machine: Machine
    dry_run: bool = False
    commands: list = field(default_factory=list)

    def run(self, argv: list, *, quiet: bool = False, check: bool = True, env: dict | None = None) -> int:
        argv = [str(a) for a in argv]
        self.commands.append(argv)
        if self.dry_run:
            print(_show(argv, self.machine.windows), flush=True)
            return 0
        out = subprocess.DEVNULL if quiet else None
        rc = subprocess.call(argv, cwd=self.machine.root, stdout=out, env=env or self.machine.env)
        if check and rc != 0:
            raise SetupError(f"{_show(argv, self.machine.windows)} failed (exit status {rc})")
        return rc

    def write(self, path: Path, text: str) -> None:
        if not self.dry_run:
            path.write_text(text)


def _show(argv: list, windows: bool) -> str:
    return subprocess.list2cmdline(argv) if windows else shlex.join(argv)


def stamp(path: Path) -> str:
    """The first 16 hex digits of the file's SHA-256 (``sha256sum FILE | cut -c1-16``)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


# --- 1. system packages ------------------------------------------------------------------

def apt_packages(listing: Path) -> list[tuple[str, str | None]]:
    """``tools/apt-packages.txt``: (package, command) pairs; command None when not given."""
    out = []
    for line in listing.read_text().splitlines():
        parts = line.split("#", 1)[0].split()
        if parts:
            out.append((parts[0], parts[1] if len(parts) > 1 else None))
    return out


def dpkg_installed(package: str) -> bool:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    except OSError:
        return False
    return "install ok installed" in out.stdout


def missing_apt_packages(machine: Machine, installed=dpkg_installed) -> list[str]:
    """Packages of the list neither installed nor provided (their command already on PATH)."""
    return [pkg for pkg, cmd in apt_packages(machine.root / "tools" / "apt-packages.txt")
            if not (cmd and machine.which(cmd)) and not installed(pkg)]


def system_packages(run: Runner, installed=dpkg_installed) -> None:
    m = run.machine
    if m.windows:
        say("Windows: no system packages to install (Python, the reader's driver and OpenSC: docs/card.md)")
        return
    if not m.which("dpkg-query"):
        say("not a Debian/Ubuntu system: install the packages of tools/apt-packages.txt yourself")
        return
    missing = missing_apt_packages(m, installed)
    if not missing:
        return
    sudo: list = []
    if not m.is_root:
        if m.which("sudo") and subprocess.call(["sudo", "-n", "true"], stderr=subprocess.DEVNULL) == 0:
            sudo = ["sudo"]
        else:
            raise SetupError(f"missing Debian packages: {' '.join(missing)}\ninstall them (sudo apt-get install "
                             f"--no-install-recommends {' '.join(missing)}) or run as root")
    say(f"installing Debian packages: {' '.join(missing)}")
    env = {**m.env, "DEBIAN_FRONTEND": "noninteractive"}
    run.run([*sudo, "apt-get", "update", "-qq"], env=env)
    run.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], quiet=True, env=env)


# --- 2. the virtual environment -------------------------------------------------------------

def check_python(m: Machine) -> None:
    if m.version < MIN_PYTHON:
        raise SetupError(f"Python {'.'.join(map(str, MIN_PYTHON))} or later is needed ({m.python} is "
                         f"{'.'.join(map(str, m.version))}); install it from python.org, or set PYTHON=...")
    if m.windows and m.bits != 64:
        raise SetupError(f"{m.python} is a 32-bit Python: install the 64-bit Python from python.org (the 64-bit "
                         "OpenSC or vendor PKCS#11 module cannot be loaded by a 32-bit process)")


def venv(run: Runner) -> None:
    m = run.machine
    check_python(m)
    if not m.venv_python.exists():
        say("creating .venv")
        run.run([m.python, "-m", "venv", m.venv])
    want = stamp(m.root / "pyproject.toml")
    if _read(m.venv / VENV_STAMP) != want:
        say("installing Python packages into .venv")
        run.run([m.venv_python, "-m", "pip", "install", "-q", "--upgrade", "pip"], quiet=True)
        run.run([m.venv_python, "-m", "pip", "install", "-q", "-e", "."], quiet=True)
        run.write(m.venv / VENV_STAMP, want + "\n")


# --- 3. the report tools ---------------------------------------------------------------------

def report_tools(run: Runner) -> None:
    m = run.machine
    npm = m.which("npm")  # npm.cmd on Windows (PATHEXT)
    if npm is None:
        say("npm not found: the HTML report cannot be generated (install Node.js 20 or later, then run setup again)")
        return
    want = stamp(m.root / "reports" / "package-lock.json")
    modules = m.root / "reports" / "node_modules"
    if _read(modules / NPM_STAMP) != want:
        say("installing the report tools (npm allure) into reports/node_modules")
        run.run([npm, "ci", "--prefix", "reports", "--no-audit", "--no-fund", "--loglevel=error"], quiet=True)
        run.write(modules / NPM_STAMP, want + "\n")


def setup(run: Runner) -> None:
    if run.machine.env.get("WSCARD_SKIP_BOOTSTRAP") == "1":
        return
    system_packages(run)
    venv(run)
    report_tools(run)
    if not run.machine.windows:  # the areas' extra set-up scripts, as ./harness runs them
        for script in sorted((run.machine.root / "tools").glob("setup-*.sh")):
            if os.access(script, os.X_OK):
                run.run([script])


# --- the commands ----------------------------------------------------------------------------

def check_command(m: Machine, args: list) -> list:
    """``wscard check`` with the user's pytest options."""
    return [m.venv_python, "-m", "wscard.cli", "check", *args]


def selftest_commands(m: Machine, scratch: Path) -> list:
    """What ``selftest`` runs: Linux, tools/selftest.sh (CI's run); Windows, the unit and card
    layer tests (the Linux-only ones skip themselves) and the collection of the @hw scenarios."""
    if not m.windows:
        return [["bash", "tools/selftest.sh"]]
    py = m.venv_python
    common = ["-p", "no:cacheprovider", "-o", "addopts=--strict-markers"]
    return [
        [py, "-m", "pytest", "tests/unit", "tests/hardware", *common, f"--alluredir={scratch / 'tests-results'}",
         f"--summary-file={scratch / 'tests-summary.json'}"],
        [py, "-m", "pytest", "--collect-only", "-q", "-m", "hw", *common, f"--alluredir={scratch / 'hw-results'}",
         f"--summary-file={scratch / 'hw-summary.json'}"],
    ]


def main(argv: list | None = None, machine: Machine | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    dry_run = False
    while argv and argv[0] == "--dry-run":
        dry_run = True
        argv.pop(0)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 1
    cmd, args = argv[0], argv[1:]
    m = machine or Machine()
    run = Runner(m, dry_run)
    try:
        setup(run)
        if cmd == "setup":
            return 0
        if cmd == "check":
            return run.run(check_command(m, args), check=False)
        with tempfile.TemporaryDirectory(prefix="wscard-selftest-") as scratch:
            steps = selftest_commands(m, Path(scratch))
            steps[0] = [*steps[0], *args]  # options go to the first step, as ./harness passes them
            for step in steps:
                rc = run.run(step, check=False)
                if rc != 0:
                    return rc
        return 0
    except SetupError as exc:
        say(str(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
