"""pcscd lifecycle for machines without systemd (CI containers): start ``pcscd -f`` when
none runs, wait for the virtual readers, and stop only the pcscd this helper started.

The pcscd started here reads a private reader configuration (``pcscd -c DIR``) holding
only the vpcd reader, and runs in a private network namespace whose only interface is
loopback (see :mod:`hardware.netns`): vpcd's ports 35963/35964 cannot be reached from
the network, and nothing under /etc is used or changed. pcscd is never started with
``-a``/``-d`` (APDU logging would write PIN bytes to its log).

Linux only; imported by the virtual-card backends, never at start-up.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from wscard import lifetime
from wscard.errors import EnvironmentProblem

from . import netns

DEFAULT_SOCKET = "/run/pcscd/pcscd.comm"
PID_FILE = "/run/pcscd/pcscd.pid"
VPCD_PORT = 35963  # reader "Virtual PCD 00 00"; 35964 is "Virtual PCD 00 01"
VPCD_READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
VPCD_DRIVERS = (
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so",
)

READER_CONF = """# written by the wscard harness (hardware/pcscd.py): vpcd only
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      {driver}
CHANNELID    0x8C7B
"""


def socket_path() -> str:
    return os.environ.get("PCSCLITE_CSOCK_NAME", DEFAULT_SOCKET)


def running() -> bool:
    """Does a pcscd answer on its socket?"""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(socket_path())
        except OSError:
            return False
    return True


def daemon_pid() -> int | None:
    try:
        pid = int(Path(PID_FILE).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def vpcd_driver() -> str | None:
    for p in VPCD_DRIVERS:
        if Path(p).exists():
            return p
    return None


@dataclass
class VpcdEndpoint:
    """Where a virtual card connects: 127.0.0.1:port, inside the namespace of ``pid``
    (None: this process's own namespace)."""

    netns_pid: int | None
    loopback_only: bool
    listening: list[str]


class PcscdHelper:
    """Start pcscd when none runs; stop it again only if this helper started it."""

    def __init__(self, isolate_network: bool = True):
        self.isolate_network = isolate_network
        self.proc: subprocess.Popen | None = None
        self.workdir: Path | None = None
        self.log_path: Path | None = None

    @property
    def started(self) -> bool:
        return self.proc is not None

    def ensure(self, need_vpcd: bool = True, timeout: float = 5.0) -> None:
        if running():
            return
        binary = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)
        if binary is None:
            raise EnvironmentProblem(
                "no pcscd is running and none is installed: install the Debian package 'pcscd' "
                "(tools/apt-packages.txt) or start the PC/SC service"
            )
        driver = vpcd_driver()
        if need_vpcd and driver is None:
            raise EnvironmentProblem(
                "the vpcd reader driver (libifdvpcd.so) is missing: install the Debian package 'vsmartcard-vpcd'"
            )
        self.workdir = lifetime.private_dir("wscard-pcscd-")
        conf = self.workdir / "reader.conf.d"
        conf.mkdir()
        if driver:
            (conf / "vpcd").write_text(READER_CONF.format(driver=driver))
        self.log_path = self.workdir / "pcscd.log"
        Path(socket_path()).parent.mkdir(parents=True, exist_ok=True)
        preexec = netns.unshare_network if self.isolate_network else None
        with open(self.log_path, "wb") as log:
            try:
                # tied to this run: a run killed with SIGKILL does not leave its pcscd behind
                self.proc = lifetime.spawn(
                    [binary, "-f", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, preexec_fn=preexec, start_new_session=True,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                self.proc = None
                raise EnvironmentProblem(
                    f"could not start pcscd in a private network namespace ({exc}); that needs root "
                    "(CAP_SYS_ADMIN). Run tools/ci-card-setup.sh as root, or start pcscd yourself."
                ) from None
        deadline = time.monotonic() + timeout
        while not running():
            if self.proc.poll() is not None:
                log_text = self.log_path.read_text(errors="replace")[-800:]
                code, self.proc = self.proc.returncode, None
                raise EnvironmentProblem(f"pcscd exited at start-up (status {code}): {log_text}")
            if time.monotonic() > deadline:
                self.stop()
                raise EnvironmentProblem(f"pcscd did not create {socket_path()} within {timeout:.0f} s")
            time.sleep(0.01)

    def pid(self) -> int | None:
        if self.proc is not None:
            return self.proc.pid
        return daemon_pid()

    def vpcd_endpoint(self) -> VpcdEndpoint:
        """Where the virtual cards must connect, and whether only loopback can reach vpcd."""
        pid = self.pid()
        if pid is None:
            raise EnvironmentProblem(
                f"pcscd runs but its pid is unknown ({PID_FILE} missing), so the harness cannot tell "
                "whether vpcd is exposed to the network. Stop it, and let the harness start its own."
            )
        try:
            ours = netns.namespace_of("self")
            theirs = netns.namespace_of(pid)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot inspect pcscd (pid {pid}): {exc}") from None
        listening = netns.listening_addresses(VPCD_PORT, pid)
        if not listening:
            raise EnvironmentProblem(
                "the running pcscd has no vpcd reader listening on port 35963: install 'vsmartcard-vpcd' "
                "and restart pcscd, or stop pcscd so the harness starts its own (docs/card.md)"
            )
        return VpcdEndpoint(
            netns_pid=None if ours == theirs else pid,
            loopback_only=netns.only_loopback_can_reach(VPCD_PORT, pid),
            listening=listening,
        )

    def stop(self) -> None:
        """Stop the pcscd this helper started (SIGTERM, then SIGKILL); never another one."""
        proc, self.proc = self.proc, None
        lifetime.stop(proc, grace_seconds=5)
        if self.workdir is not None:
            lifetime.remove(self.workdir)
            self.workdir = None
