"""NSS databases, read with the NSS tools (``modutil``, ``certutil``) and nothing else.

The probes never parse ``cert9.db``, ``key4.db`` or ``pkcs11.txt`` themselves: modules
come from ``modutil -rawlist`` (which reads the database read-only and loads no module)
and, when the probes run inside the guest, ``modutil -list`` (which loads each module and
says whether NSS could); certificates from ``certutil -L``. Measured with NSS 3.87: none
of these commands changes the database files, a missing or empty directory gives
``SEC_ERROR_BAD_DATABASE``, and a database another process holds an exclusive lock on
gives the same error after about one second (NSS's busy timeout).

The write helpers at the end (``create_db``, ``add_module``...) are for building test
worlds and for the procedure scenario that follows the user guide on a throwaway home;
the probes never call them.
"""

from __future__ import annotations

import enum
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from ..errors import EnvironmentProblem
from ..pki.certs import read_certificates

TIMEOUT = 30
INSTALL_HINT = (
    "install the NSS tools (Debian/Ubuntu: apt-get install libnss3-tools; "
    "Amazon Linux/RHEL: yum install nss-tools)"
)
#: The answer of ``modutil -add`` the user guide tells the user to expect.
ADDED_MESSAGE = 'Module "{name}" added to database.'


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EnvironmentProblem(f"{name} not found: {INSTALL_HINT}")
    return path


class DbState(str, enum.Enum):
    SQL = "sql"  # cert9.db / key4.db / pkcs11.txt (what Chrome and current Firefox use)
    LEGACY = "dbm"  # cert8.db / key3.db / secmod.db only
    MISSING = "missing"  # no such directory
    EMPTY = "empty"  # directory without a database


def db_state(directory: Path) -> DbState:
    d = Path(directory)
    if not d.is_dir():
        return DbState.MISSING
    if (d / "cert9.db").exists() or (d / "pkcs11.txt").exists():
        return DbState.SQL
    if (d / "cert8.db").exists() or (d / "secmod.db").exists():
        return DbState.LEGACY
    return DbState.EMPTY


class NssDbError(Exception):
    """The database cannot be read as it is (a property of the environment, not of the
    harness): ``kind`` is missing, empty, damaged or unreadable."""

    def __init__(self, kind: str, directory: Path, detail: str):
        self.kind = kind
        self.directory = directory
        self.detail = detail
        super().__init__(f"{directory}: {detail}")


@dataclass
class Module:
    name: str
    library: str  # as stored in the database ("" for NSS's internal module)
    status: str | None = None  # "loaded" / "Not loaded" from ``modutil -list`` (live only)

    @property
    def internal(self) -> bool:
        return not self.library


@dataclass
class CertEntry:
    nickname: str
    trust: str  # "CT,C,C" etc. (SSL, S/MIME, code signing)

    @property
    def ssl_trust(self) -> str:
        return self.trust.split(",")[0] if self.trust else ""

    @property
    def is_trusted_ca(self) -> bool:
        return any(c in self.trust for c in "CT")


def _prefix(directory: Path, state: DbState) -> str:
    return f"{'dbm' if state is DbState.LEGACY else 'sql'}:{directory}"


#: A PC/SC socket that no pcscd listens on (nothing creates it).
NO_PCSC_SERVICE = os.path.join(tempfile.gettempdir(), f"wscard-no-pcsc-service-{os.getpid()}.comm")


