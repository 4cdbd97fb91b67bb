"""Set-up and tear-down of the simulated domain controller: a full cycle leaves no
process, no directory and no open port behind and changes nothing in /etc (nor in
Samba's system folders); Samba goes away by itself when the process that started it
dies. No DC runs in this module outside the tests (one DC per machine at a time).

Skipped, with the install command, where Samba is not installed."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wscard.ad import samba
from wscard.profile import load_profile

REASON = samba.unavailable_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

ROOT = Path(__file__).resolve().parents[2]
WATCHED = [Path("/etc/samba"), Path("/etc/krb5.conf"), Path("/etc/nsswitch.conf"), Path("/etc/pam.d"),
           Path("/var/lib/samba"), Path("/run/samba"), Path("/var/cache/samba"), Path("/var/log/samba")]


def fingerprint(paths=WATCHED) -> dict[str, str]:
    """Path -> sha256 of the content (or 'dir' / 'missing') of everything under ``paths``."""
    out = {}
    for top in paths:
        if not top.exists():
            out[str(top)] = "missing"
            continue
        for p in [top] if top.is_file() else sorted(top.rglob("*")):
            try:
                out[str(p)] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            except OSError as exc:
                out[str(p)] = f"unreadable: {exc.strerror}"
    return out


def samba_pids() -> set[int]:
    pids = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip().startswith("samba"):
                    pids.add(int(d.name))
            except OSError:
                pass
    return pids


def test_full_cycle_leaves_nothing_behind_and_etc_unchanged():
    profile = load_profile()
    before = fingerprint()
    t0 = time.monotonic()
    d = samba.start_for_profile(profile)
    started = time.monotonic() - t0
    try:
        pid, work = d.pid, d.workdir
        assert pid in samba_pids() and work.exists()
        assert oct(work.stat().st_mode & 0o777) == "0o700"
        assert oct((d.root / "tls" / "key.pem").stat().st_mode & 0o777) == "0o600"
        conf = (d.root / "etc" / "smb.conf").read_text()
        assert "interfaces = 127.0.0.1" in conf and "server services = ldap, cldap, kdc" in conf
        paths = [line.split("=", 1)[1].strip() for line in conf.splitlines() if "= /" in line]
        assert paths and all(p.startswith(str(work) + "/") for p in paths), paths
    finally:
        t1 = time.monotonic()
        d.stop()
        stopped = time.monotonic() - t1
    assert pid not in samba_pids()
    assert d.processes() == []
    assert not work.exists()
    # the ports are free of ours; checked in the DC's turn, so no other run's DC is starting there
    from wscard import locks

    with locks.acquire(samba.turn_lock_path("127.0.0.1"), 300):
        assert not any(samba.port_in_use("127.0.0.1", p) for p in (389, 636, 88))
    assert fingerprint() == before
    print(f"\nAD full cycle: start {started:.2f} s {d.timings}; stop {stopped:.2f} s")


def test_samba_exits_when_the_process_that_started_it_dies(tmp_path):
    """No orphan even after kill -9: Samba's standard input is a pipe from its parent."""
    script = tmp_path / "owner.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from wscard.profile import load_profile\n"
        "from wscard.ad import samba\n"
        "d = samba.start_for_profile(load_profile())\n"
        "print(d.pid, d.workdir, flush=True)\n"
        "time.sleep(120)\n")
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    work = None
    try:
        line = owner.stdout.readline().split()
        assert line, "the owner process did not start a DC"
        pid, work = int(line[0]), Path(line[1])
        assert pid in samba_pids()
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 10
        while pid in samba_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pid not in samba_pids(), "samba outlived the process that started it"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(10)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)  # a killed owner cannot clean up
