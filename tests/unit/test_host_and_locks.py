"""wscard.host (the cache folder, root, Linux-only parts) and wscard.locks (the one file
lock helper), on Linux and with Windows' view of them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wscard import host, locks
from wscard.errors import EnvironmentProblem

ROOT = Path(__file__).resolve().parents[2]


# --- the cache folder ----------------------------------------------------------------------

def test_cache_root_follows_wscard_cache_dir_everywhere(monkeypatch, tmp_path):
    monkeypatch.setenv("WSCARD_CACHE_DIR", str(tmp_path / "c"))
    for platform in ("linux", "win32"):
        monkeypatch.setattr(sys, "platform", platform)
        assert host.cache_root() == tmp_path / "c"
        assert host.cache_root("pki") == tmp_path / "c" / "pki"


def test_cache_root_on_linux_is_xdg(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("WSCARD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert host.cache_root("samba") == tmp_path / "xdg" / "wscard" / "samba"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert host.cache_root("pki") == Path.home() / ".cache" / "wscard" / "pki"


def test_cache_root_on_windows_is_local_app_data(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delenv("WSCARD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # not a Windows convention: ignored
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert host.cache_root("pki") == tmp_path / "Local" / "wscard" / "cache" / "pki"
    monkeypatch.delenv("LOCALAPPDATA")
    assert host.cache_root() == Path.home() / "AppData" / "Local" / "wscard" / "cache"


def test_the_pki_and_samba_caches_share_the_one_root(monkeypatch, tmp_path):
    from wscard import pki
    from wscard.ad import samba

    monkeypatch.setenv("WSCARD_CACHE_DIR", str(tmp_path))
    assert pki.cache_root() == tmp_path / "pki"
    assert samba.cache_root() == tmp_path / "samba"


# --- root, Linux-only parts ----------------------------------------------------------------

def test_running_as_root_without_geteuid_is_false(monkeypatch):
    monkeypatch.delattr(os, "geteuid", raising=False)
    assert host.running_as_root() is False


def test_running_as_root_reads_the_effective_uid(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert host.running_as_root() is True
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert host.running_as_root() is False


@pytest.mark.parametrize("platform, name", [("win32", "Windows"), ("darwin", "macOS")])
def test_linux_only_parts_say_so_in_one_line(monkeypatch, platform, name):
    monkeypatch.setattr(sys, "platform", platform)
    reason = host.linux_only("the thing", "do this instead")
    assert reason == f"the thing runs only on Linux (this machine runs {name}): do this instead"
    monkeypatch.setattr(sys, "platform", "linux")
    assert host.linux_only("the thing", "do this instead") is None


def test_virtual_card_backend_on_windows_refuses_before_touching_pcscd(monkeypatch):
    from hardware.backends import make_backend
    from wscard.profile import load_profile

    monkeypatch.setattr(sys, "platform", "win32")
    backend = make_backend(load_profile().replace("card", backend="virtual-cac").card)
    with pytest.raises(EnvironmentProblem, match=r"'virtual-cac' .* runs only on Linux \(this machine runs Windows\)"):
        backend.start()
    assert backend.helper is None and backend._vpcd_lock is None  # no pcscd, no machine-wide lock taken


# --- locks ---------------------------------------------------------------------------------

def _try_in_other_process(path: Path, timeout: float) -> str:
    code = ("import sys\nfrom wscard import locks\nfrom wscard.errors import EnvironmentProblem\n"
            f"try:\n    locks.acquire({str(path)!r}, {timeout!r}, busy='BUSY')\n    print('TAKEN')\n"
            "except EnvironmentProblem as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_held_lock_keeps_other_processes_out_until_released(tmp_path):
    path = tmp_path / "x.lock"
    held = locks.acquire(path)
    assert held.held and path.exists()
    assert _try_in_other_process(path, 0.2) == "Environment problem: BUSY"
    held.release()
    held.release()  # harmless
    assert not held.held
    assert _try_in_other_process(path, 0.2) == "TAKEN"


def test_a_lock_is_not_reentrant_within_a_process(tmp_path):
    path = tmp_path / "x.lock"
    with locks.acquire(path):
        with pytest.raises(EnvironmentProblem, match=r"the lock .*x\.lock has been held by another run for more than 0\.2 s"):
            locks.acquire(path, 0.2)
    with locks.acquire(path, 0.2) as again:
        assert again.held


def test_a_lock_can_be_released_by_another_thread(tmp_path):
    held = locks.acquire(tmp_path / "x.lock")
    t = threading.Thread(target=held.release)
    t.start()
    t.join()
    assert not held.held
    assert _try_in_other_process(tmp_path / "x.lock", 0.2) == "TAKEN"


def test_the_lock_of_a_killed_process_is_free(tmp_path):
    path = tmp_path / "x.lock"
    proc = subprocess.Popen([sys.executable, "-c", f"from wscard import locks\nheld = locks.acquire({str(path)!r})\n"
                             "print('held', flush=True)\nimport time\ntime.sleep(60)"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(EnvironmentProblem):
            locks.acquire(path, 0.2)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    with locks.acquire(path, 2):
        pass


def test_a_lock_file_that_cannot_be_created_is_an_environment_problem(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(EnvironmentProblem, match=r"cannot create the lock file .*a-file.x\.lock"):
        locks.acquire(tmp_path / "a-file" / "x.lock", 0.2)


@pytest.mark.skipif(sys.platform == "win32", reason="/tmp is the POSIX machine-wide folder")
def test_machine_locks_live_in_the_machines_tmp_not_tmpdir(monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(locks.tempfile, "tempdir", None)
    assert locks.machine_lock_path("vpcd") == Path("/tmp/wscard-vpcd.lock")


def test_machine_locks_on_windows_are_in_temp(monkeypatch, tmp_path):
    for var in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(var, str(tmp_path))
    monkeypatch.setattr(locks.tempfile, "tempdir", None)
    monkeypatch.setattr(sys, "platform", "win32")
    assert locks.machine_lock_path("vpcd") == tmp_path / "wscard-vpcd.lock"


def test_every_lock_of_the_project_goes_through_the_helper():
    """No module of the project locks files by itself (fcntl, msvcrt, filelock elsewhere)."""
    offenders = []
    for folder in ("wscard", "hardware", "steps", "tools"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "wscard" / "locks.py" or path == ROOT / "tools" / "simulate_windows.py":
                continue
            text = path.read_text(encoding="utf-8")
            for needle in ("fcntl.flock", "fcntl.lockf", "msvcrt.locking", "import filelock", "from filelock"):
                if needle in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []
