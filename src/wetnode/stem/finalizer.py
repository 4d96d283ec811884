"""Confirmation counting for HeadUpdated events, safe against reorgs (sans-IO).

Feed it what the chain reports and it says which events are final:

- ``add_event``: a HeadUpdated log as observed (it names its block by hash);
- ``add_head``: a new canonical tip (from ``newHeads`` or a poll);
- ``add_block``: an older header the machine asked for through ``missing``.

An event is final once the canonical chain, walked back from the tip through
parent hashes, holds the event's block and has ``depth`` blocks on top of it
(the reference's rule, ``tip >= block + depth``).  The walk is by hash, so an
event whose block was replaced by a reorg is seen as such and dropped; it is
never finalized.  Finality is re-evaluated on every new tip, so a lone
``setHead`` finalizes as blocks arrive (the reference only looked when another
event came in).  Feeding the same log twice is harmless, and anything at or
before the last finalized position is ignored.

The machine also watches the block the node's current head was taken from
(the ``anchor``: a finalized event's block, or the block ``anchor_at`` names
after the head was read from the contract).  A reorg deeper than ``depth``
can replace it; the walk then sees another hash at its number and yields
``OrphanedAnchor`` once, and evaluates nothing more until the caller has read
the head the chain now holds and called ``anchor_at`` again: events at or
below the new anchor are already part of that head, later ones are followed
as usual.  Only an anchor within ``keep`` blocks of the tip is watched: a
reorg deeper than that goes unnoticed.

No I/O happens here: when the walk needs a header it does not have, the hash
appears in ``missing`` and the caller fetches it (eth_getBlockByHash) and
passes it to ``add_block``.
"""

from __future__ import annotations

from dataclasses import dataclass

from wetnode.stem.abi import HeadUpdated

DEFAULT_DEPTH = 6
# Headers kept below the tip, beyond what pending events need.
DEFAULT_KEEP = 256


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: bytes
    parent_hash: bytes


@dataclass(frozen=True)
class FinalizedEvent:
    """An event buried under ``depth`` canonical blocks.

    ``adopted_block`` is ``event.block_number + depth``: every node with the
    same depth adopts the head at the same block, whenever it happens to look.
    """

    event: HeadUpdated
    adopted_block: int


@dataclass(frozen=True)
class DroppedEvent:
    """An event whose block is no longer on the canonical chain."""

    event: HeadUpdated
    canonical_hash: bytes


@dataclass(frozen=True)
class OrphanedAnchor:
    """The block the current head was taken from is no longer canonical."""

    number: int
    anchor_hash: bytes
    canonical_hash: bytes


Outcome = FinalizedEvent | DroppedEvent | OrphanedAnchor


