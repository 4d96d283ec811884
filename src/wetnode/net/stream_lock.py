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

`install` gives every stream of a network one, in the network's own
"stream opened" notification: py-libp2p sends it as it creates the stream,
in and out, before protocol negotiation or any handler has it, so no task is
inside the old lock when it is replaced, and streams opened anywhere (the
swarm's, bitswap's, py-libp2p's own identify and ping) are covered.
"""

from __future__ import annotations

from types import TracebackType

import trio
from libp2p.abc import INetConn, INetStream, INetwork, INotifee
from libp2p.network.stream.net_stream import NetStream
from multiaddr import Multiaddr


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


def install(network: INetwork) -> None:
    """Give every stream ``network`` opens or accepts from now on a `StateLock`."""
    network.register_notifee(_LeanStreams())


class _LeanStreams(INotifee):
    """Swaps in the lean lock as each stream opens; ignores the other events."""

    async def opened_stream(self, network: INetwork, stream: INetStream) -> None:
        if isinstance(stream, NetStream):  # streams of other kinds keep their own
            stream._state_lock = StateLock()  # type: ignore[assignment]

    async def closed_stream(self, network: INetwork, stream: INetStream) -> None:
        pass

    async def connected(self, network: INetwork, conn: INetConn) -> None:
        pass

    async def disconnected(self, network: INetwork, conn: INetConn) -> None:
        pass

    async def listen(self, network: INetwork, multiaddr: Multiaddr) -> None:
        pass

    async def listen_close(self, network: INetwork, multiaddr: Multiaddr) -> None:
        pass
