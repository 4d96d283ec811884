"""Byte transports for a vat: a blocking read(max), and writes that need not block.

`read` returns b"" at end of stream.  `try_write` writes what the peer takes
now (maybe nothing) and `wait` blocks until it takes more or has sent
something: a vat whose peer stops reading its calls until it has read their
results must read those while its writes wait (`Vat._flush`).  Natively the
transport is a socket; inside a guest it is the WIT channel
(`wetnode.guest.wasm`).
"""

from __future__ import annotations

import select
import socket
from typing import Protocol


class Transport(Protocol):
    def read(self, max_bytes: int) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def try_write(self, data: memoryview) -> int:
        """Write what the peer takes of ``data`` without blocking; return how many bytes."""
        ...

    def wait(self) -> bool:
        """Block until a write can proceed or there is something to read; True in the
        second case (a `read` then returns at once, maybe b"" for the end)."""
        ...


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

    def try_write(self, data: memoryview) -> int:
        try:
            return self.sock.send(data, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0

    def wait(self) -> bool:
        return wait_readable_or_writable(self.sock)


def wait_readable_or_writable(sock: socket.socket) -> bool:
    """Block until ``sock`` takes a write or has something to read: True in the second
    case (an end or an error reads as something, which a read then returns).  With
    poll, as select refuses descriptors past 1023.  (Natively only: inside a guest the
    transport is the WIT channel, whose host side calls this.)"""
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLOUT)
    readable = select.POLLIN | select.POLLHUP | select.POLLERR
    return any(mask & readable for _fd, mask in poller.poll())
