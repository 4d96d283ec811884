"""Node-wide guest budgets: a guest starting children in a loop is refused, not obeyed."""

from __future__ import annotations

import socket

import pytest
import trio
import trio.testing

from wetnode.cell import Limits
from wetnode.cell.children import CellSpawner
from wetnode.errors import CellError


@pytest.mark.slow
async def test_spawns_past_max_guests_are_refused_until_one_ends(engine, probe_wasm):
    """Issue 12, attack 12: nothing capped how many children pid0 could start."""
    sockets: list[socket.socket] = []

    async def spawn(spawner: CellSpawner):
        host_end, guest_end = socket.socketpair()
        sockets.append(host_end)
        try:
            return await spawner.spawn(probe_wasm, ["echo"], {}, guest_end)
        except BaseException:
            guest_end.close()
            raise

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
