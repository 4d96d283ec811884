"""A peer that never reads the node's answers loses that stream only.

yamux gives up a write after 5 s without receive credit from the peer
(py-libp2p raises ``MuxedStreamError``).  The pump must take that as the
end of that stream: reset it (the peer learns it is gone), stop its vat
side, and leave the connection and its other streams alone.
"""

from __future__ import annotations

import socket
import struct
from contextlib import suppress

import trio
from libp2p.abc import INetStream
from libp2p.network.stream.exceptions import StreamReset

from tests.support.swarms import join
from wetnode.net.pump import pump
from wetnode.net.swarm import open_swarm

ANSWERS = "/wetnode-test/answers/1.0.0"
PING = "/wetnode-test/ping/1.0.0"
MESSAGE_WORDS = 8 * 1024  # 64 KiB messages from the "vat"
MESSAGES = 16  # 1 MiB: four times yamux's initial window
STALL_BOUND = 15.0  # seconds: yamux's 5 s window timeout, the pump's 2 s close, slack


def message(words: int) -> bytes:
    """One framed one-segment Cap'n Proto message of ``words`` zero words."""
    return struct.pack("<II", 0, words) + bytes(8 * words)


async def test_a_peer_that_never_reads_answers_has_that_stream_reset_and_keeps_its_connection():
    pumped = trio.Event()

    async def answers(stream: INetStream) -> None:
        vat, pump_end = socket.socketpair()
        with vat:
            vat.setblocking(False)
            tvat = trio.socket.from_stdlib_socket(vat)
            async with trio.open_nursery() as nursery:

                async def answer() -> None:
                    view = memoryview(message(MESSAGE_WORDS) * MESSAGES)
                    with suppress(BrokenPipeError):  # the pump ended and closed its end
                        while view:
                            view = view[await tvat.send(view) :]

                nursery.start_soon(answer)
                await pump(stream, pump_end)
                nursery.cancel_scope.cancel()
        pumped.set()

    async def ping(stream: INetStream) -> None:
        await stream.write(await stream.read(4))
        await stream.close()

    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        b.handle(ANSWERS, answers)
        b.handle(PING, ping)
        await join(a, b)
        stalled = await a.open_stream(b.peer_id, ANSWERS)
        # The stream is open (negotiated); from now on this side never reads it.
        with trio.fail_after(STALL_BOUND):
            await pumped.wait()
        with trio.fail_after(STALL_BOUND):
            try:
                while await stalled.read(1 << 20):
                    pass
            except StreamReset:
                pass
            else:
                raise AssertionError("the stalled stream ended cleanly: it should be reset")
        with trio.fail_after(STALL_BOUND):
            other = await a.open_stream(b.peer_id, PING)
            await other.write(b"ping")
            assert await other.read(4) == b"ping"
