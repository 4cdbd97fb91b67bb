"""TCP ports of the servers the harness starts: is a port free, who holds it, and one
clear error when it is not free.

Every server the harness starts (the moto server, the Samba DC, the OCSP responder)
listens on a loopback address. When its port is taken, the user gets
:class:`PortInUse` at once, naming the address, the port, the process holding it when
this machine can tell (Linux ``/proc``), and the fix; never a hang or a bare
``OSError``.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from .errors import EnvironmentProblem


class PortInUse(EnvironmentProblem):
    """A TCP port the harness must listen on is taken (the message names it and the fix)."""

    def __init__(self, address: str, ports: list[int] | tuple[int, ...] | int, fix: str):
        ports = [ports] if isinstance(ports, int) else list(ports)
        self.address = address
        self.ports = ports
        held = []
        for port in ports:
            who = holder(address, port)
            held.append(f"{port}" + (f" (held by {who})" if who else ""))
        noun = "port" if len(ports) == 1 else "ports"
        verb = "is" if len(ports) == 1 else "are"
        super().__init__(f"{noun} {', '.join(held)} on {address} {verb} already in use: {fix}")


def port_in_use(address: str, port: int) -> bool:
    """Can nothing listen on ``address:port`` now (another socket listens there)?"""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name == "posix":  # on Windows SO_REUSEADDR would let us bind over a listener
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


def listen(address: str, port: int, fix: str, backlog: int = 128) -> socket.socket:
    """A TCP socket listening on ``address:port`` (``port`` 0: a free one).

    Raises :class:`PortInUse` when the port is taken, :class:`EnvironmentProblem` when it
    cannot be used at all (a port below 1024 without root, a port over 65535, an address
    that is not this machine's).
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if os.name == "posix":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        s.listen(backlog)
        return s
    except OverflowError:
        s.close()
        raise EnvironmentProblem(f"port {port} is not a TCP port (0-65535): {fix}") from None
    except OSError as exc:
        s.close()
        if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
            raise PortInUse(address, port, fix) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise EnvironmentProblem(
                f"port {port} on {address} needs root (ports below 1024 are privileged): {fix}") from None
        raise EnvironmentProblem(f"cannot listen on {address}:{port} ({exc.strerror}): {fix}") from None


def holder(address: str, port: int) -> str | None:
    """``"pid 1234 (slapd)"`` for the process listening on ``address:port`` (or on every
    address), ``"another process"`` when the socket is seen but not its owner, None when
    this machine cannot tell (not Linux) or nothing listens. Reads ``/proc/net/tcp``."""
    inodes = _listening_inodes(address, port)
    if not inodes:
        return None
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            for fd in (pid_dir / "fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    try:
                        name = (pid_dir / "comm").read_text().strip()
                    except OSError:
                        name = "?"
                    return f"pid {pid_dir.name} ({name})"
        except OSError:  # another user's process, or gone
            continue
    return "another process"


def _listening_inodes(address: str, port: int) -> set[str]:
    """Inodes of the sockets listening on ``port`` at ``address`` or a wildcard address."""
    want = {_hex_ipv4(address), _hex_ipv4("0.0.0.0")}
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":  # 0A: LISTEN
                continue
            local_ip, _, local_port = fields[1].partition(":")
            if int(local_port, 16) != port:
                continue
            if table.endswith("tcp6") or local_ip in want:
                found.add(fields[9])
    return found


def _hex_ipv4(address: str) -> str:
    """The form /proc/net/tcp shows an IPv4 address in (little-endian hex)."""
    try:
        packed = socket.inet_aton(address)
    except OSError:
        return ""
    return packed[::-1].hex().upper()
