"""File locks between processes: the one helper every lock of the project goes through.

Two kinds of lock, both exclusive:

* a lock in a cache folder (the test PKI being built, the Samba template cache), held
  while one process builds what the others will read;
* a *machine-wide* lock (:func:`machine_lock_path`) for something there is only one of
  per machine (the two vpcd readers, the simulated DC's fixed ports), held for as long as
  the process uses it.

The locking is `filelock <https://py-filelock.readthedocs.io/>`_'s: ``flock`` on Linux and
macOS, ``LockFileEx`` on Windows. Either way the operating system drops the lock when the
holding process ends, however it ends, so a crashed run never leaves a lock behind. No
POSIX-only module is imported here (this module is on the start-up path on Windows).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EnvironmentProblem

if TYPE_CHECKING:
    from filelock import FileLock

__all__ = ["HeldLock", "acquire", "machine_lock_path"]

#: Where machine-wide locks live on Linux and macOS: the machine's /tmp, not ``$TMPDIR``
#: (which a run may point elsewhere) nor the cache folder (which ``$WSCARD_CACHE_DIR`` moves).
POSIX_LOCK_DIR = Path("/tmp")


def machine_lock_path(name: str) -> Path:
    """``/tmp/wscard-<name>.lock`` on Linux and macOS; on Windows ``%TEMP%\\wscard-<name>.lock``
    (the parts that take machine-wide locks, virtual readers and the simulated DC, run
    only on Linux)."""
    folder = Path(tempfile.gettempdir()) if sys.platform == "win32" or not POSIX_LOCK_DIR.is_dir() else POSIX_LOCK_DIR
    return folder / f"wscard-{name}.lock"


class HeldLock:
    """A lock this process holds; :meth:`release` (or leaving the ``with`` block) lets go.
    Releasing twice is harmless."""

    def __init__(self, lock: FileLock):
        self._lock = lock

    @property
    def path(self) -> Path:
        return Path(self._lock.lock_file)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)

    def __enter__(self) -> "HeldLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"HeldLock({str(self.path)!r}, held={self.held})"


def acquire(path: str | Path, timeout: float | None = None, *, busy: str | None = None,
            poll: float = 0.1) -> HeldLock:
    """Take the exclusive lock ``path`` (the file, and its folder, are created; mode 0600),
    waiting until it is free. Keep the result: the lock is released when it is released,
    when the process ends, or when the :class:`HeldLock` is garbage-collected.

    :param timeout: seconds to wait at most; ``None`` waits as long as it takes.
    :param busy: the message of the :class:`EnvironmentProblem` raised when ``timeout``
        passes (say who holds it and what to do); a generic one naming the file otherwise.
    :param poll: seconds between attempts while another process holds the lock.
    :returns: the :class:`HeldLock`; it is not tied to the thread that took it.
    :raises EnvironmentProblem: the lock stayed taken for ``timeout`` seconds, or the
        lock file cannot be created (the message names it).
    """
    # imported here, when a lock is first taken: on Windows filelock loads msvcrt and kernel32,
    # and nothing on the start-up path needs it
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), mode=0o600, thread_local=False)
    try:
        lock.acquire(timeout=-1 if timeout is None else timeout, poll_interval=poll)
    except Timeout:
        raise EnvironmentProblem(
            busy or f"the lock {path} has been held by another run for more than {timeout:g} s") from None
    except OSError as exc:
        raise EnvironmentProblem(f"cannot create the lock file {path}: {exc.strerror or exc}") from None
    return HeldLock(lock)

