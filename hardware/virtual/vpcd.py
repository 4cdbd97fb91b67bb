"""Connecting a virtual card to a vpcd reader (vsmartcard's virtual reader inside pcscd).

The vpcd protocol: TCP; the card connects to vpcd (port 35963 for reader "Virtual PCD
00 00", 35964 for "00 01"). Every message is a 2-byte big-endian length and a payload. A
1-byte payload is a control: 00 power off, 01 power on, 02 reset, 04 get ATR (only that
one is answered, with the ATR). Longer payloads are command APDUs, answered with data and
SW1SW2. Connecting is inserting the card, closing the socket is removing it.

vpcd writes the length and the body separately; without TCP_QUICKACK on the card's
socket before each receive, every APDU waits for a delayed ACK (about 40 ms). Each
message is read to its full length.
"""

from __future__ import annotations

import socket
import threading
from typing import Callable

from .card import VirtualCard

TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", 12)
BASE_PORT = 35963


def _quickack(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 1)
    except OSError:
        pass


def _recv_exact(sock: socket.socket, n: int, quickack: bool = True) -> bytes | None:
    buf = b""
    while len(buf) < n:
        if quickack:
            _quickack(sock)
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


class VpcdLink:
    """One virtual card in one vpcd reader. ``insert()`` connects, ``remove()`` closes."""

    def __init__(self, card: VirtualCard, reader_index: int = 0, host: str = "127.0.0.1",
                 connect: Callable[[Callable[[], socket.socket]], socket.socket] | None = None,
                 quickack: bool = True):
        self.card = card
        self.quickack = quickack  # off only to measure what it saves (benchmarks/bench_card.py)
        self.reader_index = reader_index
        self.port = BASE_PORT + reader_index
        self.host = host
        self._connect_wrapper = connect or (lambda fn: fn())
        self.sock: socket.socket | None = None
        self.thread: threading.Thread | None = None

    @property
    def inserted(self) -> bool:
        return self.sock is not None

    def _open(self) -> socket.socket:
        s = socket.create_connection((self.host, self.port), timeout=3)
        s.settimeout(None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.quickack:
            _quickack(s)
        return s

    def insert(self) -> None:
        if self.sock is not None:
            return
        self.sock = self._connect_wrapper(self._open)
        self.thread = threading.Thread(target=self._serve, args=(self.sock,), daemon=True,
                                       name=f"vpcd-card-{self.reader_index}")
        self.thread.start()

    def remove(self) -> None:
        sock, self.sock = self.sock, None
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        if self.thread is not None:
            self.thread.join(timeout=3)
            self.thread = None
        self.card.power_off()

    def _serve(self, sock: socket.socket) -> None:
        card = self.card
        while True:
            head = _recv_exact(sock, 2, self.quickack)
            if head is None:
                break
            size = int.from_bytes(head, "big")
            payload = _recv_exact(sock, size, self.quickack) if size else b""
            if payload is None:
                break
            if size == 1:
                ctrl = payload[0]
                if ctrl == 0x00:
                    card.power_off()
                elif ctrl == 0x01:
                    card.power_on()
                elif ctrl == 0x02:
                    card.reset()
                elif ctrl == 0x04:
                    self._send(sock, card.atr)
                continue
            if size == 0:
                continue
            self._send(sock, card.process(payload))
        if self.sock is sock:  # the reader went away (pcscd stopped)
            self.sock = None

    @staticmethod
    def _send(sock: socket.socket, data: bytes) -> None:
        try:
            sock.sendall(len(data).to_bytes(2, "big") + data)
        except OSError:
            pass
