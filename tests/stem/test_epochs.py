"""The epoch pipeline against a real anvil: confirmations, reorgs, outages."""

from __future__ import annotations

import pytest
import trio

from tests.support.devchain import Anvil
from wetnode.membrane.epoch import Epoch
from wetnode.stem.abi import HeadUpdated
from wetnode.stem.epochs import EpochPipeline
from wetnode.stem.errors import StemError
from wetnode.stem.indexer import Backoff

from .conftest import Recorder, mine, send_set_head

DEPTH = 3


def pipeline_for(
    chain: Anvil, atom: str, epochs: Recorder[Epoch], seen: Recorder[HeadUpdated] | None = None
) -> EpochPipeline:
    return EpochPipeline(
        atom,
        epochs,
        on_observed=seen,
        rpc_url=chain.url,
        ws_url=chain.ws_url,
        depth=DEPTH,
        backoff=Backoff(initial=0.05, maximum=0.2),
    )


async def test_head_advance_becomes_one_epoch_after_k_blocks(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    tips_at_callback: list[int] = []
    epochs = Recorder[Epoch]()

    async def on_epoch(epoch: Epoch) -> None:
        assert pipeline.finalizer.tip is not None
        tips_at_callback.append(pipeline.finalizer.tip.number)
        await epochs(epoch)

    pipeline = pipeline_for(chain, atom, epochs)
    pipeline.on_epoch = on_epoch
    await nursery.start(pipeline.run)
    assert pipeline.current is not None and pipeline.current.seq == 0
    assert pipeline.current.head == b"genesis"

    block = await send_set_head(chain, atom, b"cid-one")
    await mine(chain, DEPTH)
    await epochs.wait_until(lambda items: len(items) == 1)
    # A second head is the sync point that proves nothing else was emitted in between.
    await mine(chain, DEPTH)
    second = await send_set_head(chain, atom, b"cid-two")
    await mine(chain, DEPTH)
    await epochs.wait_until(lambda items: len(items) == 2)

    assert epochs.items == [
        Epoch(seq=1, head=b"cid-one", adopted_block=block + DEPTH, head_seq=1),
        Epoch(seq=2, head=b"cid-two", adopted_block=second + DEPTH, head_seq=2),
    ]
    assert tips_at_callback == [block + DEPTH, second + DEPTH]
    assert pipeline.current == epochs.items[-1]


async def test_start_boots_on_the_final_head_and_adopts_the_pending_one(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    await mine(chain, DEPTH)
    block = await send_set_head(chain, atom, b"pending")
    await mine(chain, 1)
    epochs = Recorder[Epoch]()
    pipeline = pipeline_for(chain, atom, epochs)
    await nursery.start(pipeline.run)
    assert pipeline.current is not None
    assert (pipeline.current.seq, pipeline.current.head) == (0, b"genesis")

    await mine(chain, DEPTH - 1)
    await epochs.wait_until(lambda items: len(items) == 1)

    assert epochs.items == [Epoch(seq=1, head=b"pending", adopted_block=block + DEPTH, head_seq=1)]


async def test_reorg_before_k_confirmations_emits_no_epoch(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    epochs, seen = Recorder[Epoch](), Recorder[HeadUpdated]()
    pipeline = pipeline_for(chain, atom, epochs, seen)
    await nursery.start(pipeline.run)

    snapshot = chain.rpc("evm_snapshot")
    await send_set_head(chain, atom, b"doomed")
    await seen.wait_until(lambda items: [e.cid for e in items] == [b"doomed"])
    await mine(chain, DEPTH - 1)  # one confirmation short
    assert chain.rpc("evm_revert", [snapshot]) is True

    # The new branch is longer than the old one and carries a different head with
    # the same seq; only that one may ever become an epoch.
    block = await send_set_head(chain, atom, b"survivor")
    await mine(chain, DEPTH + 2)
    await epochs.wait_until(lambda items: len(items) == 1)

    assert epochs.items == [Epoch(seq=1, head=b"survivor", adopted_block=block + DEPTH, head_seq=1)]
    assert [e.cid for e in seen.items] == [b"doomed", b"survivor"]


async def test_anvil_reorg_replacing_the_event_block_emits_no_epoch(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    epochs, seen = Recorder[Epoch](), Recorder[HeadUpdated]()
    pipeline = pipeline_for(chain, atom, epochs, seen)
    await nursery.start(pipeline.run)

    doomed = await send_set_head(chain, atom, b"doomed")
    await seen.wait_until(lambda items: len(items) == 1)
    await mine(chain, 1)
    chain.rpc("anvil_reorg", [2, []])  # replace the event's block and the one above
    await mine(chain, DEPTH + 2)
    survivor = await send_set_head(chain, atom, b"survivor")
    await mine(chain, DEPTH)
    await epochs.wait_until(lambda items: len(items) == 1)

    assert epochs.items == [
        Epoch(seq=1, head=b"survivor", adopted_block=survivor + DEPTH, head_seq=1)
    ]
    assert seen.items[0].block_number == doomed


async def test_chain_down_at_start_is_a_clear_error(closed_port: int, atom: str) -> None:
    pipeline = EpochPipeline(
        atom,
        Recorder[Epoch](),
        rpc_url=f"http://127.0.0.1:{closed_port}",
        ws_url=f"ws://127.0.0.1:{closed_port}",
    )
    with pytest.raises(StemError, match=r"cannot reach the chain at .*is the node running"):
        await pipeline.run()


async def test_websocket_down_at_start_is_a_clear_error(
    chain: Anvil, atom: str, closed_port: int
) -> None:
    pipeline = EpochPipeline(
        atom, Recorder[Epoch](), rpc_url=chain.url, ws_url=f"ws://127.0.0.1:{closed_port}"
    )
    with pytest.raises(StemError, match=r"cannot follow the chain .* check --ws-url"):
        await pipeline.run()


async def test_address_that_is_not_an_atom_is_a_clear_error(chain: Anvil) -> None:
    pipeline = EpochPipeline(
        "0x" + "22" * 20, Recorder[Epoch](), rpc_url=chain.url, ws_url=chain.ws_url
    )
    with pytest.raises(StemError, match="cannot read the head of 0x2222"):
        await pipeline.run()


async def test_pinner_pins_the_new_head_before_unpinning_the_old(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    calls: list[tuple[str, bytes]] = []

    class RecordingPinner:
        async def pin(self, cid: bytes) -> None:
            calls.append(("pin", cid))

        async def unpin(self, cid: bytes) -> None:
            calls.append(("unpin", cid))

    epochs = Recorder[Epoch]()
    pipeline = pipeline_for(chain, atom, epochs)
    pipeline.pinner = RecordingPinner()
    await nursery.start(pipeline.run)
    await send_set_head(chain, atom, b"cid-one")
    await mine(chain, DEPTH)
    await epochs.wait_until(lambda items: len(items) == 1)

    assert calls == [("pin", b"cid-one"), ("unpin", b"genesis")]


async def test_a_reorg_deeper_than_the_depth_moves_a_running_node_to_the_head_a_fresh_one_reads(
    chain: Anvil, atom: str, nursery: trio.Nursery
) -> None:
    """Attack 14: the adopted head's block is replaced, then seq 1 is set again on a new branch."""
    await mine(chain, DEPTH + 2)  # the reorg below must not reach the deployment
    epochs = Recorder[Epoch]()
    running = pipeline_for(chain, atom, epochs)
    await nursery.start(running.run)
    block = await send_set_head(chain, atom, b"orphaned")
    await mine(chain, DEPTH)
    await epochs.wait_until(lambda items: len(items) == 1)

    # Replace the setHead's block and everything above it with empty blocks: deeper than DEPTH.
    chain.rpc("anvil_reorg", [DEPTH + 2, []])
    # The chain now holds genesis at its final block: the running node moves back to it.
    await epochs.wait_until(lambda items: len(items) == 2)
    replacement = await send_set_head(chain, atom, b"replacement")  # seq 1 again
    await mine(chain, DEPTH)
    await epochs.wait_until(lambda items: len(items) == 3)

    fresh = pipeline_for(chain, atom, Recorder[Epoch]())
    await nursery.start(fresh.run)
    assert fresh.current is not None and running.current is not None
    assert (fresh.current.head, fresh.current.head_seq) == (b"replacement", 1)
    assert [(e.seq, e.head, e.head_seq) for e in epochs.items] == [
        (1, b"orphaned", 1),
        (2, b"genesis", 0),
        (3, b"replacement", 1),
    ]
    assert epochs.items[-1].adopted_block == replacement + DEPTH
    assert running.current == epochs.items[-1]
    assert epochs.items[0].adopted_block == block + DEPTH
