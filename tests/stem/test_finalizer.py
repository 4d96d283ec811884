"""The finalizer state machine, driven directly (pure, no chain).

Block hashes are spelled ``<branch><number>``: ``a3`` is block 3 on branch a.
Each scenario is a list of steps and, per step, the outcomes it must yield:
``("final", seq, adopted_block)`` or ``("drop", seq)``.
"""

from __future__ import annotations

from typing import Any

import pytest

from wetnode.membrane.epoch import Epoch
from wetnode.stem.abi import HeadUpdated
from wetnode.stem.finalizer import (
    BlockHeader,
    DroppedEvent,
    FinalizedEvent,
    Finalizer,
    Outcome,
)


def header(name: str, parent: str | None = None) -> BlockHeader:
    number = int(name[1:])
    return BlockHeader(number, name.encode(), (parent or f"{name[0]}{number - 1}").encode())


def event(block: str, seq: int, log_index: int = 0, cid: bytes | None = None) -> HeadUpdated:
    return HeadUpdated(
        seq=seq,
        cid=cid or f"cid-{seq}".encode(),
        writer="0x" + "00" * 20,
        block_number=int(block[1:]),
        block_hash=block.encode(),
        log_index=log_index,
        tx_hash=bytes(32),
    )


def heads(*names: str) -> list[tuple[str, Any]]:
    return [("head", header(n)) for n in names]


def summary(outcomes: list[Outcome]) -> list[tuple[Any, ...]]:
    return [_summary(o) for o in outcomes]


def _summary(outcome: Outcome) -> tuple[Any, ...]:
    if isinstance(outcome, FinalizedEvent):
        return ("final", outcome.event.seq, outcome.adopted_block)
    if isinstance(outcome, DroppedEvent):
        return ("drop", outcome.event.seq)
    replaced = (outcome.anchor_hash.decode(), outcome.canonical_hash.decode())
    return ("orphaned", outcome.number, *replaced)


def run(finalizer: Finalizer, steps: list[tuple[str, Any]]) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    for kind, item in steps:
        step = {
            "head": finalizer.add_head,
            "block": finalizer.add_block,
            "event": finalizer.add_event,
        }
        seen += summary(step[kind](item))
    return seen


