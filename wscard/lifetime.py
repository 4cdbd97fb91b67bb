"""Child processes and private folders that do not outlive the run, even when the run is
killed with SIGKILL (nothing of the run's own clean-up then runs).

Two mechanisms, because each covers what the other cannot:

* **Parent-death signal** (:func:`tied`): on Linux a child the harness starts is
  exec'd through a tiny wrapper (``python -c``: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``,
  then ``exec``), so the kernel sends it SIGTERM the moment the thread that started it
  dies. It needs no helper process, and holds even if the watchdog below is killed too.
  It is used only for children started from the main thread (the kernel ties the signal
  to the starting *thread*: a child started from a short-lived thread would be killed
  when that thread ends).
* **Watchdog** (:func:`watchdog`): one small process per run, in its own session, reading
  a pipe from the run. It is told the private folders and the children; when the pipe
  reaches end-of-file (the run ended, however it ended) it sends SIGTERM to the process
  group of every child still alive (SIGKILL 3 s later), removes every folder still
  listed, and exits. A run that stops normally has already removed them: the watchdog
  then has nothing to do. Folders are removed by the watchdog, not left to the next run,
  because they hold keys (the Samba DC's database and TLS key, SoftHSM tokens, Kerberos
  tickets) and there may be no next run.

On start-up the watchdog also removes private folders (``wscard-*`` in the temporary
folder, marked with an owner file) whose owner process is gone: a run whose watchdog was
killed along with it (``kill -9`` of both, a crash of the machine with a persistent /tmp).
Folders of live runs, of other users, and folders without the owner mark are never
touched.

Windows: :func:`tied` returns the command unchanged and no watchdog is started (the lab
path starts no servers there); nothing POSIX-only is imported at start-up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

OWNER_FILE = ".wscard-owner"
PREFIX = "wscard-"
#: Seconds between the watchdog's SIGTERM and SIGKILL to a child that lingers.
KILL_GRACE_SECONDS = 3.0

_TIE = r"""
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(1, int(signal.SIGTERM), 0, 0, 0) != 0:  # PR_SET_PDEATHSIG
    sys.exit("wscard: prctl(PR_SET_PDEATHSIG) failed: " + os.strerror(ctypes.get_errno()))
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)  # the run died before the signal was armed
os.execv(sys.argv[2], sys.argv[2:])
"""

_WATCHDOG = r"""
import os, shutil, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
tmp, prefix, owner_file, grace = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

# start_time(pid): the module's own, put before this script (_watchdog_script)

# folders of runs that died without their watchdog
try:
    names = os.listdir(tmp)
except OSError:
    names = []
for name in names:
    path = os.path.join(tmp, name)
    if not name.startswith(prefix) or os.path.islink(path):
        continue
    try:
        if os.stat(path).st_uid != os.getuid():  # only this user's own folders
            continue
    except OSError:
        continue
    try:
        with open(os.path.join(path, owner_file)) as fh:
            pid, started = fh.read().split()[:2]
    except (OSError, ValueError):
        continue
    if start_time(pid) != started:
        shutil.rmtree(path, ignore_errors=True)

dirs, procs = set(), {}
for line in sys.stdin:
    cmd, _, arg = line.rstrip("\n").partition(" ")
    if cmd == "D":
        dirs.add(arg)
    elif cmd == "d":
        dirs.discard(arg)
    elif cmd == "P":
        pid, started = arg.split()
        procs[int(pid)] = started
    elif cmd == "p":
        procs.pop(int(arg), None)

def group_left(pid):
    # members of the process group the child leads (its forks), the leader gone or not
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[2] == str(pid) and fields[0] not in "ZX":
                return True
    return False

# children still alive as registered (a reused PID is not ours), or whose forks are: a PID
# stays reserved while a group of that ID has members, so those members are the child's
alive = {pid for pid, started in procs.items() if start_time(pid) == started or group_left(pid)}
for sig in (signal.SIGTERM, signal.SIGKILL):
    for pid in alive:
        try:
            os.killpg(pid, sig)
        except OSError:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = {pid for pid in alive if start_time(pid) == procs[pid] or group_left(pid)}
    if not alive:
        break
for path in dirs:
    shutil.rmtree(path, ignore_errors=True)
