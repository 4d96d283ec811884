"""yamux's lean frame writes and stream reads keep py-libp2p's behaviour, either way.

`wetnode.net.muxer` writes frames and reads streams without py-libp2p's
per-frame debug lines; with py-libp2p's yamux logger at DEBUG its own
methods run.  Each test runs both ways and expects the same outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.network.stream.exceptions import StreamEOF, StreamReset
from libp2p.stream_muxer.yamux import yamux as libp2p_yamux

from tests.support.swarms import open_to
from wetnode.net.muxer import Yamux
from wetnode.net.swarm import StreamHandler, Swarm, open_swarm

PROTOCOL = "/wetnode-test/yamux-lean/1.0.0"
BOUND = 30.0  # seconds for each exchange


@pytest.fixture(params=["lean", "traced"])
def yamux_logging(request: pytest.FixtureRequest) -> Iterator[str]:
    logger = libp2p_yamux.logger
    level = logger.level
    if request.param == "traced":
        logger.setLevel(logging.DEBUG)
    try:
        yield request.param
    finally:
        logger.setLevel(level)


async def _open(a: Swarm, b: Swarm, handler: StreamHandler) -> INetStream:
    stream = await open_to(a, b, PROTOCOL, handler)
    assert type(stream.muxed_conn) is Yamux
    return stream


async def _read_to_end(stream: INetStream) -> bytes:
    got = b""
    try:
        while data := await stream.read(4096):
            got += data
    except StreamEOF:
        pass
    return got


async def test_bytes_written_then_closed_are_all_read_then_the_end(yamux_logging: str):
    payload = bytes(range(256)) * 40  # 10 KiB, read in 4 KiB pieces

    async def writer(stream: INetStream) -> None:
        await stream.write(payload)
        await stream.close()

    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        with trio.fail_after(BOUND):
            stream = await _open(a, b, writer)
            await stream.write(b"go")
            assert await _read_to_end(stream) == payload


async def test_a_reset_by_the_peer_ends_a_waiting_read(yamux_logging: str):
    async def resetter(stream: INetStream) -> None:
        await stream.read(2)
        await stream.reset()

    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        with trio.fail_after(BOUND):
            stream = await _open(a, b, resetter)
            await stream.write(b"go")
            # py-libp2p drops a reset stream's state, so the read sees it gone (an end)
            with pytest.raises((StreamEOF, StreamReset)):
                await stream.read(4096)


async def test_many_requests_on_many_streams_are_each_answered(yamux_logging: str):
    async def echo(stream: INetStream) -> None:
        while data := await stream.read(4096):
            await stream.write(data)

    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        with trio.fail_after(BOUND):
            first = await _open(a, b, echo)
            answered = 0

            async def client(index: int) -> None:
                nonlocal answered
                stream = first if index == 0 else await a.open_stream(b.peer_id, PROTOCOL)
                for call in range(20):
                    text = f"{index}:{call}".encode()
                    await stream.write(text)
                    assert await stream.read(4096) == text
                    answered += 1
                await stream.close()

            async with trio.open_nursery() as nursery:
                for index in range(10):
                    nursery.start_soon(client, index)
    assert answered == 200


def _sink(received: bytearray, total: int, done: trio.Event) -> StreamHandler:
    async def handler(stream: INetStream) -> None:
        while len(received) < total:
            received.extend(await stream.read(1 << 20))
        done.set()

    return handler


async def test_writes_of_any_size_from_one_task_arrive_whole_and_in_order(yamux_logging: str):
    pieces = [b"a" * 64, bytes(range(256)) * 1200, b"b" * 64, b"c" * 70_000, b"d"]  # 300 KiB:
    total = sum(map(len, pieces))  # more than the window, so py-libp2p's path writes it
    received = bytearray()
    done = trio.Event()
    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        with trio.fail_after(BOUND):
            stream = await _open(a, b, _sink(received, total, done))
            for piece in pieces:
                await stream.write(piece)
            await done.wait()
    assert bytes(received) == b"".join(pieces)


async def test_concurrent_writers_on_one_stream_keep_each_writers_order(yamux_logging: str):
    writers, records = 25, 40
    total = writers * records * 64
    received = bytearray()
    done = trio.Event()

    async def writer(stream: INetStream, index: int) -> None:
        for record in range(records):
            await stream.write(f"{index:03}:{record:03}".encode().ljust(64, b"."))

    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        with trio.fail_after(BOUND):
            stream = await _open(a, b, _sink(received, total, done))
            async with trio.open_nursery() as nursery:
                for index in range(writers):
                    nursery.start_soon(writer, stream, index)
            await done.wait()
    seen: dict[int, list[int]] = {}
    for offset in range(0, total, 64):
        writer_text, record_text = bytes(received[offset : offset + 7]).decode().split(":")
        seen.setdefault(int(writer_text), []).append(int(record_text))
    assert seen == {index: list(range(records)) for index in range(writers)}


async def _unread_stream(a: Swarm, b: Swarm, release: trio.Event) -> INetStream:
    async def never_reads(_stream: INetStream) -> None:
        await release.wait()

    return await _open(a, b, never_reads)


async def test_a_stream_nobody_reads_stops_its_writer_at_the_window(yamux_logging: str):
    release = trio.Event()
    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        stream = await _unread_stream(a, b, release)
        muxed: Any = stream.muxed_stream  # type: ignore[attr-defined]
        window = muxed.send_window
        written = 0
        with trio.move_on_after(2):  # py-libp2p's writer waits 5 s for credit
            while True:
                await stream.write(b"w" * 1000)
                written += 1000
                assert muxed.send_window == window - written
        assert window - 1000 < written <= window
        with trio.fail_after(BOUND):  # the connection is intact: the peer saw no excess
            echo = await a.open_stream(b.peer_id, PROTOCOL)
            assert echo.muxed_conn is stream.muxed_conn
        release.set()


async def test_a_write_cancelled_before_it_starts_sends_nothing_and_keeps_the_window(
    yamux_logging: str,
):
    release = trio.Event()
    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        stream = await _unread_stream(a, b, release)
        muxed: Any = stream.muxed_stream  # type: ignore[attr-defined]
        window = muxed.send_window
        with trio.CancelScope() as scope:
            scope.cancel()
            await muxed.write(b"c" * 1000)
        assert scope.cancelled_caught
        assert muxed.send_window == window
        release.set()