def _run(args: list[str], *, cwd: str | None = None, stdin: str | None = None,
         card: bool = False) -> subprocess.CompletedProcess:
    """Run an NSS tool (timeout :data:`TIMEOUT` seconds; raises EnvironmentProblem when it
    does not answer).

    A command that loads the database's modules (``modutil -add``/``-list``, ``certutil
    -L``) starts OpenSC, which asks the PC/SC service for readers. Only ``card=True``
    (``certutil -L -h all``: the card's certificates) needs one; every other command is
    pointed at no PC/SC service (``PCSCLITE_CSOCK_NAME`` = :data:`NO_PCSC_SERVICE`), so
    OpenSC loads at once with no slot: whether a module is registered or loads does not
    depend on a reader, and the command never talks to whatever pcscd answers on the
    machine's socket (another harness run's included) nor waits on a card that run holds
    (measured: the 30 s timeout, and the scenario not evaluated)."""
    env = dict(os.environ)
    env.pop("NSS_DEFAULT_DB_TYPE", None)
    if not card:
        env["PCSCLITE_CSOCK_NAME"] = NO_PCSC_SERVICE
    try:
        # a new session has no controlling terminal: NSS cannot open /dev/tty to ask for a
        # token's PIN (certutil -L -h all tries to, for a card that requires login), so
        # no command here can ever prompt for, or spend a try of, the card's PIN
        return subprocess.run(
            args, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd, input=stdin, env=env,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(f"{' '.join(args[:3])} did not answer within {TIMEOUT} s") from None


def _lock_diagnosis(directory: Path) -> str | None:
    """Ask SQLite (read-only, no wait) whether the database file is locked or damaged."""
    for name in ("cert9.db", "key4.db"):
        f = directory / name
        if not f.exists():
            continue
        try:
            con = sqlite3.connect(f"file:{f}?mode=ro", uri=True, timeout=0)
            try:
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                con.close()
        except sqlite3.OperationalError as exc:
            msg = str(exc)
            if "locked" in msg or "busy" in msg:
                return "locked"
            return f"damaged ({name}: {msg})"
        except sqlite3.DatabaseError as exc:
            return f"damaged ({name}: {exc})"
    return None


def _raise_for(directory: Path, proc: subprocess.CompletedProcess, what: str) -> None:
    err = (proc.stderr or proc.stdout or "").strip()
    state = db_state(directory)
    if state is DbState.MISSING:
        raise NssDbError("missing", directory, "no NSS database (the directory does not exist)")
    if state is DbState.EMPTY:
        raise NssDbError("empty", directory, "the directory holds no NSS database")
    unreadable = [n for n in ("cert9.db", "key4.db", "pkcs11.txt")
                  if (directory / n).exists() and not os.access(directory / n, os.R_OK)]
    if unreadable:
        raise EnvironmentProblem(
            f"cannot read the NSS database {directory} ({', '.join(unreadable)}: permission denied): "
            "run the probe as the database's owner"
        )
    diag = _lock_diagnosis(directory)
    if diag == "locked":
        raise EnvironmentProblem(
            f"the NSS database {directory} is locked by another process (a running browser?): "
            "close Chrome/Firefox and run the probe again"
        )
    if diag:
        raise NssDbError("damaged", directory, f"the NSS database is {diag}")
    if "SEC_ERROR_BAD_DATABASE" in err:
        raise NssDbError("damaged", directory, f"NSS cannot open the database ({err})")
    raise EnvironmentProblem(f"{what} failed on {directory} (exit {proc.returncode}): {err[:300]}")


# --- reading ---------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*([^=\s]+)=')
_CLOSE = {'"': '"', "'": "'", "(": ")", "{": "}", "[": "]", "<": ">"}


def parse_module_spec(line: str) -> dict[str, str]:
    """Split one ``modutil -rawlist`` line (``library="/x.so" name="OpenSC" ...``) into
    its key=value pairs, honouring NSS's quoting (quotes, brackets, backslash escapes)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(line):
        m = _TOKEN.match(line, i)
        if not m:
            break
        key = m.group(1)
        i = m.end()
        if i < len(line) and line[i] in _CLOSE:
            close = _CLOSE[line[i]]
            opener = line[i]
            depth = 1
            j = i + 1
            buf = []
            while j < len(line):
                ch = line[j]
                if ch == "\\" and j + 1 < len(line):
                    buf.append(line[j + 1])
                    j += 2
                    continue
                if ch == close and (opener == close or depth == 1):
                    depth -= 1
                    if depth == 0:
                        break
                elif ch == opener and opener != close:
                    depth += 1
                buf.append(ch)
                j += 1
            out[key] = "".join(buf)
            i = j + 1
        else:
            j = i
            while j < len(line) and not line[j].isspace():
                j += 1
            out[key] = line[i:j]
            i = j
    return out


def list_modules(directory: Path, *, load: bool = False) -> list[Module]:
    """The PKCS#11 modules registered in the database (``modutil -rawlist``; with
    ``load=True`` also ``modutil -list`` for the load status: only meaningful when the
    probe runs inside the guest, as it loads the libraries named in the database)."""
    directory = Path(directory)
    state = db_state(directory)
    if state in (DbState.MISSING, DbState.EMPTY):
        raise NssDbError(state.value, directory, "no NSS database here")
    proc = _run([tool("modutil"), "-dbdir", _prefix(directory, state), "-rawlist"])
    if proc.returncode != 0:
        _raise_for(directory, proc, "modutil -rawlist")
    modules = parse_rawlist(proc.stdout)
    if load:
        statuses = _load_status(directory, state)
        for mod in modules:
            mod.status = statuses.get(mod.name)
    return modules


def _load_status(directory: Path, state: DbState) -> dict[str, str]:
    proc = _run([tool("modutil"), "-dbdir", _prefix(directory, state), "-list"])
    if proc.returncode != 0:
        _raise_for(directory, proc, "modutil -list")
    return parse_list_status(proc.stdout)


def parse_rawlist(text: str) -> list[Module]:
    """Modules from ``modutil -rawlist`` output (one module spec a line)."""
    modules = []
    for line in text.splitlines():
        if not line.strip():
            continue
        spec = parse_module_spec(line.strip())
        if "name" in spec:
            modules.append(Module(spec.get("name", ""), spec.get("library", "")))
    return modules


def parse_list_status(text: str) -> dict[str, str]:
    """Module name -> status ("loaded", "Not loaded") from ``modutil -list`` output."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"\s*\d+\.\s+(.*\S)\s*$", line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"\s*status:\s*(.*\S)\s*$", line)
        if m and current is not None:
            out[current] = m.group(1)
    return out


