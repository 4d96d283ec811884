"""The epoch pipeline: indexer -> finalizer -> ``on_epoch``.

At start it reads the contract's head as of ``depth`` blocks below the tip:
the newest head that is already final, so every node of a fleet boots on the
same one (a contract younger than that is read at the tip).  That is the
current epoch, and the block it was read at is the finalizer's anchor.  From
the next block on, the indexer feeds HeadUpdated logs and new tips to the
finalizer, fetching any header the finalizer is missing; each event that
becomes final on top of the anchor, with another head than the current one,
becomes the new ``Epoch`` and is handed to ``on_epoch`` (the node connects it
to the EpochClock and the pid0 reload).

When a reorg deeper than the confirmation depth replaces the anchor (the
block the current head came from), the pipeline reads the head the chain
holds at its newest final block, exactly what a node starting now would boot
on, and hands it to ``on_epoch`` as the next local epoch if it is another
head (``Epoch.successor``), whatever its contract seq.

``on_observed`` hears of each new head as soon as it is seen, unconfirmed
(for progress output: "seq 3 seen, final at block 126").

Everything runs in one trio task, so an epoch is handled before the next
notification is read, and on_epoch's latency is the pipeline's latency.

Pinning hook: give a ``HeadPinner`` and the pipeline pins the new head before
announcing it and unpins the previous head afterwards, so the content a node
runs stays available.  The IPFS backend implements it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import trio

from wetnode.membrane.epoch import Epoch
from wetnode.stem.abi import (
    HEAD_SELECTOR,
    DecodeError,
    Head,
    HeadUpdated,
    decode_head_return,
    hex_bytes,
)
from wetnode.stem.errors import StemError
from wetnode.stem.finalizer import (
    DEFAULT_DEPTH,
    DroppedEvent,
    Finalizer,
    OrphanedAnchor,
    Outcome,
)
from wetnode.stem.indexer import Backoff, Indexer, Item
from wetnode.stem.rpc import ChainUnreachable, HttpRpc, RpcError

log = logging.getLogger(__name__)


class HeadPinner(Protocol):
    """Keeps a head's content available while the node runs it (the IPFS backend)."""

    async def pin(self, cid: bytes) -> None: ...

    async def unpin(self, cid: bytes) -> None: ...


