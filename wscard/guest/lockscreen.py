"""The Linux lock screen (SESSION-7): is locking disabled?

The documented way (S-ADMIN, "To disable the lock screen on Linux WorkSpaces") is a
GSettings vendor override, ``/usr/share/glib-2.0/schemas/10_screensaver.gschema.override``::

    [org.mate.screensaver]
    lock-enabled=false

followed by ``glib-compile-schemas /usr/share/glib-2.0/schemas/``. An override only takes
effect once compiled, and of several override files the one whose name sorts last wins
(measured with glib-compile-schemas 2.74). The probe therefore asks ``gsettings`` for the
value the compiled schemas give (with the guest's schema directory, a memory backend and
no host schemas), reads the override files to explain the answer, and reads dconf's
system key files (``/etc/dconf/db/*.d/``), which override schema defaults.
Inside the guest it also asks ``gsettings`` for the user's effective value.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from .rootfs import RootFS

SCHEMA_DIR = "/usr/share/glib-2.0/schemas"
OVERRIDE_FILE = f"{SCHEMA_DIR}/10_screensaver.gschema.override"
#: (schema, key) pairs that lock the screen: MATE (the Amazon Linux 2 WorkSpaces desktop) first.
LOCK_KEYS = (("org.mate.screensaver", "lock-enabled"), ("org.gnome.desktop.screensaver", "lock-enabled"))


@dataclass
class LockState:
    schema: str
    key: str
    installed: bool  # the schema exists in the guest
    compiled: bool | None = None  # value from the compiled schemas (None: unknown)
    overrides: list[tuple[str, bool]] = field(default_factory=list)  # (file, value) in sort order
    override_newer_than_compiled: list[str] = field(default_factory=list)
    dconf: list[tuple[str, bool]] = field(default_factory=list)  # system key files setting it
    dconf_locked: bool = False
    session_value: bool | None = None  # gsettings as the current user (live only)

    @property
    def effective(self) -> bool | None:
        """Whether locking is enabled: the user's value when known, else dconf system
        settings, else the compiled default."""
        if self.session_value is not None:
            return self.session_value
        if self.dconf:
            return self.dconf[-1][1]
        return self.compiled


def _bool(text: str) -> bool | None:
    t = text.strip().lower()
    if t in ("true", "'true'"):
        return True
    if t in ("false", "'false'"):
        return False
    return None


def _keyfile(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment]
    try:
        cp.read_string(text)
    except configparser.Error:
        pass
    return cp


def _gsettings(args: list[str], env_extra: dict[str, str] | None = None) -> str | None:
    exe = shutil.which("gsettings")
    if exe is None:
        return None
    env = dict(os.environ)
    if env_extra:
        env.update(env_extra)
    try:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=15, env=env)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def probe(fs: RootFS, schema: str, key: str) -> LockState:
    schema_file = f"{SCHEMA_DIR}/{schema}.gschema.xml"
    state = LockState(schema, key, fs.is_file(schema_file))
    compiled = f"{SCHEMA_DIR}/gschemas.compiled"
    compiled_mtime = fs.mtime(compiled)
    for name in fs.listdir(SCHEMA_DIR):
        if not name.endswith(".gschema.override"):
            continue
        path = f"{SCHEMA_DIR}/{name}"
        cp = _keyfile(fs.read_text(path) or "")
        if cp.has_section(schema) and cp.has_option(schema, key):
            value = _bool(cp.get(schema, key))
            if value is not None:
                state.overrides.append((path, value))
                mt = fs.mtime(path)
                if compiled_mtime is None or (mt is not None and mt > compiled_mtime):
                    state.override_newer_than_compiled.append(path)
    if state.installed and compiled_mtime is not None:
        out = _gsettings(
            ["get", schema, key],
            {
                "GSETTINGS_SCHEMA_DIR": str(fs.host_path(SCHEMA_DIR)),
                "GSETTINGS_BACKEND": "memory",
                "XDG_DATA_DIRS": "/nonexistent-wscard",
            },
        )
        state.compiled = _bool(out) if out is not None else None
    dconf_path = "/" + schema.replace(".", "/")
    for db in fs.listdir("/etc/dconf/db"):
        if not db.endswith(".d"):
            continue
        for name in fs.listdir(f"/etc/dconf/db/{db}"):
            path = f"/etc/dconf/db/{db}/{name}"
            if name == "locks":
                for lock in fs.listdir(path):
                    text = fs.read_text(f"{path}/{lock}") or ""
                    if f"{dconf_path}/{key}" in [ln.strip() for ln in text.splitlines()]:
                        state.dconf_locked = True
                continue
            cp = _keyfile(fs.read_text(path) or "")
            section = dconf_path.lstrip("/")
            if cp.has_section(section) and cp.has_option(section, key):
                value = _bool(cp.get(section, key))
                if value is not None:
                    state.dconf.append((path, value))
    if fs.is_live and state.installed:
        out = _gsettings(["get", schema, key])
        state.session_value = _bool(out) if out is not None else None
    return state
