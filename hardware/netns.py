"""Linux network namespaces, for keeping vpcd off the network.

Debian's vsmartcard-vpcd (3.3) listens for virtual cards on 0.0.0.0 (ports 35963 and
35964) and has no setting for the address; its "reversed mode" (vpcd connects out to the
card) crashes pcscd as soon as the card is not listening (the server socket is -1 and
select() aborts on it). So when the harness starts pcscd itself it starts it in a private
network namespace whose only interface is loopback: vpcd's port cannot be reached from
any network, and the virtual cards connect to it from a thread that joins that namespace
(setns is per thread; the socket keeps working from every thread afterwards).
Linux only, and needs CAP_SYS_ADMIN (root in CI).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import threading
from typing import Callable, TypeVar

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
T = TypeVar("T")


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def unshare_network() -> None:
    """Move the calling process into a new network namespace and bring loopback up
    (used as ``preexec_fn`` of the pcscd the harness starts)."""
    if _libc().unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare(CLONE_NEWNET): {os.strerror(err)}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | IFF_UP))


def namespace_of(pid: int | str = "self") -> str:
    """Identity of a process's network namespace (``net:[4026531840]``)."""
    return os.readlink(f"/proc/{pid}/ns/net")


def run_in_namespace(pid: int, fn: Callable[[], T]) -> T:
    """Run ``fn`` on a thread that has joined the network namespace of process ``pid``."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
            try:
                if _libc().setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns into the network namespace of pid {pid}: {os.strerror(err)}")
            finally:
                os.close(fd)
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    t = threading.Thread(target=target, name=f"netns-{pid}", daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def interfaces(pid: int | str = "self") -> list[str]:
    """Network interfaces visible in the namespace of ``pid``."""
    with open(f"/proc/{pid}/net/dev") as fh:
        lines = fh.read().splitlines()[2:]
    return [ln.split(":", 1)[0].strip() for ln in lines if ":" in ln]


def listening_addresses(port: int, pid: int | str = "self") -> list[str]:
    """Local addresses listening on TCP ``port`` in the namespace of ``pid``."""
    out = []
    for name, fam in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            with open(f"/proc/{pid}/net/{name}") as fh:
                rows = fh.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) < 4 or cols[3] != "0A":  # LISTEN
                continue
            addr_hex, port_hex = cols[1].split(":")
            if int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(addr_hex)
            if fam == socket.AF_INET:
                out.append(socket.inet_ntop(fam, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                out.append(socket.inet_ntop(fam, words))
    return out


def only_loopback_can_reach(port: int, pid: int | str = "self") -> bool:
    """True when nothing but loopback can connect to ``port`` in that namespace: it
    listens on loopback addresses only, or the namespace has no interface but ``lo``."""
    addrs = listening_addresses(port, pid)
    if addrs and all(a.startswith("127.") or a == "::1" for a in addrs):
        return True
    return set(interfaces(pid)) <= {"lo"}
