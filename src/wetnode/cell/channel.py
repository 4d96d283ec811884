"""The guest's end of its channel: the `wetware:guest/channel` imports over a socket.

The host end is a plain socket (the RPC vat wraps it); the guest end is read
and written here with blocking calls on the guest's own thread, which release
the GIL.  Stopping a guest shuts the socket down, which wakes a blocked read
or wait; the read then traps instead of reporting EOF, so the guest cannot
carry on.

`try-write-latin1` and `wait` exist because the host stops reading a guest's
calls past its bound (`--guest-max-calls`) until the guest has taken their
results: a guest blocked in `write` would never take them.  The SDK writes
what the channel takes, and while it takes nothing waits for room *or* a
result, reading the results as they come (`wetnode.capnproto.vat`).
"""

from __future__ import annotations

import contextlib
import socket

from wasmtime import WasmtimeError
from wasmtime.component import Linker

from wetnode.capnproto.transport import wait_readable_or_writable
from wetnode.cell.capi import (
    ValArray,
    add_raw_func,
    put_bool,
    put_bytes,
    put_u32,
    take_bytes,
    take_latin1,
)

CHANNEL_INTERFACE = "wetware:guest/channel@0.1.0"
MAX_READ = 64 * 1024
"""Cap on one read: each byte handed to the guest is a 32-byte C value in transit."""


class GuestChannel:
    """Host functions `read`, `write`, `write-latin1`, `try-write-latin1` and `wait` bound
    to the guest's socket end."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._stop_reason: str | None = None
        self._callbacks: list[object] = []  # C callbacks: alive as long as the guest

    def define(self, linker: Linker) -> None:
        with linker.root() as root, root.add_instance(CHANNEL_INTERFACE) as channel:
            self._callbacks = [
                add_raw_func(channel, "read", self._read),
                add_raw_func(channel, "write", self._write),
                add_raw_func(channel, "write-latin1", self._write_latin1),
                add_raw_func(channel, "try-write-latin1", self._try_write_latin1),
                add_raw_func(channel, "wait", self._wait),
            ]

    def stop(self, reason: str) -> None:
        """Wake and fail any read or write in progress, and every later one (thread-safe)."""
        self._stop_reason = reason
        with contextlib.suppress(OSError):  # already shut down or closed
            self._sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._sock.close()

    def _read(self, params: ValArray, _count: int, results: ValArray) -> None:
        max_bytes = params[0].of.u32
        if max_bytes == 0:
            raise WasmtimeError("channel read of 0 bytes: max must be at least 1")
        try:
            data = self._sock.recv(min(max_bytes, MAX_READ))
        except OSError as exc:
            raise WasmtimeError(f"channel read failed: {exc}") from None
        if not data and self._stop_reason is not None:
            raise WasmtimeError(self._stop_reason)
        put_bytes(results[0], data)

    def _write(self, params: ValArray, _count: int, _results: ValArray) -> None:
        self._send(take_bytes(params[0]))

    def _write_latin1(self, params: ValArray, _count: int, _results: ValArray) -> None:
        self._send(take_latin1(params[0]))

    def _try_write_latin1(self, params: ValArray, _count: int, results: ValArray) -> None:
        data = take_latin1(params[0])
        self._check_stopped()
        try:
            sent = self._sock.send(data, socket.MSG_DONTWAIT) if data else 0
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            raise WasmtimeError(f"channel closed by the host: {exc}") from None
        put_u32(results[0], sent)

    def _wait(self, _params: ValArray, _count: int, results: ValArray) -> None:
        self._check_stopped()
        try:  # unbounded as a blocking read is: stop() wakes it
            readable = wait_readable_or_writable(self._sock)
        except OSError as exc:
            raise WasmtimeError(f"channel wait failed: {exc}") from None
        # A closed or stopped channel reads as its end: the guest's read then sees it.
        put_bool(results[0], readable)

    def _check_stopped(self) -> None:
        if self._stop_reason is not None:
            raise WasmtimeError(self._stop_reason)

    def _send(self, data: bytes) -> None:
        self._check_stopped()
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise WasmtimeError(f"channel closed by the host: {exc}") from None
