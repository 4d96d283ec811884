"""The node's stdin as a trio stream: what ``GuestMembrane.stdin`` reads for pid0."""

from __future__ import annotations

import contextlib
import logging
import os
import threading

import trio

log = logging.getLogger(__name__)


class TerminalInput(trio.abc.ReceiveStream):
    """The node's stdin as a trio stream, for pid0's ``GuestMembrane.stdin``.

    A worker thread does each blocking read so that the terminal's file
    description is never switched to non-blocking (the shell shares it).  One
    instance serves the node's whole life, across pid0 reboots, so a read
    outlives a cancelled receive: the next ``receive_some`` (the rebooted
    pid0's first) gets what it read.  Throwing that read away instead loses
    the first line typed after every epoch switch.
    """

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._eof = False
        self._pending: _Read | None = None
        self._leftover = b""  # a pending read may return more than the next receive asks for

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if not self._leftover:
            if self._eof:
                return b""
            if self._pending is None:
                self._pending = _Read(self._fd, max_bytes or 65536)
            await self._pending.done.wait()  # cancellable: the read stays pending
            self._leftover, self._pending = self._pending.data, None
            self._eof = not self._leftover
        size = max_bytes or len(self._leftover)
        data, self._leftover = self._leftover[:size], self._leftover[size:]
        return data

    async def aclose(self) -> None:
        self._eof = True


class _Read:
    """One ``os.read`` on a daemon thread; ``done`` is set in trio when it returns.

    A daemon thread, not trio's worker pool: a read nobody is waiting for
    (the node is stopping) must not hold up interpreter exit.
    """

    def __init__(self, fd: int, max_bytes: int) -> None:
        self.done = trio.Event()
        self.data = b""
        token = trio.lowlevel.current_trio_token()
        threading.Thread(
            target=self._read, args=(fd, max_bytes, token), name="stdin", daemon=True
        ).start()

    def _read(self, fd: int, max_bytes: int, token: trio.lowlevel.TrioToken) -> None:
        try:
            self.data = os.read(fd, max_bytes)
        except OSError as exc:  # no usable stdin (closed, not readable): end of stream
            log.debug("stdin: %s", exc)
        with contextlib.suppress(trio.RunFinishedError):  # the node has stopped: nobody waits
            token.run_sync_soon(self.done.set)
