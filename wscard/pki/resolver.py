"""The name resolver seam for OCSP URLs.

The OCSP process depends on whether a responder's name *resolves* (OCSP-2) and, if it
does, whether the responder *answers* (OCSP-3). Tests and the simulated world need to
make a name unresolvable, or point it at a port that accepts connections and never
answers, without touching the machine's DNS: they use a :class:`MapResolver`. Live
environments use :class:`SystemResolver` (the machine's resolver, with a bounded wait).
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
from dataclasses import dataclass
from typing import Mapping, Protocol


class Unresolvable(Exception):
    """The name could not be resolved (the message says why)."""


@dataclass(frozen=True)
class Endpoint:
    address: str
    port: int
    #: Longest wait for an answer at this endpoint, seconds, when shorter than the
    #: query's own timeout (None: the query's timeout). Set only for the simulated
    #: world's ``silent`` port, which by construction never answers
    #: (``[pki] silent_wait_seconds``).
    wait: float | None = None

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


class Resolver(Protocol):
    def resolve(self, host: str, port: int) -> list[Endpoint]:
        """Where to connect for ``host:port``; raises :class:`Unresolvable`."""


def _ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class SystemResolver:
    """The machine's resolver (getaddrinfo), with a bound on the wait."""

    kind = "system"

    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout

    def resolve(self, host: str, port: int) -> list[Endpoint]:
        ip = _ip(host)
        if ip:
            return [Endpoint(ip, port)]
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        fut = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        try:
            infos = fut.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            raise Unresolvable(f"{host}: no answer from the resolver within {self.timeout:g} s") from None
        except socket.gaierror as exc:
            raise Unresolvable(f"{host}: {exc.strerror or exc}") from None
        finally:
            pool.shutdown(wait=False)
        out = []
        for _family, _type, _proto, _canon, addr in infos:
            ep = Endpoint(addr[0], addr[1])
            if ep not in out:
                out.append(ep)
        if not out:
            raise Unresolvable(f"{host}: no addresses")
        return out


class MapResolver:
    """A fixed table: host name -> endpoint. Names not in the table cannot be resolved;
    the machine's DNS is never asked. IP literals resolve to themselves."""

    kind = "simulated"

    def __init__(self, table: Mapping[str, Endpoint | tuple[str, int]] | None = None):
        self.table: dict[str, Endpoint] = {}
        for host, ep in (table or {}).items():
            self.add(host, ep)

    def add(self, host: str, endpoint: Endpoint | tuple[str, int]) -> "MapResolver":
        if not isinstance(endpoint, Endpoint):
            endpoint = Endpoint(*endpoint)
        self.table[host.lower().rstrip(".")] = endpoint
        return self

    def resolve(self, host: str, port: int) -> list[Endpoint]:
        ip = _ip(host)
        if ip:
            return [Endpoint(ip, port)]
        ep = self.table.get(host.lower().rstrip("."))
        if ep is None:
            raise Unresolvable(f"{host}: name not found (NXDOMAIN in the simulated resolver)")
        return [ep]


def simulated_resolver(hosts: Mapping[str, str], responder: Endpoint | None,
                       silent: Endpoint | None) -> MapResolver:
    """The resolver of ``[pki] resolver = "simulated"``: ``responder`` and ``silent``
    targets are the local test responder's ports (``silent.wait``, when set, bounds the
    wait there); ``HOST:PORT`` is taken as given."""
    r = MapResolver()
    for host, target in hosts.items():
        if target == "responder":
            if responder is not None:
                r.add(host, responder)
        elif target == "silent":
            if silent is not None:
                r.add(host, silent)
        else:
            h, _, p = target.rpartition(":")
            r.add(host, Endpoint(h.strip("[]"), int(p)))
    return r


def is_public_address(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False
