"""A peer sending past a stream's yamux receive window loses its connection, not the node's memory.

py-libp2p 0.8.1 buffered whatever a peer sent on a stream nobody read, and
only logged a peer that ignored the window it was given; the pump stops
reading a stream whose peer has too many calls open, so such a peer could
be buffered without end.  These frames are written straight onto the
connection (the sender's own window checks skipped), as a hostile peer would.
"""

from __future__ import annotations

import struct

import trio
from libp2p.abc import INetStream
from libp2p.io.exceptions import IOException
from libp2p.stream_muxer.yamux.yamux import DEFAULT_WINDOW_SIZE, TYPE_DATA, YAMUX_HEADER_FORMAT

from tests.support.swarms import open_to
from wetnode.net.swarm import Swarm, open_swarm

UNREAD = "/wetnode-test/unread/1.0.0"
FRAME = 64 * 1024
BOUND = 10.0  # seconds for the node to drop the connection


async def _stalled_stream(a: Swarm, b: Swarm, release: trio.Event) -> INetStream:
    async def unread(_stream: INetStream) -> None:
        await release.wait()  # never reads: the window is all the peer may send

    return await open_to(a, b, UNREAD, unread)


async def _send_raw(stream: INetStream, total: int) -> None:
    """DATA frames for ``stream`` worth ``total`` bytes, whatever its send window says."""
    muxed = stream.muxed_conn
    stream_id = stream.muxed_stream.stream_id  # type: ignore[attr-defined]
    header = struct.pack(YAMUX_HEADER_FORMAT, 0, TYPE_DATA, 0, stream_id, FRAME)
    for _ in range(total // FRAME):
        await muxed._write_frame(header + bytes(FRAME))  # type: ignore[attr-defined]


async def test_a_peer_sending_past_the_receive_window_has_its_connection_closed():
    release = trio.Event()
    async with (
        open_swarm(port=0, host="127.0.0.1") as a,
        open_swarm(port=0, host="127.0.0.1") as b,
        open_swarm(port=0, host="127.0.0.1") as c,
    ):
        stream = await _stalled_stream(a, b, release)
        with trio.fail_after(BOUND):
            try:
                await _send_raw(stream, 4 * DEFAULT_WINDOW_SIZE)
                assert await stream.read(1) == b""  # nothing comes back but the end
            except IOException:
                pass  # the connection went away under the sender
        release.set()
        # The node itself carries on: another peer connects and is served.
        with trio.fail_after(BOUND):
            honest = await _stalled_stream(c, b, trio.Event())
            await honest.write(b"x" * (DEFAULT_WINDOW_SIZE // 2))  # within its window
