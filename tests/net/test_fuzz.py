"""Garbage on the export protocol aborts that stream only; the node keeps serving."""

from __future__ import annotations

import random
import struct

import trio

from tests.support.garbage import send_garbage
from wetnode import client
from wetnode.net.dial import parse_peer_address
from wetnode.net.swarm import open_swarm
from wetnode.rpc import schema

SEED = 20261122


def _frames(rng: random.Random) -> list[bytes]:
    """Random bytes, and Cap'n Proto frames that lie about their size or stop short."""
    frames = [rng.randbytes(rng.randint(1, 4096)) for _ in range(12)]
    frames += [
        struct.pack("<II", 0, 10) + bytes(24),  # one segment of 10 words, 3 sent
        struct.pack("<II", 0, 0x7FFFFFFF),  # a 16 GiB segment
        struct.pack("<I", 0xFFFF) + bytes(8),  # 65536 segments, table cut off
        struct.pack("<II", 0, 2) + b"\xff" * 16,  # a message of bad pointers
        struct.pack("<II", 0, 1)[:5],  # header cut mid-word
    ]
    return frames


async def _echo(cap, text):
    return (await cap.echo(text)).response


async def test_random_and_truncated_frames_abort_only_their_stream(node):
    peer_id, transport = parse_peer_address(node.address)
    frames = _frames(random.Random(SEED))
    async with client.dial(node.address, interface=schema.system().Executor) as bystander:
        async with open_swarm(port=0, host="127.0.0.1") as swarm:
            await swarm.connect(peer_id, [transport])
            async with trio.open_nursery() as nursery:
                for frame in frames:
                    nursery.start_soon(send_garbage, swarm, peer_id, frame)
                    assert await bystander.run(_echo, "during") == "during"
        assert await bystander.run(_echo, "after") == "after"
    assert node.proc.poll() is None
    async with client.dial(node.address, interface=schema.system().Executor) as newcomer:
        assert await newcomer.run(_echo, "new client") == "new client"
