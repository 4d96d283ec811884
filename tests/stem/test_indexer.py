"""The indexer against a real anvil, with the WebSocket going through a relay we can cut."""

from __future__ import annotations

import trio

from tests.support.devchain import Anvil
from wetnode.stem.abi import HeadUpdated
from wetnode.stem.finalizer import BlockHeader
from wetnode.stem.indexer import Backoff, Indexer
from wetnode.stem.rpc import HttpRpc

from .conftest import Recorder, TcpProxy, mine, send_set_head


def seqs(items: list[HeadUpdated | BlockHeader]) -> list[int]:
    return [i.seq for i in items if isinstance(i, HeadUpdated)]


def tip(items: list[HeadUpdated | BlockHeader]) -> int:
    return max((i.number for i in items if isinstance(i, BlockHeader)), default=-1)


async def test_websocket_drop_then_backfill_delivers_each_event_exactly_once(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    proxy: TcpProxy = await nursery.start(TcpProxy(chain.port).serve)
    rpc = HttpRpc(chain.url)
    start = int(chain.rpc("eth_blockNumber"), 16) + 1
    indexer = Indexer(
        atom, rpc, proxy.ws_url, start_block=start, rewind=4, backoff=Backoff(0.05, 0.2)
    )
    delivered = Recorder[HeadUpdated | BlockHeader]()
    await nursery.start(indexer.run, delivered)

    await send_set_head(chain, atom, b"one")
    await delivered.wait_until(lambda items: seqs(items) == [1])

    proxy.cut()
    await send_set_head(chain, atom, b"two")
    await mine(chain, 2)
    await send_set_head(chain, atom, b"three")
    proxy.restore()

    await delivered.wait_until(lambda items: seqs(items) == [1, 2, 3])
    # Events after the reconnect arrive live, and nothing is repeated on the way.
    last = await send_set_head(chain, atom, b"four")
    await mine(chain, 1)
    await delivered.wait_until(lambda items: tip(items) >= last + 1)

    assert seqs(delivered.items) == [1, 2, 3, 4]
    assert indexer.sessions >= 2
    events = [i for i in delivered.items if isinstance(i, HeadUpdated)]
    assert [e.cid for e in events] == [b"one", b"two", b"three", b"four"]
    assert len({e.key for e in events}) == 4
    await rpc.aclose()


async def test_headers_arrive_in_order_and_once_each(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    rpc = HttpRpc(chain.url)
    start = int(chain.rpc("eth_blockNumber"), 16) + 1
    indexer = Indexer(atom, rpc, chain.ws_url, start_block=start, rewind=4)
    delivered = Recorder[HeadUpdated | BlockHeader]()
    await nursery.start(indexer.run, delivered)

    await mine(chain, 5)
    await delivered.wait_until(lambda items: tip(items) >= start + 4)

    numbers = [i.number for i in delivered.items if isinstance(i, BlockHeader)]
    assert numbers == sorted(set(numbers))
    assert numbers[-5:] == list(range(start, start + 5))
    await rpc.aclose()


async def test_logs_of_other_contracts_are_not_delivered(
    chain: Anvil, atom: str, owner_key: str, nursery: trio.Nursery
) -> None:
    from wetnode.stem import contract

    other = contract.deploy(chain.url, owner_key, b"other-genesis")
    rpc = HttpRpc(chain.url)
    start = int(chain.rpc("eth_blockNumber"), 16) + 1
    indexer = Indexer(atom, rpc, chain.ws_url, start_block=start, rewind=4)
    delivered = Recorder[HeadUpdated | BlockHeader]()
    await nursery.start(indexer.run, delivered)

    await send_set_head(chain, other, b"not-ours")
    await send_set_head(chain, atom, b"ours")
    # The other contract's log is in an earlier block: it would have come first.
    await delivered.wait_until(lambda items: seqs(items) != [])

    assert [i.cid for i in delivered.items if isinstance(i, HeadUpdated)] == [b"ours"]
    await rpc.aclose()
