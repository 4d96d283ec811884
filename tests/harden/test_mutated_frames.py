"""A fuzz run: 12,000 mutated Cap'n Proto frames through every parser a peer's bytes reach.

The seeds are well-formed RPC messages of each kind a peer may send; each
mutation flips bytes, cuts, extends or rewrites the segment table, or
splices two frames.  In process, every frame goes through the framing
parser (`wire.FrameDecoder`), the pure-Python decoder walking every field,
a fresh sans-IO `Connection` (as a guest's SDK runs it) and the pump's
`Coalescer`; then a share of them goes to a real node's exported membrane
over libp2p, while an honest peer keeps being answered.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Iterator

import trio

from tests.harden.attack import Node, bystander
from tests.support.garbage import send_garbage
from wetnode.capnproto import wire
from wetnode.capnproto.connection import Connection
from wetnode.capnproto.schemas import rpc as R
from wetnode.net.dial import parse_peer_address
from wetnode.net.framing import Coalescer
from wetnode.net.swarm import open_swarm

SEED = 20261201
FRAMES = 12_000
OVER_THE_WIRE = 400  # of them, each on its own stream to the node
RESENDS = 100  # times a frame is sent again after the node refused its stream


def _seeds() -> list[bytes]:
    """One well-formed frame of each message kind a peer sends."""
    seeds = []
    builders: list[Callable[[object], None]] = [
        lambda m: setattr(m.init("bootstrap"), "questionId", 0),
        _call,
        _return,
        lambda m: setattr(m.init("finish"), "questionId", 3),
        _release,
        lambda m: setattr(m.init("abort"), "reason", "fuzz"),
    ]
    for build in builders:
        mb, msg = R.Message.new_message()
        build(msg)
        seeds.append(bytes(mb.to_bytes()))
    return seeds


def _call(msg: object) -> None:
    call = msg.init("call")  # type: ignore[attr-defined]
    call.questionId = 3
    call.interfaceId = 0xE6C7E4C5B5D1D3E9
    call.methodId = 1
    call.init("target").importedCap = 0
    params = call.init("params")
    content = params.init("content").init_struct(1, 2)
    content.set(struct.Struct("<Q"), 0, 7)
    (desc,) = params.init("capTable", 1)
    desc.senderHosted = 4


def _return(msg: object) -> None:
    ret = msg.init("return")  # type: ignore[attr-defined]
    ret.answerId = 0
    results = ret.init("results")
    results.init("content").init_struct(2, 1)
    (desc,) = results.init("capTable", 1)
    desc.senderHosted = 1


def _release(msg: object) -> None:
    release = msg.init("release")  # type: ignore[attr-defined]
    release.id = 1
    release.referenceCount = 2


def _mutations(rng: random.Random, seeds: list[bytes]) -> Iterator[bytes]:
    """``FRAMES`` mutated frames, the same ones for the same seed."""
    for i in range(FRAMES):
        data = bytearray(rng.choice(seeds))
        kind = i % 6
        if kind == 0:  # flip a few bytes anywhere
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:  # flip bits in the message body only
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(8, len(data))
                data[at] ^= 1 << rng.randrange(8)
        elif kind == 2:  # cut short
            del data[rng.randrange(1, len(data)) :]
        elif kind == 3:  # lie in the segment table
            count = rng.choice([0, 0, 1, 2, 511, 512, 0xFFFFFFFF])
            size = rng.choice([0, 1, len(data) // 8, 0x7FFFFFFF, rng.randrange(1 << 20)])
            data[:8] = struct.pack("<II", count, size)
        elif kind == 4:  # splice two frames at random points
            other = rng.choice(seeds)
            data = data[: rng.randrange(len(data))] + other[rng.randrange(len(other)) :]
        else:  # grow: trailing garbage or a repeated tail
            data += rng.randbytes(rng.randint(1, 64)) if i % 2 else data[8:]
        yield bytes(data)


def _decodes_or_refuses(frame: bytes) -> bool:
    """Frame it and walk every field; True if it read, False if refused with DecodeError."""
    try:
        for message in wire.FrameDecoder().feed(frame):
            R.Message.read(message).to_dict()
    except wire.DecodeError:
        return False
    return True


def _connection_stays_sound(frame: bytes) -> bool:
    """A fresh connection given ``frame``: its own output is always well-formed, and a
    close leaves nothing pending.  True if it aborted."""
    conn = Connection()
    conn.receive(frame)
    for message in wire.FrameDecoder().feed(conn.data_to_send()):
        R.Message.read(message).to_dict()  # raises if the connection wrote garbage
    aborted = conn.error is not None
    conn.peer_closed()
    assert conn.error is not None and conn.questions == {}
    return aborted


def _coalescer_keeps_every_byte(rng: random.Random, frames: list[bytes]) -> None:
    data = b"".join(frames)
    coalescer = Coalescer(stream_above=rng.choice([64, 4096, 64 * 1024]))
    out = bytearray()
    position = 0
    while position < len(data):
        step = rng.randint(1, 300)
        out += coalescer.feed(data[position : position + step])
        position += step
    out += coalescer.flush()
    assert bytes(out) == data


def test_twelve_thousand_mutated_frames_are_read_or_refused_cleanly():
    rng = random.Random(SEED)
    frames = list(_mutations(rng, _seeds()))
    assert len(frames) >= 10_000
    read = sum(_decodes_or_refuses(frame) for frame in frames)
    aborted = sum(_connection_stays_sound(frame) for frame in frames)
    for start in range(0, len(frames), 500):
        _coalescer_keeps_every_byte(rng, frames[start : start + 500])
    # Both outcomes occur: the mutations reach past the framing into the decoder.
    assert 0 < read < len(frames), read
    assert 0 < aborted < len(frames), aborted


async def test_mutated_frames_on_the_exported_membrane_end_only_their_stream(node: Node):
    frames = list(_mutations(random.Random(SEED), _seeds()))[:: FRAMES // OVER_THE_WIRE]
    peer_id, transport = parse_peer_address(node.address)
    async with bystander(node), open_swarm(port=0, host="127.0.0.1") as swarm:
        await swarm.connect(peer_id, [transport])
        limiter = trio.CapacityLimiter(8)  # within the node's streams per connection
        delivered = 0

        async def send(frame: bytes) -> None:
            # A stream the client saw end may still be open on a loaded node, which
            # then resets new ones at its limit: back off and send the frame again.
            nonlocal delivered
            async with limiter:
                for _ in range(RESENDS):
                    if await send_garbage(swarm, peer_id, frame):
                        delivered += 1
                        return
                    await trio.sleep(0.1)  # sleep-ok: a client's backoff after a refusal

        async with trio.open_nursery() as nursery:
            for frame in frames:
                nursery.start_soon(send, frame)
    assert delivered == len(frames), f"{delivered} of {len(frames)} frames reached the node"
