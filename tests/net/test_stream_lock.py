"""py-libp2p's per-stream state lock, entered without a schedule point when it is free.

The lock's rules are pure trio logic, tested on their own; the swarm's streams
are real ones between two swarms, both ends of which carry the lean lock.
"""

from __future__ import annotations

import trio
import trio.testing
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol

from tests.support.swarms import open_to, read_exactly
from wetnode.net.stream_lock import StateLock
from wetnode.net.swarm import open_swarm

ECHO = "/wetnode-test/stream-lock/1.0.0"


async def test_a_free_state_lock_is_entered_without_letting_another_task_run():
    lock, ran = StateLock(), []

    async def other() -> None:
        ran.append("other")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(other)  # runs at this task's next schedule point
        for _ in range(3):
            async with lock:
                pass
        assert ran == []
        await trio.testing.wait_all_tasks_blocked()
        assert ran == ["other"]


async def test_a_held_state_lock_makes_the_next_task_wait_until_it_is_released():
    lock, order = StateLock(), []

    async def second() -> None:
        async with lock:
            order.append("second")

    async with trio.open_nursery() as nursery:
        async with lock:
            nursery.start_soon(second)
            await trio.testing.wait_all_tasks_blocked()
            order.append("first, still holding")
        await trio.testing.wait_all_tasks_blocked()
    assert order == ["first, still holding", "second"]


async def test_every_stream_of_the_swarm_in_and_out_carries_the_lean_lock_and_echoes():
    served: list[INetStream] = []

    async def echo(stream: INetStream) -> None:
        served.append(stream)
        while data := await stream.read(1 << 16):
            await stream.write(data)
        await stream.close()

    async with open_swarm(port=0, host="127.0.0.1") as a, open_swarm(port=0, host="127.0.0.1") as b:
        with trio.fail_after(60):
            stream = await open_to(a, b, ECHO, echo)
            for message in (b"x", b"y" * 1000):
                await stream.write(message)
                assert await read_exactly(stream, len(message)) == message
            await stream.close()
            assert isinstance(stream._state_lock, StateLock)  # type: ignore[attr-defined]
            assert isinstance(served[0]._state_lock, StateLock)  # type: ignore[attr-defined]
            # A stream opened on the host itself, as bitswap opens its own, has it too.
            direct = await a.host.new_stream(b.peer_id, [TProtocol(ECHO)])
            assert isinstance(direct._state_lock, StateLock)  # type: ignore[attr-defined]
            await direct.close()
