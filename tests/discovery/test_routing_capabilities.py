"""Finder and Announcer on the node's DHT: epoch-scoped, withdrawn when the guest goes."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

from tests.discovery.test_dht import _dhts, _transport
from wetnode.membrane.epoch import Epoch, EpochClock
from wetnode.membrane.errors import StaleEpoch
from wetnode.membrane.servers.routing import AnnouncerServer, FinderServer
from wetnode.net.routing import DhtRouting, key_multihash, name_key


async def test_an_announcement_lasts_until_its_guest_goes() -> None:
    async with _dhts(3) as (a, b, c), trio.open_nursery() as nursery:
        hub = [(b.swarm.peer_id, _transport(b.swarm))]
        await a.bootstrap(hub)
        await c.bootstrap(hub)
        announcing, finding = DhtRouting(a, nursery), DhtRouting(c, nursery)
        key = announcing.hash(b"echo-service")
        assert key == finding.hash(b"echo-service")
        guest_a, guest_b, guest_c = trio.Event(), trio.Event(), trio.Event()
        await announcing.provide(key, guest_a)
        await announcing.provide(key, guest_b)  # a second guest, same name
        found = await finding.find(key, 16, guest_c)
        assert [p.peer_id for p in found] == [a.swarm.peer_id.to_bytes()]
        guest_a.set()
        await trio.testing.wait_all_tasks_blocked()
        assert a.provides(key_multihash(key))  # guest b still holds it
        guest_b.set()
        await trio.testing.wait_all_tasks_blocked()
        assert not a.provides(key_multihash(key))
        assert await finding.find(key, 16, guest_c) == []
        nursery.cancel_scope.cancel()


async def test_a_find_ends_at_once_when_its_guest_goes() -> None:
    async with _dhts(1) as (lonely,), trio.open_nursery() as nursery:
        gone = trio.Event()
        gone.set()
        with trio.fail_after(2):  # well inside the find deadline
            assert await DhtRouting(lonely, nursery).find(_KEY, 16, gone) == []
        nursery.cancel_scope.cancel()


async def test_finder_and_announcer_are_stale_once_the_epoch_advances() -> None:
    clock = EpochClock()
    guard = clock.guard()
    session: Any = object()  # never reached: the guard refuses first
    clock.advance(Epoch(seq=1))
    with pytest.raises(StaleEpoch):
        await FinderServer(guard, session).find(_KEY, 1)
    with pytest.raises(StaleEpoch):
        await AnnouncerServer(guard, session).provide(_KEY)
    with pytest.raises(StaleEpoch):
        await AnnouncerServer(guard, session).hash(b"x")


_KEY = name_key("wetware")[0]
