"""``environment.properties``: the run's context shown on the report's overview.

Allure (2 and 3) reads this Java ``.properties`` file from the results folder. Keys and
values are escaped as ``java.util.Properties.store`` does (ASCII only, ``\\uXXXX`` for
everything else) so both Allure's Java reader and Allure 3's JavaScript reader show
them as written. Values go through :func:`wscard.report.redact.redact` first: a
secret never reaches the report, even when a caller passes one by mistake.
"""

from __future__ import annotations

import os
import platform
import socket
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from .redact import redact

FILE_NAME = "environment.properties"

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}
_KEY_SPECIALS = "=: #!"
_VALUE_SPECIALS = "=:#!"
_UNESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def base_environment() -> dict[str, str]:
    """What every run can say about itself; the caller adds profile, baseline, AWS
    mode, region and hosts."""
    from wscard import __version__

    return {
        "harness version": __version__,
        "python version": platform.python_version(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "hosts": socket.gethostname(),
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return ", ".join(_text(v) for v in items)
    return str(value)


def _escape(text: str, specials: str, *, leading_space: bool) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == " " and (leading_space and i == 0):
            out.append("\\ ")
        elif ch in specials:
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            # \uXXXX, with surrogate pairs for characters beyond the BMP
            encoded = ch.encode("utf-16-be")
            for j in range(0, len(encoded), 2):
                out.append("\\u%04x" % int.from_bytes(encoded[j:j + 2], "big"))
    return "".join(out)


def format_properties(mapping: Mapping[str, Any]) -> str:
    """``mapping`` as the text of a ``.properties`` file (values redacted, keys kept in
    order; lists become comma-separated values)."""
    lines = []
    clean = redact({str(k): _text(v) for k, v in mapping.items()})
    for key, value in clean.items():
        k = _escape(key, _KEY_SPECIALS, leading_space=True)
        v = _escape(value, _VALUE_SPECIALS, leading_space=True)
        lines.append(f"{k}={v}")
    return "\n".join(lines) + ("\n" if lines else "")


def parse_properties(text: str) -> dict[str, str]:
    """Parse a ``.properties`` file (comments, line continuations, ``=``/``:``/space
    separators, escapes and ``\\uXXXX``) as ``java.util.Properties.load`` does."""
    # join continuation lines: a line ending in an odd number of backslashes continues
    logical: list[str] = []
    pending = ""
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.lstrip(" \t\f") if pending else raw
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)

    result: dict[str, str] = {}
    for line in logical:
        stripped = line.lstrip(" \t\f")
        if not stripped or stripped[0] in "#!":
            continue
        key_chars: list[str] = []
        i = 0
        n = len(stripped)
        while i < n:
            ch = stripped[i]
            if ch == "\\" and i + 1 < n:
                key_chars.append(stripped[i:i + 2])
                i += 2
                continue
            if ch in "=: \t\f":
                break
            key_chars.append(ch)
            i += 1
        # separator: optional whitespace, at most one = or :, optional whitespace
        while i < n and stripped[i] in " \t\f":
            i += 1
        if i < n and stripped[i] in "=:":
            i += 1
            while i < n and stripped[i] in " \t\f":
                i += 1
        result[_unescape("".join(key_chars))] = _unescape(stripped[i:])
    return result


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u" and i + 6 <= n:
            try:
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            except ValueError:
                pass
        out.append(_UNESCAPES.get(nxt, nxt))
        i += 2
    # re-join surrogate pairs written as two \uXXXX escapes
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")


def write_environment(results_dir: Path, environment: Mapping[str, Any]) -> Path:
    """Write ``environment.properties`` into ``results_dir`` (atomically)."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / FILE_NAME
    fd, tmp = tempfile.mkstemp(prefix=".environment-", dir=results_dir)
    with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
        fh.write(format_properties(environment))
    os.replace(tmp, path)
    return path


def read_environment(results_dir: Path) -> dict[str, str]:
    path = Path(results_dir) / FILE_NAME
    if not path.is_file():
        return {}
    return parse_properties(path.read_text(encoding="latin-1"))


def merge_environments(envs: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """One environment for results of several machines: for each key the distinct
    values in order of appearance, comma-separated (``hosts`` = every machine)."""
    merged: dict[str, list[str]] = {}
    for env in envs:
        for key, value in env.items():
            values = merged.setdefault(key, [])
            for part in [p.strip() for p in str(value).split(",")] if key == "hosts" else [str(value)]:
                if part and part not in values:
                    values.append(part)
    return {k: ", ".join(v) for k, v in merged.items()}


#: The parts a run may use, and how to read their versions: Python distributions by name,
#: programs by the command that prints their version.
PY_COMPONENTS = ("pytest", "pytest-bdd", "allure-pytest-bdd", "moto", "boto3", "botocore", "cryptography",
                 "pyhanko-certvalidator", "pyscard", "python-pkcs11", "ldap3")
TOOL_COMPONENTS = {
    "opensc": ["opensc-tool", "--info"],
    "samba": ["samba", "--version"],
    "softhsm": ["softhsm2-util", "--version"],
    "pcsc-lite": ["pcscd", "--version"],
}


def component_versions() -> dict[str, str]:
    """Versions of the parts the harness runs with: ``{name: version}``; ``"not installed"``
    for what is missing. Programs are asked with a 10 s timeout each."""
    import importlib.metadata as md
    import shutil
    import subprocess

    out: dict[str, str] = {}
    for name in PY_COMPONENTS:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    for name, cmd in TOOL_COMPONENTS.items():
        exe = shutil.which(cmd[0]) or next((p for p in (f"/usr/sbin/{cmd[0]}", f"/sbin/{cmd[0]}")
                                            if os.path.exists(p)), None)
        if not exe:
            out[name] = "not installed"
            continue
        try:
            proc = subprocess.run([exe, *cmd[1:]], capture_output=True, text=True, timeout=10,
                                  stdin=subprocess.DEVNULL)
            text = (proc.stdout or proc.stderr).strip().splitlines()
            out[name] = text[0].strip()[:120] if text else "unknown"
        except (OSError, subprocess.SubprocessError):
            out[name] = "unknown"
    pkg = Path(__file__).resolve().parents[2] / "reports" / "node_modules" / "allure" / "package.json"
    try:
        import json

        out["allure"] = json.loads(pkg.read_text(encoding="utf-8")).get("version", "unknown")
    except (OSError, ValueError):
        out["allure"] = "not installed"
    return out


def git_commit(root: Path | None = None) -> str:
    """The checkout's commit (``+dirty`` when files differ from it), or ``unknown``."""
    import subprocess

    root = root or Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, stdin=subprocess.DEVNULL)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
