"""This machine: where the harness keeps its caches, whether it has administrator
rights, and which parts of the simulated world can run here.

Nothing here imports a POSIX-only module (``fcntl``, ``pwd``, ``grp``, ``termios``,
``resource``) or calls one (``os.geteuid``): it is on every start-up path, Windows lab
PCs included (``tests/unit/test_windows_startup.py`` runs the start-up as Windows would).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["cache_root", "is_windows", "linux_only", "running_as_root", "system_name"]

_NAMES = {"win32": "Windows", "darwin": "macOS", "cygwin": "Cygwin"}


def is_windows() -> bool:
    """True on Windows (``sys.platform == "win32"``)."""
    return sys.platform == "win32"


def system_name() -> str:
    """"Linux", "Windows", "macOS" or ``sys.platform`` as is."""
    if sys.platform.startswith("linux"):
        return "Linux"
    return _NAMES.get(sys.platform, sys.platform)


def cache_root(area: str = "") -> Path:
    """The folder of the harness's on-disk caches (generated PKIs, Samba templates), with
    ``area`` appended (``cache_root("pki")``).

    ``$WSCARD_CACHE_DIR`` when set; otherwise on Windows ``%LOCALAPPDATA%\\wscard\\cache``
    (the per-user, non-roaming application data folder; ``~\\AppData\\Local`` if the
    variable is missing), elsewhere ``$XDG_CACHE_HOME/wscard`` or ``~/.cache/wscard``
    (the XDG Base Directory Specification). The folder is not created here."""
    env = os.environ.get("WSCARD_CACHE_DIR")
    if env:
        base = Path(env).expanduser()
    elif is_windows():
        local = os.environ.get("LOCALAPPDATA")
        base = (Path(local) if local else Path.home() / "AppData" / "Local") / "wscard" / "cache"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "wscard"
    return base / area if area else base


def running_as_root() -> bool:
    """True when the process runs as root (effective UID 0). Always False where there is
    no ``os.geteuid`` (Windows): nothing in the harness needs Windows administrator rights."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def linux_only(what: str, instead: str) -> str | None:
    """Why ``what`` cannot run on this machine, in one line (None on Linux), for a skip
    reason or an :class:`~wscard.errors.EnvironmentProblem`; ``instead`` says what to do
    here instead. Used by the parts of the simulated world built on Linux tools (the
    virtual cards behind pcscd and vpcd, the Samba AD DC)."""
    if sys.platform.startswith("linux"):
        return None
    return f"{what} runs only on Linux (this machine runs {system_name()}): {instead}"