SCENARIOS = {
    "event finalizes at exactly K confirmations": (
        3,
        [*heads("a1", "a2"), ("event", event("a2", 1)), *heads("a3", "a4", "a5", "a6")],
        [("final", 1, 5)],
    ),
    "a lone event finalizes as empty blocks arrive": (
        2,
        [("event", event("a1", 1)), *heads("a1", "a2", "a3", "a4", "a5")],
        [("final", 1, 3)],
    ),
    "reorg before K confirmations drops the event": (
        3,
        [
            *heads("a1", "a2", "a3"),
            ("event", event("a3", 1)),
            ("head", header("b3", parent="a2")),
            *heads("b4", "b5", "b6", "b7"),
        ],
        [("drop", 1)],
    ),
    "reorg above the event's block keeps it": (
        3,
        [
            *heads("a1", "a2"),
            ("event", event("a2", 1)),
            ("head", header("a3")),
            ("head", header("b3", parent="a2")),
            *heads("b4", "b5"),
        ],
        [("final", 1, 5)],
    ),
    "revert to a lower tip, then a new branch, drops the event": (
        2,
        [
            *heads("a1", "a2", "a3", "a4"),
            ("event", event("a4", 1)),
            ("head", header("b3", parent="a2")),
            ("head", header("b4")),
            *heads("b5", "b6", "b7"),
        ],
        [("drop", 1)],
    ),
    "duplicates finalize once, also when repeated after finality": (
        2,
        [
            *heads("a1"),
            ("event", event("a1", 1)),
            ("event", event("a1", 1)),
            *heads("a2", "a3"),
            ("event", event("a1", 1)),
            *heads("a4", "a5"),
        ],
        [("final", 1, 3)],
    ),
    "depth 0 finalizes when the block is canonical": (
        0,
        [*heads("a1"), ("event", event("a1", 1))],
        [("final", 1, 1)],
    ),
    "events finalize in chain order, each at its own depth": (
        2,
        [
            *heads("a1"),
            ("event", event("a1", 1, log_index=0)),
            ("event", event("a1", 2, log_index=1)),
            *heads("a2"),
            ("event", event("a2", 3)),
            *heads("a3", "a4"),
        ],
        [("final", 1, 3), ("final", 2, 3), ("final", 3, 4)],
    ),
    "event seen before any header waits for the chain": (
        1,
        [("event", event("a5", 1)), *heads("a4", "a5"), *heads("a6")],
        [("final", 1, 6)],
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_finalizer_scenario(name: str) -> None:
    depth, steps, expected = SCENARIOS[name]
    assert run(Finalizer(depth=depth), steps) == expected


def test_gap_in_headers_is_filled_by_hash_before_deciding() -> None:
    finalizer = Finalizer(depth=3)
    assert run(finalizer, [*heads("a1", "a2"), ("event", event("a2", 1))]) == []
    assert summary(finalizer.add_head(header("a6"))) == []
    asked = []
    while finalizer.missing is not None:
        asked.append(finalizer.missing.decode())
        outcomes = finalizer.add_block(header(finalizer.missing.decode()))
    assert asked == ["a5", "a4", "a3"]
    assert summary(outcomes) == [("final", 1, 5)]


def test_gap_on_another_branch_drops_the_event_once_the_fork_is_known() -> None:
    finalizer = Finalizer(depth=1)
    run(finalizer, [*heads("a1", "a2"), ("event", event("a2", 1))])
    assert summary(finalizer.add_head(header("b4"))) == []
    assert finalizer.missing == b"b3"
    # b3 names b2 as its parent: block 2 on the canonical chain is not a2.
    outcomes = finalizer.add_block(header("b3"))
    assert summary(outcomes) == [("drop", 1)]
    assert finalizer.missing is None
    assert finalizer.pending == []


def test_pending_lists_unconfirmed_events_in_chain_order() -> None:
    finalizer = Finalizer(depth=5)
    run(finalizer, [("event", event("a3", 2)), ("event", event("a1", 1)), *heads("a1", "a2")])
    assert [e.seq for e in finalizer.pending] == [1, 2]


def test_negative_depth_is_rejected() -> None:
    with pytest.raises(ValueError, match="depth"):
        Finalizer(depth=-1)


def test_a_final_head_whose_block_is_replaced_orphans_the_anchor_once() -> None:
    finalizer = Finalizer(depth=2)
    steps = [*heads("a1", "a2"), ("event", event("a2", 1)), *heads("a3", "a4")]
    assert run(finalizer, steps) == [("final", 1, 4)]
    # A reorg deeper than the depth: b2 replaces a2, and b3 sets seq 1 again.
    steps = [("head", header("b2", parent="a1")), *heads("b3"), ("event", event("b3", 1))]
    assert run(finalizer, [*steps, *heads("b4", "b5", "b6")]) == [("orphaned", 2, "a2", "b2")]
    assert finalizer.orphaned  # nothing is finalized until the caller re-anchors


def test_after_a_deep_reorg_the_head_on_the_new_branch_becomes_the_next_local_epoch() -> None:
    """The pipeline's rule, driven by hand: read the head at the final block, re-anchor."""
    finalizer = Finalizer(depth=2)
    run(finalizer, [*heads("a1", "a2"), ("event", event("a2", 1, cid=b"old")), *heads("a3", "a4")])
    current = Epoch(seq=1, head=b"old", adopted_block=4, head_seq=1)
    run(finalizer, [("head", header("b2", parent="a1")), *heads("b3", "b4", "b5")])
    run(finalizer, [("event", event("b3", 1, cid=b"new"))])  # the same seq, another head
    assert finalizer.orphaned and finalizer.final_block() == (3, b"b3")
    # The contract's head in block b3's state is (1, "new"): a node starting now boots on it.
    assert summary(finalizer.anchor_at(3, b"b3")) == []  # b3's event is part of that head
    moved = current.successor(1, b"new", 3)
    assert moved == Epoch(seq=2, head=b"new", adopted_block=3, head_seq=1)
    assert not finalizer.orphaned
    assert run(finalizer, [*heads("b6"), ("event", event("b6", 2)), *heads("b7", "b8")]) == [
        ("final", 2, 8)
    ]


def test_a_reorg_that_leaves_the_anchor_canonical_is_not_reported() -> None:
    finalizer = Finalizer(depth=1)
    run(finalizer, [*heads("a1", "a2"), ("event", event("a2", 1)), *heads("a3")])
    assert run(finalizer, [("head", header("b3", parent="a2")), *heads("b4")]) == []
    assert not finalizer.orphaned


def test_a_boot_anchor_is_watched_and_a_tip_below_it_orphans_it() -> None:
    finalizer = Finalizer(depth=2)
    finalizer.anchor_at(3, b"a3")
    assert run(finalizer, heads("a4", "a5")) == []
    # The chain reverted below the anchor (evm_revert): its block is gone.
    assert run(finalizer, [("head", header("b2", parent="a1"))]) == [("orphaned", 3, "a3", "b2")]


def test_the_walk_fetches_headers_down_to_the_anchor() -> None:
    finalizer = Finalizer(depth=1)
    finalizer.anchor_at(2, b"a2")
    assert run(finalizer, [("head", header("b5", parent="b4"))]) == []
    asked, outcomes = [], []
    while finalizer.missing is not None:
        asked.append(finalizer.missing.decode())
        parent = "a2" if finalizer.missing == b"b3" else None
        outcomes = finalizer.add_block(header(finalizer.missing.decode(), parent))
    assert asked == ["b4", "b3"]
    assert summary(outcomes) == []  # b3's parent is a2: the anchor stands
