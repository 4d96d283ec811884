"""yamux receive credit: small request/response traffic sends no WINDOW_UPDATE frames.

Each WINDOW_UPDATE is a frame of its own on the wire (a Noise message, a TCP
send, a wake-up of the peer); py-libp2p sent one after about every other
small read.  Credit now goes back once half the window is used, as go-yamux
does, and a transfer far larger than the window still completes.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from typing import Any

import trio
from libp2p.abc import INetStream
from libp2p.stream_muxer.yamux.yamux import TYPE_WINDOW_UPDATE

from tests.support.swarms import join, read_exactly
from wetnode.net.swarm import Swarm, open_swarm

ECHO = "/wetnode-test/credit/1.0.0"
WINDOW = 256 * 1024  # yamux's initial receive window


def count_window_updates(muxed_conn: Any, counts: list[int]) -> None:
    """Count the credit-only WINDOW_UPDATE frames this connection writes (no flags: not a
    stream's opening, acknowledgement, close or reset)."""
    write: Callable[..., Awaitable[None]] = muxed_conn._write_frame

    async def counting(frame: bytes, **options: Any) -> None:
        _version, kind, flags, _stream, delta = struct.unpack_from("!BBHII", frame)
        if kind == TYPE_WINDOW_UPDATE and flags == 0:
            counts.append(delta)
        await write(frame, **options)

    muxed_conn._write_frame = counting


async def exchange(swarm: Swarm, server: Swarm, send: bytes, rounds: int) -> tuple[int, int]:
    """`rounds` request/response round trips of `send` over one stream: WINDOW_UPDATE
    frames (client, server)."""
    client_updates: list[int] = []
    server_updates: list[int] = []

    async def echo(stream: INetStream) -> None:
        count_window_updates(stream.muxed_conn, server_updates)
        while data := await stream.read(len(send)):
            got = data
            while len(got) < len(send):
                got += await stream.read(len(send) - len(got))
            await stream.write(got)
        await stream.close()

    server.handle(ECHO, echo)
    await join(swarm, server)
    with trio.fail_after(60):
        stream = await swarm.open_stream(server.peer_id, ECHO)
        count_window_updates(stream.muxed_conn, client_updates)
        for _ in range(rounds):
            await stream.write(send)
            assert await read_exactly(stream, len(send)) == send
        await stream.close()
    return len(client_updates), len(server_updates)


async def test_small_calls_send_no_window_updates():
    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        client, server = await exchange(a, b, b"x" * 64, 200)
    assert (client, server) == (0, 0)  # 12.8 KB each way: far under half the window


async def test_a_transfer_many_windows_long_still_completes_with_batched_credit():
    chunk = b"y" * 32 * 1024
    rounds = 8 * WINDOW // len(chunk)  # 2 MiB each way: eight windows
    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        client, server = await exchange(a, b, chunk, rounds)
    # Credit goes back in batches of at least half a window, so a handful of frames.
    assert 1 <= client <= 16 and 1 <= server <= 16
