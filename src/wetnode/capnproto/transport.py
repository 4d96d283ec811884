"""Byte transports for a vat: anything with blocking read(max) and write(data).

`read` returns b"" at end of stream.  Natively that is a socket; inside a
guest it is the WIT channel (`wetnode.guest.wasm`).
"""

from __future__ import annotations

import socket
from typing import Protocol


class Transport(Protocol):
    def read(self, max_bytes: int) -> bytes: ...

    def write(self, data: bytes) -> None: ...


class SocketTransport:
    """A connected stream socket as a transport."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def read(self, max_bytes: int) -> bytes:
        try:
            return self.sock.recv(max_bytes)
        except (ConnectionResetError, OSError):
            return b""

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)
