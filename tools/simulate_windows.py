"""Run a Python module on Linux as a Windows machine would import it, to prove that
nothing POSIX-only is on the harness's start-up path::

    .venv/bin/python tools/simulate_windows.py -m pytest --collect-only -q -m hw

What Windows lacks, taken away before the module runs:

* the modules ``fcntl``, ``pwd``, ``grp``, ``termios`` and ``resource`` (a meta-path
  finder refuses them, and copies already loaded are forgotten);
* the ``os`` functions Windows does not have (``geteuid``, ``getuid``, ``fork``,
  ``setsid``, ``killpg``, ``uname``... see :data:`REMOVED_OS`);
* ``sys.platform`` is ``"win32"`` (so ``platform.system()`` says "Windows"), and ``io``
  gets a dummy ``_WindowsConsoleIO`` (pytest's capture plugin looks it up on win32).

The standard-library modules that choose their implementation by platform when they are
imported (``subprocess``, ``asyncio``, ``ssl``, ...) and the installed libraries that do the
same (``filelock``, the portable lock library, and ``click``, under flask and moto's server:
on Windows they load ``msvcrt`` and ``kernel32``, which Linux does not have) are imported
first, as Linux built them. Not simulated: ``os.name`` and the path separator
(still ``posix`` and ``/``), ``winreg`` and ``msvcrt`` (absent), pyscard's WinSCard.

Exit status: the module's own; or 97 when code outside the standard library and the
installed packages (the project, its tests, a plugin) tried to import a POSIX-only
module, even if it caught the ImportError: each attempt is printed to stderr with the
importing line. A library's own guarded fallback (``getpass`` trying ``termios``) is
allowed: on Windows it takes the same fallback.

No third-party import at module level: this file sets the scene before anything else
is loaded. ``tests/unit/test_windows_startup.py`` runs it in CI.
"""

from __future__ import annotations

import importlib
import importlib.abc
import io
import os
import runpy
import sys
import sysconfig
import traceback

#: Modules a Windows Python does not have.
BLOCKED = ("fcntl", "pwd", "grp", "termios", "resource", "syslog", "posix", "crypt", "nis", "spwd", "pty", "tty",
           "readline")
#: ``os`` functions a Windows Python does not have.
REMOVED_OS = ("geteuid", "getuid", "getegid", "getgid", "getgroups", "fork", "forkpty", "setsid", "setpgid",
              "getpgid", "killpg", "uname")
#: Imported before the simulation starts: they choose their implementation by platform at import.
PRELOAD = ("ssl", "subprocess", "asyncio", "socket", "selectors", "shutil", "tempfile", "mimetypes", "ctypes",
           "urllib.request", "http.client", "multiprocessing", "multiprocessing.connection",
           "multiprocessing.managers", "concurrent.futures", "uuid", "platform",
           "getpass", "pathlib", "glob", "logging.handlers", "filelock", "click")
#: Exit status when the project tried to import a POSIX-only module.
VIOLATION_STATUS = 97

_LIBRARY_DIRS = tuple(sorted({os.path.realpath(p) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")
                              if (p := sysconfig.get_paths().get(key))}))


def _is_library(filename: str) -> bool:
    return filename.startswith("<") or os.path.realpath(filename).startswith(_LIBRARY_DIRS)


class PosixImportBlocker(importlib.abc.MetaPathFinder):
    """Refuses the modules of :data:`BLOCKED`; records who asked for them."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in BLOCKED:
            return None
        frames = [f for f in traceback.extract_stack()[:-1]
                  if not f.filename.startswith("<frozen") and "importlib" not in f.filename
                  and os.path.realpath(f.filename) != os.path.realpath(__file__)]
        if frames and not _is_library(frames[-1].filename):
            f = frames[-1]
            self.violations.append(f"import of {name!r} at {f.filename}:{f.lineno}: {(f.line or '').strip()}")
        raise ModuleNotFoundError(f"No module named {name!r} (simulated Windows)", name=name)


def simulate() -> PosixImportBlocker:
    """Make this interpreter look like Windows (see the module's docstring); returns the
    blocker, whose ``violations`` list the project's POSIX-only import attempts."""
    for name in PRELOAD:
        importlib.import_module(name)
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]
    blocker = PosixImportBlocker()
    sys.meta_path.insert(0, blocker)
    for attr in REMOVED_OS:
        if hasattr(os, attr):
            delattr(os, attr)
    sys.platform = "win32"
    import platform

    platform._uname_cache = None  # type: ignore[attr-defined]  # platform.system() -> "Windows"

    class _WindowsConsoleIO(io.RawIOBase):
        pass

    io._WindowsConsoleIO = _WindowsConsoleIO  # type: ignore[attr-defined]
    return blocker


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "-m":
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        print("usage: python tools/simulate_windows.py -m MODULE [ARGS...]", file=sys.stderr)
        return 2
    module, args = argv[1], argv[2:]
    blocker = simulate()
    sys.argv = [module, *args]
    if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
        sys.path[0] = os.getcwd()  # as `python -m MODULE` would have it
    status: int | str | None = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        status = exc.code
    finally:
        if blocker.violations:
            print(f"\nsimulated Windows: {len(blocker.violations)} attempt(s) to import a POSIX-only module:",
                  file=sys.stderr)
            for line in blocker.violations:
                print(f"  {line}", file=sys.stderr)
    if blocker.violations:
        return VIOLATION_STATUS
    if isinstance(status, str):
        print(status, file=sys.stderr)
        return 1
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