def list_certs(directory: Path) -> list[CertEntry]:
    """Certificates in the database with their trust flags (``certutil -L``)."""
    directory = Path(directory)
    state = db_state(directory)
    if state in (DbState.MISSING, DbState.EMPTY):
        raise NssDbError(state.value, directory, "no NSS database here")
    proc = _run([tool("certutil"), "-d", _prefix(directory, state), "-L"])
    if proc.returncode != 0:
        _raise_for(directory, proc, "certutil -L")
    return parse_certutil_list(proc.stdout)


def parse_certutil_list(text: str) -> list[CertEntry]:
    """(nickname, trust flags) from ``certutil -L`` output."""
    entries = []
    for line in text.splitlines():
        m = re.match(r"^(.*?)\s+(\S*,\S*,\S*)\s*$", line)
        if m and m.group(1).strip() and not line.startswith(("Certificate Nickname", " ")):
            entries.append(CertEntry(m.group(1).strip(), m.group(2)))
    return entries


def export_certs(directory: Path, nickname: str) -> list[x509.Certificate]:
    """All certificates stored under a nickname (``certutil -L -n NICK -a``)."""
    directory = Path(directory)
    state = db_state(directory)
    proc = _run([tool("certutil"), "-d", _prefix(directory, state), "-L", "-n", nickname, "-a"])
    if proc.returncode != 0:
        _raise_for(directory, proc, "certutil -L -n")
    found = read_certificates(proc.stdout.encode(), f"certutil -L -n {nickname}")
    return [c.cert for c in found.certificates if c.cert is not None]


# --- writing (test worlds and the documented procedure only) --------------------------

def create_db(directory: Path) -> None:
    """An empty sql: database, as Chrome creates it on its first start."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    proc = _run([tool("certutil"), "-N", "-d", f"sql:{directory}", "--empty-password"])
    if proc.returncode != 0:
        raise EnvironmentProblem(f"certutil -N failed in {directory}: {proc.stderr.strip()}")


def documented_add_command(library: str, name: str = "OpenSC") -> str:
    """The user guide's command (S-CLIENT, SESSION-3) for a library path."""
    return f'cd; modutil -dbdir sql:.pki/nssdb/ -add "{name}" -libfile {library}'


def run_documented_add(home: Path, library: str, name: str = "OpenSC") -> subprocess.CompletedProcess:
    """Run the user guide's ``modutil`` command in ``home`` exactly as written (relative
    ``sql:.pki/nssdb/``), answering the "close the browser" prompt with Enter (no PC/SC
    service: :func:`_run`)."""
    return _run(
        [tool("modutil"), "-dbdir", "sql:.pki/nssdb/", "-add", name, "-libfile", library],
        cwd=str(home),
        stdin="\n",
    )


def add_module(directory: Path, name: str, library: str) -> str:
    """Register a module (loads the library, as the user guide's command does)."""
    proc = _run(
        [tool("modutil"), "-dbdir", f"sql:{directory}", "-add", name, "-libfile", library, "-force"]
    )
    if proc.returncode != 0:
        raise EnvironmentProblem(f"modutil -add failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout.strip()


def rawadd_module(directory: Path, name: str, library: str) -> None:
    """Register a module without loading it (``modutil -rawadd``): how a database ends up
    naming a library that is not there (moved, removed, or copied from another image)."""
    spec = f'library="{library}" name="{name}"'
    proc = _run([tool("modutil"), "-dbdir", f"sql:{directory}", "-rawadd", spec, "-force"])
    if proc.returncode != 0:
        raise EnvironmentProblem(f"modutil -rawadd failed: {(proc.stderr or proc.stdout).strip()}")


def add_cert(directory: Path, nickname: str, pem: bytes, trust: str = "CT,C,C") -> None:
    proc = subprocess.run(
        [tool("certutil"), "-A", "-d", f"sql:{directory}", "-n", nickname, "-t", trust, "-a"],
        input=pem,
        capture_output=True,
        timeout=TIMEOUT,
        start_new_session=True,
    )
    if proc.returncode != 0:
        raise EnvironmentProblem(f"certutil -A failed: {proc.stderr.decode(errors='replace').strip()}")


def list_token_certs(directory: Path) -> subprocess.CompletedProcess:
    """``certutil -L -h all``: the certificates of every token the database's modules
    see (a card through OpenSC included): what Chrome and Firefox see."""
    return _run([tool("certutil"), "-d", f"sql:{directory}", "-L", "-h", "all"], stdin="", card=True)