class Finalizer:
    def __init__(self, depth: int = DEFAULT_DEPTH, keep: int = DEFAULT_KEEP) -> None:
        if depth < 0:
            raise ValueError(f"confirmation depth must be >= 0, got {depth}")
        self.depth = depth
        self.keep = max(keep, depth + 1)
        self.tip: BlockHeader | None = None
        self.missing: bytes | None = None
        self._headers: dict[bytes, BlockHeader] = {}
        self._pending: dict[tuple[bytes, int], HeadUpdated] = {}
        self._final_position = (-1, -1)
        self._anchor: tuple[int, bytes] | None = None
        self._orphaned = False

    @property
    def pending(self) -> list[HeadUpdated]:
        """Events still waiting for confirmations, in chain order."""
        return sorted(self._pending.values(), key=_position)

    def add_event(self, event: HeadUpdated) -> list[Outcome]:
        if _position(event) > self._final_position:
            self._pending.setdefault(event.key, event)
        return self._evaluate()

    def add_head(self, header: BlockHeader) -> list[Outcome]:
        self._headers[header.hash] = header
        self.tip = header
        return self._evaluate()

    def add_block(self, header: BlockHeader) -> list[Outcome]:
        self._headers[header.hash] = header
        return self._evaluate()

    def anchor_at(self, number: int, block_hash: bytes) -> list[Outcome]:
        """The current head is the contract's state as of this block (read by the caller).

        Events at or before it are part of that head, so they are forgotten and
        never finalized; the block is watched from now on.
        """
        self._anchor = (number, block_hash)
        self._orphaned = False
        self._final_position = (number, 2**63)
        for key in [k for k, e in self._pending.items() if e.block_number <= number]:
            del self._pending[key]
        return self._evaluate()

    @property
    def orphaned(self) -> bool:
        """Whether the anchor left the canonical chain and no ``anchor_at`` followed yet."""
        return self._orphaned

    def final_block(self) -> tuple[int, bytes] | None:
        """Number and hash of the newest canonical block with ``depth`` blocks on top.

        None before any tip, or while the walk down to it lacks a header: that
        hash is then in ``missing``, for ``add_block``.
        """
        if self.tip is None:
            return None
        number = max(0, self.tip.number - self.depth)
        self.missing = None
        block_hash = self._canonical_hashes(number).get(number)
        return None if block_hash is None else (number, block_hash)

    def _evaluate(self) -> list[Outcome]:
        self.missing = None
        if self.tip is None or self._orphaned:
            self._prune()
            return []
        watched = [e.block_number for e in self._pending.values()]
        anchor = self._anchor
        if anchor is not None and anchor[0] >= self.tip.number - self.keep:
            watched.append(min(anchor[0], self.tip.number))
        if not watched:
            self._prune()
            return []
        outcomes: list[Outcome] = []
        canonical = self._canonical_hashes(min(watched))
        if anchor is not None and (replaced := self._replaced(anchor, canonical)) is not None:
            self._orphaned = True
            self._prune()
            return [OrphanedAnchor(anchor[0], anchor[1], replaced)]
        for event in self.pending:
            if event.block_number > self.tip.number:
                break  # the chain has not reached this block (yet, or again)
            canonical_hash = canonical.get(event.block_number)
            if canonical_hash is None:
                break  # the walk stopped at a missing header
            if canonical_hash != event.block_hash:
                del self._pending[event.key]
                outcomes.append(DroppedEvent(event, canonical_hash))
            elif self.tip.number >= event.block_number + self.depth:
                del self._pending[event.key]
                self._final_position = _position(event)
                self._anchor = (event.block_number, event.block_hash)
                outcomes.append(FinalizedEvent(event, event.block_number + self.depth))
            else:
                break  # later events have no more confirmations than this one
        self._prune()
        return outcomes

    def _replaced(self, anchor: tuple[int, bytes], canonical: dict[int, bytes]) -> bytes | None:
        """The hash now canonical at the anchor's number, if it is not the anchor.

        A tip below the anchor (the new branch is shorter) replaces it as well:
        the block the head came from is gone, whatever comes next.
        """
        number, block_hash = anchor
        if self.tip is not None and self.tip.number < number:
            return self.tip.hash
        held = canonical.get(number)
        return held if held is not None and held != block_hash else None

    def _canonical_hashes(self, lowest: int) -> dict[int, bytes]:
        """Block number -> hash on the tip's chain, down to ``lowest`` or a missing header."""
        assert self.tip is not None
        hashes: dict[int, bytes] = {}
        header: BlockHeader | None = self.tip
        while header is not None:
            hashes[header.number] = header.hash
            if header.number <= lowest:
                break
            parent = self._headers.get(header.parent_hash)
            if parent is None:
                # The child names its parent: one level below is known without a fetch.
                hashes[header.number - 1] = header.parent_hash
                if header.number - 1 > lowest:
                    self.missing = header.parent_hash
            header = parent
        return hashes

    def _prune(self) -> None:
        if self.tip is None:
            return
        floor = self.tip.number - self.keep
        if self._pending:
            floor = min(floor, min(e.block_number for e in self._pending.values()))
        for block_hash in [h for h, b in self._headers.items() if b.number < floor]:
            del self._headers[block_hash]


def _position(event: HeadUpdated) -> tuple[int, int]:
    return (event.block_number, event.log_index)