class EpochPipeline:
    """Follows the Atom at ``address`` and calls ``on_epoch`` for each final new head."""

    def __init__(
        self,
        address: str,
        on_epoch: Callable[[Epoch], Awaitable[None]],
        *,
        on_observed: Callable[[HeadUpdated], Awaitable[None]] | None = None,
        rpc_url: str,
        ws_url: str,
        depth: int = DEFAULT_DEPTH,
        pinner: HeadPinner | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.address = address
        self.on_epoch = on_epoch
        self.on_observed = on_observed
        self.rpc_url = rpc_url
        self.ws_url = ws_url
        self.finalizer = Finalizer(depth)
        self.pinner = pinner
        self.backoff = backoff
        self.current: Epoch | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Read the current epoch, then follow the chain until cancelled.

        Reports started once the current epoch is known (``self.current``) and
        the indexer is live.  A chain that cannot be reached at start is a
        ``StemError``; later outages only cause reconnects.
        """
        rpc = HttpRpc(self.rpc_url)
        try:
            self.current = await self._read_current(rpc)
            log.info(
                "current epoch: seq %d at block %d", self.current.seq, self.current.adopted_block
            )
            indexer = Indexer(
                self.address,
                rpc,
                self.ws_url,
                start_block=self.current.adopted_block + 1,
                rewind=self.finalizer.depth + 1,
                backoff=self.backoff,
            )
            await indexer.run(lambda item: self._handle(rpc, item), task_status=task_status)
        finally:
            with trio.CancelScope(shield=True):
                await rpc.aclose()

    async def _read_current(self, rpc: HttpRpc) -> Epoch:
        try:
            latest = await rpc.block("latest")
            if latest is None:
                raise RpcError("the node has no latest block")
            number = max(0, latest.number - self.finalizer.depth)
            if await rpc.call("eth_getCode", [self.address, hex(number)]) in ("0x", None):
                number = latest.number  # deployed within the last `depth` blocks
            block = latest if number == latest.number else await rpc.block(hex(number))
            if block is None:
                raise RpcError(f"the node has no block {number}")
            head = await self._head_at(rpc, block.hash)
        except ChainUnreachable:
            raise StemError(
                f"cannot reach the chain at {self.rpc_url}: is the node running? check --rpc-url"
            ) from None
        except (RpcError, DecodeError) as exc:
            raise StemError(
                f"cannot read the head of {self.address} at {self.rpc_url}: {exc} "
                "(is it an Atom contract on this chain?)"
            ) from None
        self.finalizer.anchor_at(block.number, block.hash)
        return Epoch(seq=head.seq, head=head.cid, adopted_block=block.number, head_seq=head.seq)

    async def _head_at(self, rpc: HttpRpc, block_hash: bytes) -> Head:
        """The contract's head in the state of one block, named by hash (EIP-1898)."""
        call = {"to": self.address, "data": "0x" + HEAD_SELECTOR.hex()}
        raw = await rpc.call("eth_call", [call, {"blockHash": "0x" + block_hash.hex()}])
        return decode_head_return(hex_bytes(raw))

    async def _handle(self, rpc: HttpRpc, item: Item) -> None:
        if isinstance(item, HeadUpdated):
            log.info(
                "observed seq %d in block %d; final at block %d",
                item.seq, item.block_number, item.block_number + self.finalizer.depth,
            )  # fmt: skip
            outcomes = self.finalizer.add_event(item)
            if self.on_observed is not None:
                await self.on_observed(item)
        else:
            outcomes = self.finalizer.add_head(item)
        await self._settle(rpc, outcomes)

    async def _settle(self, rpc: HttpRpc, outcomes: list[Outcome]) -> None:
        """Apply outcomes; after an orphaned anchor, move to the head the chain holds.

        A head that cannot be read yet (a header or the state is gone in a
        further reorg) is tried again on the next item: the finalizer stays
        orphaned, and evaluates nothing, until it is.
        """
        outcomes += await self._fill_gaps(rpc)
        for outcome in outcomes:
            await self._apply(outcome)
        if self.finalizer.orphaned and (follow_up := await self._adopt_chain_head(rpc)):
            await self._settle(rpc, follow_up)

    async def _fill_gaps(self, rpc: HttpRpc) -> list[Outcome]:
        """Fetch the headers the finalizer asks for, each at most once per call."""
        outcomes: list[Outcome] = []
        asked: set[bytes] = set()
        while (missing := self.finalizer.missing) is not None and missing not in asked:
            asked.add(missing)
            header = await rpc.block(missing)
            if header is None:
                log.info("block 0x%s is gone (reorg); waiting for the next tip", missing.hex())
                break
            outcomes += self.finalizer.add_block(header)
        return outcomes

    async def _adopt_chain_head(self, rpc: HttpRpc) -> list[Outcome]:
        """Read the head at the newest final block, adopt it if it is another, re-anchor."""
        assert self.current is not None
        asked: set[bytes] = set()
        while (final := self.finalizer.final_block()) is None:
            missing = self.finalizer.missing
            if missing is None or missing in asked:
                return []
            asked.add(missing)
            header = await rpc.block(missing)
            if header is None:
                return []  # gone in a further reorg: wait for the next tip
            self.finalizer.add_block(header)  # orphaned: it only stores the header
        number, block_hash = final
        try:
            head = await self._head_at(rpc, block_hash)
        except (RpcError, DecodeError) as exc:
            log.warning("cannot read the head at block %d yet (%s); retrying", number, exc)
            return []
        outcomes = self.finalizer.anchor_at(number, block_hash)
        epoch = self.current.successor(head.seq, head.cid, number)
        if epoch is None:
            log.info("block %d holds the same head (seq %d): epoch unchanged", number, head.seq)
        else:
            log.warning(
                "the chain now holds seq %d at final block %d: it becomes epoch %d",
                head.seq, number, epoch.seq,
            )  # fmt: skip
            await self._adopt(epoch)
        return outcomes

    async def _apply(self, outcome: Outcome) -> None:
        if isinstance(outcome, OrphanedAnchor):
            assert self.current is not None
            log.warning(
                "block %d 0x%s, where the head of epoch %d comes from, left the canonical "
                "chain (a reorg deeper than the confirmation depth)",
                outcome.number, outcome.anchor_hash.hex(), self.current.seq,
            )  # fmt: skip
            return
        event = outcome.event
        if isinstance(outcome, DroppedEvent):
            log.warning(
                "dropped seq %d: block %d 0x%s left the canonical chain",
                event.seq, event.block_number, event.block_hash.hex(),
            )  # fmt: skip
            return
        assert self.current is not None
        epoch = self.current.successor(event.seq, event.cid, outcome.adopted_block)
        if epoch is None:
            log.info("seq %d is final and already epoch %d's head", event.seq, self.current.seq)
            return
        await self._adopt(epoch)

    async def _adopt(self, epoch: Epoch) -> None:
        """Make ``epoch`` current: pin its head, announce it, unpin the previous head."""
        assert self.current is not None
        previous = self.current
        if self.pinner is not None:
            await self.pinner.pin(epoch.head)
        self.current = epoch
        log.info("epoch %d adopted at block %d", epoch.seq, epoch.adopted_block)
        await self.on_epoch(epoch)
        if self.pinner is not None and previous.head and previous.head != epoch.head:
            await self.pinner.unpin(previous.head)
