"""py-libp2p's per-stream state lock, without the schedule points nobody waits on.

`NetStream.read` and `write` take a `trio.Lock` around a check of the
stream's state on every call, and the check itself never awaits.  An
uncontended `trio.Lock.acquire` still yields to trio's scheduler once (a
cancel-shielded checkpoint), so a small RPC call paid a scheduler pass for
each read and each write at each end of its stream, for nothing.  (The read
or write that follows is a checkpoint of its own.)
`StateLock` takes the lock at once when it is free and only waits (through
the trio lock) when another task holds it, as the stream's close does while
it tells the swarm: the state the check reads is the same either way.
"""

from __future__ import annotations

from types import TracebackType

import trio
from libp2p.abc import INetStream
from libp2p.network.stream.net_stream import NetStream


class StateLock:
    """A `trio.Lock` as an async context manager that enters without a checkpoint
    when the lock is free."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = trio.Lock()

    async def __aenter__(self) -> None:
        try:
            self._lock.acquire_nowait()
        except trio.WouldBlock:
            await self._lock.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()


def lean(stream: INetStream) -> INetStream:
    """``stream`` with a `StateLock` (streams of other kinds are left as they are).
    Call it only while no task is inside the stream's state lock: on a stream just
    opened or just handed to its handler."""
    if isinstance(stream, NetStream):
        stream._state_lock = StateLock()  # type: ignore[assignment]
    return stream