"""


def supported() -> bool:
    """Children and folders are tied to the run on this platform (Linux)."""
    return sys.platform.startswith("linux")


def start_time(pid: int | str = "self") -> str | None:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field 22):
    with the PID, it names a process even after the PID is reused. None if gone (or a
    zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if len(fields) < 20 or fields[0] in "ZX" else fields[19]  # a zombie is dead


def _watchdog_script() -> str:
    """The watchdog's code: :func:`start_time`'s source, then :data:`_WATCHDOG` (the
    watchdog runs as ``python -I -S -c``, where this package cannot be imported)."""
    import inspect

    return inspect.getsource(start_time) + _WATCHDOG


def tied(argv: list[str]) -> list[str]:
    """``argv`` wrapped so the child gets SIGTERM when the thread starting it dies (Linux,
    main thread); else ``argv`` unchanged. ``argv[0]`` is looked up on ``PATH``; raises
    FileNotFoundError when it is not found (as ``subprocess.Popen`` would)."""
    if not supported() or threading.current_thread() is not threading.main_thread():
        return list(argv)
    exe = argv[0] if os.sep in argv[0] else shutil.which(argv[0])
    if exe is None or not os.path.exists(exe):
        raise FileNotFoundError(2, "No such file or directory", argv[0])
    return [sys.executable, "-I", "-S", "-c", _TIE, str(os.getpid()), exe, *argv[1:]]


def spawn(argv: list[str], **popen_kwargs: Any) -> subprocess.Popen:
    """``subprocess.Popen(argv, ...)`` for a child that must not outlive the run: started
    through :func:`tied`, and told to the watchdog (its process group is signalled:
    pass ``start_new_session=True`` for children that fork). Stop it as usual, then
    call :func:`forget` (or let the watchdog find it gone)."""
    proc = subprocess.Popen(tied(argv), **popen_kwargs)
    dog = watchdog()
    if dog is not None:
        started = start_time(proc.pid)
        if started is not None:
            dog.send(f"P {proc.pid} {started}")
    return proc


def forget(proc: subprocess.Popen | None) -> None:
    """The child ``proc`` has been stopped: the watchdog no longer watches it."""
    dog = _WATCHDOG_PROC
    if proc is not None and dog is not None:
        dog.send(f"p {proc.pid}")


def stop(proc: subprocess.Popen | None, grace_seconds: float = 5.0) -> None:
    """Stop the child ``proc`` that this run started, then :func:`forget` it: SIGTERM, up
    to ``grace_seconds`` seconds for it to exit, then SIGKILL and up to ``grace_seconds``
    seconds more. Nothing is sent to a child that has already exited; ``None`` does nothing.
    Signals the child only, not its process group. Raises subprocess.TimeoutExpired when the
    child outlives SIGKILL by ``grace_seconds`` (stuck in the kernel); it is then still
    watched by the watchdog."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace_seconds)
    forget(proc)


def private_dir(prefix: str) -> Path:
    """A new folder (mode 0700) in the temporary folder, named ``<prefix>XXXX``
    (``prefix`` starts with ``wscard-``), that is removed by the watchdog if the run
    dies before :func:`remove` does."""
    if not prefix.startswith(PREFIX):
        raise ValueError(f"private folders are named {PREFIX}*: {prefix!r}")
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o700)
    started = start_time()
    if started is not None:
        (path / OWNER_FILE).write_text(f"{os.getpid()} {started}\n")
    dog = watchdog()
    if dog is not None:
        dog.send(f"D {path}")
    return path


def remove(path: Path | str | None) -> None:
    """Remove a folder made by :func:`private_dir` and tell the watchdog."""
    if path is None:
        return
    shutil.rmtree(path, ignore_errors=True)
    dog = _WATCHDOG_PROC
    if dog is not None:
        dog.send(f"d {path}")


def keep(path: Path | str) -> None:
    """Keep a folder made by :func:`private_dir` after the run (``--ad-keep``, debugging):
    the watchdog forgets it and the owner mark goes, so no later run removes it."""
    Path(path, OWNER_FILE).unlink(missing_ok=True)
    dog = _WATCHDOG_PROC
    if dog is not None:
        dog.send(f"d {path}")


class _Watchdog:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _watchdog_script(), tempfile.gettempdir(), PREFIX, OWNER_FILE,
             str(KILL_GRACE_SECONDS)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, text=True, bufsize=1,
        )
        self.pid = os.getpid()
        self._lock = threading.Lock()

    def send(self, line: str) -> None:
        with self._lock:
            try:
                self.proc.stdin.write(line + "\n")  # type: ignore[union-attr]
                self.proc.stdin.flush()  # type: ignore[union-attr]
            except (OSError, ValueError):  # the watchdog is gone: the run's own clean-up still runs
                pass


_WATCHDOG_PROC: _Watchdog | None = None
_WATCHDOG_LOCK = threading.Lock()


def watchdog() -> _Watchdog | None:
    """This process's watchdog, started on first use (None where not :func:`supported`).
    A forked child (pytest-xdist worker started by fork) gets its own."""
    global _WATCHDOG_PROC
    if not supported():
        return None
    with _WATCHDOG_LOCK:
        if _WATCHDOG_PROC is None or _WATCHDOG_PROC.pid != os.getpid():
            _WATCHDOG_PROC = _Watchdog()
        return _WATCHDOG_PROC
