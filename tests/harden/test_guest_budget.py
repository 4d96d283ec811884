"""Node-wide guest budgets: a guest starting children in a loop is refused, not obeyed."""

from __future__ import annotations

import socket

import pytest
import trio
import trio.testing

from wetnode.cell import Limits
from wetnode.cell.children import CellSpawner
from wetnode.errors import CellError

MIB = 1 << 20


def _spawner_of(wasm, sockets: list[socket.socket]):
    """``spawn(spawner)``: start ``wasm`` as a child (it echoes its args), keeping the
    host end of its channel in ``sockets``."""

    async def spawn(spawner: CellSpawner):
        host_end, guest_end = socket.socketpair()
        sockets.append(host_end)
        try:
            return await spawner.spawn(wasm, ["echo"], {}, guest_end)
        except BaseException:
            guest_end.close()
            raise

    return spawn


@pytest.mark.slow
async def test_spawns_past_max_guests_are_refused_until_one_ends(engine, probe_wasm):
    """Issue 12, attack 12: nothing capped how many children pid0 could start."""
    sockets: list[socket.socket] = []
    spawn = _spawner_of(probe_wasm, sockets)
    try:
        async with trio.open_nursery() as nursery:
            spawner = CellSpawner(engine, nursery, Limits(), max_guests=2)
            children = [await spawn(spawner), await spawn(spawner)]
            with pytest.raises(CellError) as refused:
                await spawn(spawner)
            assert "already runs 2 child guests, its limit (--max-guests)" in str(refused.value)
            children[0].kill()
            with trio.fail_after(30):
                await children[0].wait()
                await trio.testing.wait_all_tasks_blocked()  # its cell task has ended
            children.append(await spawn(spawner))  # the slot came back
            for child in children[1:]:
                child.kill()
    finally:
        for end in sockets:
            end.close()


@pytest.mark.slow
async def test_a_spawn_past_the_guest_memory_budget_is_refused_naming_the_guest(
    engine, probe_wasm
):
    """Issue 12, attack 12: children within their own limit added up past the node's RAM.
    With pid0 holding 64M of a 160M budget, one 64M child fits and a second does not."""
    sockets: list[socket.socket] = []
    spawn = _spawner_of(probe_wasm, sockets)
    try:
        async with trio.open_nursery() as nursery:
            spawner = CellSpawner(
                engine, nursery, Limits(memory_bytes=64 * MIB), memory_budget=160 * MIB,
                reserved=64 * MIB,
            )  # fmt: skip
            first = await spawn(spawner)
            with pytest.raises(CellError) as refused:
                await spawn(spawner)
            message = str(refused.value)
            assert "\n" not in message
            assert message.startswith("guest child-2 (") and str(probe_wasm) in message
            assert "(64M) and the running guests' (128M)" in message
            assert "budget (160M, --guest-memory-max)" in message
            first.kill()
            with trio.fail_after(30):
                await first.wait()
                await trio.testing.wait_all_tasks_blocked()  # its cell task has ended
            assert spawner.reserved == 64 * MIB
            (await spawn(spawner)).kill()  # its share came back
    finally:
        for end in sockets:
            end.close()
