"""The DHT on real swarms in one process: join, provide, find, withdraw, and bitswap's lookup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import multiaddr
import trio

from wetnode.ipfs.bitswap import open_bitswap
from wetnode.ipfs.cid import Cid
from wetnode.keys import NodeKey
from wetnode.net.dht import Dht, open_dht
from wetnode.net.routing import DhtContentRouting, name_key
from wetnode.net.swarm import Swarm, open_swarm

KEY = name_key("echo-service")[1]


def _transport(swarm: Swarm) -> multiaddr.Multiaddr:
    return swarm.addrs()[0].decapsulate(multiaddr.Multiaddr(f"/p2p/{swarm.peer_id}"))


@asynccontextmanager
async def _dhts(n: int) -> AsyncIterator[list[Dht]]:
    async with AsyncExitStack() as stack:
        dhts = []
        for _ in range(n):
            key = NodeKey.generate().libp2p_key_pair()
            swarm = await stack.enter_async_context(open_swarm(key, port=0, host="127.0.0.1"))
            dhts.append(await stack.enter_async_context(open_dht(swarm)))
        yield dhts


async def test_a_peer_finds_a_provider_it_only_knows_through_its_bootstrap_peer() -> None:
    async with _dhts(3) as (a, b, c):
        hub = [(b.swarm.peer_id, _transport(b.swarm))]
        assert await a.bootstrap(hub) == 1
        assert await c.bootstrap(hub) == 1
        assert await a.provide(KEY)
        with trio.fail_after(10):
            found = await c.find(KEY, 16, confirm=True)
        assert [p.peer_id for p in found] == [a.swarm.peer_id]
        assert found[0].addrs == (_transport(a.swarm),)


async def test_a_withdrawn_record_is_no_longer_found_though_peers_still_hold_it() -> None:
    async with _dhts(3) as (a, b, c):
        hub = [(b.swarm.peer_id, _transport(b.swarm))]
        await a.bootstrap(hub)
        await c.bootstrap(hub)
        await a.provide(KEY)
        assert await c.find_within(KEY, 16, 10, confirm=True)
        a.withdraw(KEY)
        assert not a.provides(KEY)
        assert [p.peer_id for p in await c.find_within(KEY, 16, 10)] == [a.swarm.peer_id]
        assert await c.find_within(KEY, 16, 10, confirm=True) == []


async def test_a_bootstrap_peer_that_is_down_only_counts_as_not_reached() -> None:
    async with _dhts(2) as (a, gone):
        address = (gone.swarm.peer_id, multiaddr.Multiaddr("/ip4/127.0.0.1/tcp/1"))
        with trio.fail_after(15):
            assert await a.bootstrap([address]) == 0


async def test_bitswap_fetches_a_block_from_a_provider_it_was_not_connected_to(
    tmp_path: Path,
) -> None:
    block = b"held by one node only"
    cid = Cid.of_block(block, version=1, codec=0x55)
    async with _dhts(3) as (holder, hub, fetcher):
        await holder.bootstrap([(hub.swarm.peer_id, _transport(hub.swarm))])
        # The fetcher knows the hub only: no walk toward the holder yet.
        await fetcher.swarm.connect(hub.swarm.peer_id, [_transport(hub.swarm)])
        await fetcher.kad.add_peer(hub.swarm.peer_id, skip_server_mode_check=True)
        async with (
            open_bitswap(holder.swarm.host, tmp_path / "holder") as holding,
            open_bitswap(
                fetcher.swarm.host,
                tmp_path / "fetcher",
                timeout=10,
                routing=DhtContentRouting(fetcher),
            ) as fetching,
        ):
            await holding.blocks.put(cid, block)
            assert await holder.provide(cid.multihash)
            assert holder.swarm.peer_id not in fetcher.swarm.host.get_connected_peers()
            with trio.fail_after(15):
                assert await fetching.blocks.get(cid) == block
            assert holder.swarm.peer_id in fetcher.swarm.host.get_connected_peers()
