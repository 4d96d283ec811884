"""Noise packets are cut from bulk reads of the TCP stream, and the swarm's connections use them.

py-libp2p read each packet with two reads (its length, then its body); a
connection's reader now takes whatever the kernel holds in one read.  The
cutting is pure logic, tested on scripted reads; the swarm's connections are
real ones between two swarms.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.io.exceptions import IncompleteReadError

from tests.support.swarms import open_to
from wetnode.net.noise_reads import READ_SIZE, BufferedPacketReader
from wetnode.net.swarm import open_swarm

ECHO = "/wetnode-test/noise-reads/1.0.0"


def _packet(body: bytes) -> bytes:
    return len(body).to_bytes(2, "big") + body


class _Reads:
    """A TCP stream that returns the given pieces, one per read, then end-of-stream."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.asked: list[int | None] = []

    async def read(self, n: int | None = None) -> bytes:
        self.asked.append(n)
        return self.pieces.pop(0) if self.pieces else b""


async def _read_all(reader: BufferedPacketReader, count: int) -> list[bytes]:
    return [await reader.read_msg() for _ in range(count)]


async def test_several_packets_that_came_in_one_read_are_cut_from_it():
    bodies = [b"a" * 10, b"", b"b" * 300, b"c"]
    reads = _Reads([b"".join(_packet(body) for body in bodies)])
    reader = BufferedPacketReader(reads)
    assert await _read_all(reader, 4) == bodies
    assert reads.asked == [READ_SIZE]  # one read of the stream for all four


async def test_a_packet_split_across_reads_anywhere_is_put_back_together():
    body = bytes(range(256)) * 300  # 76,800 bytes: more than one read's worth
    wire = _packet(body[:65_535]) + _packet(body[65_535:])
    pieces = [wire[:1], wire[1:3], wire[3:70_000], wire[70_000:]]
    reader = BufferedPacketReader(_Reads(pieces))
    assert b"".join(await _read_all(reader, 2)) == body


async def test_the_stream_ending_between_packets_is_a_clean_close():
    reader = BufferedPacketReader(_Reads([_packet(b"last")]))
    assert await reader.read_msg() == b"last"
    with pytest.raises(IncompleteReadError) as ended:
        await reader.read_msg()
    assert ended.value.is_clean_close


async def test_the_stream_ending_inside_a_packet_is_not_a_clean_close():
    reader = BufferedPacketReader(_Reads([_packet(b"cut short")[:5]]))
    with pytest.raises(IncompleteReadError) as ended:
        await reader.read_msg()
    assert not ended.value.is_clean_close
    assert (ended.value.expected_bytes, ended.value.received_bytes) == (9, 3)  # of the body


async def _echo(stream: INetStream) -> None:
    while data := await stream.read(1 << 20):
        await stream.write(data)
    await stream.close()


def _packet_reader(stream: INetStream) -> Any:
    return stream.muxed_conn.secured_conn.conn.read_writer  # type: ignore[attr-defined]


async def test_the_swarms_connections_read_packets_in_bulk_and_carry_any_size():
    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        with trio.fail_after(60):
            stream = await open_to(a, b, ECHO, _echo)
            assert isinstance(_packet_reader(stream), BufferedPacketReader)
            for size in (1, 64, 65_519, 65_520, 200_000, 1 << 20):
                payload = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
                got = b""
                async with trio.open_nursery() as nursery:  # more than a window: read as we write
                    nursery.start_soon(stream.write, payload)
                    while len(got) < size:
                        got += await stream.read(size - len(got))
                assert got == payload
            await stream.close()
