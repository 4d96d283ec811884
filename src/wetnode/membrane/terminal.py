"""The node's stdin as a trio stream: what ``GuestMembrane.stdin`` reads for pid0."""

from __future__ import annotations

import logging
import os

import trio

log = logging.getLogger(__name__)


class TerminalInput(trio.abc.ReceiveStream):
    """The node's stdin as a trio stream, for pid0's ``GuestMembrane.stdin``.

    A worker thread does each blocking read so that the terminal's file
    description is never switched to non-blocking (the shell shares it).  A
    read cancelled mid-way is abandoned to its thread; one instance serves the
    node's whole life, across pid0 reboots.
    """

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._eof = False

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._eof:
            return b""
        try:
            data = await trio.to_thread.run_sync(
                os.read, self._fd, max_bytes or 65536, abandon_on_cancel=True
            )
        except OSError as exc:  # no usable stdin (closed, not readable): end of stream
            log.debug("stdin: %s", exc)
            data = b""
        self._eof = not data
        return data

    async def aclose(self) -> None:
        self._eof = True
