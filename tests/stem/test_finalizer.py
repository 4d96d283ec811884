"""The finalizer state machine, driven directly (pure, no chain).

Block hashes are spelled ``<branch><number>``: ``a3`` is block 3 on branch a.
Each scenario is a list of steps and, per step, the outcomes it must yield:
``("final", seq, adopted_block)`` or ``("drop", seq)``.
"""

from __future__ import annotations

from typing import Any

import pytest

from wetnode.stem.abi import HeadUpdated
from wetnode.stem.finalizer import BlockHeader, DroppedEvent, FinalizedEvent, Finalizer


def header(name: str, parent: str | None = None) -> BlockHeader:
    number = int(name[1:])
    return BlockHeader(number, name.encode(), (parent or f"{name[0]}{number - 1}").encode())


def event(block: str, seq: int, log_index: int = 0) -> HeadUpdated:
    return HeadUpdated(
        seq=seq,
        cid=f"cid-{seq}".encode(),
        writer="0x" + "00" * 20,
        block_number=int(block[1:]),
        block_hash=block.encode(),
        log_index=log_index,
        tx_hash=bytes(32),
    )


def heads(*names: str) -> list[tuple[str, Any]]:
    return [("head", header(n)) for n in names]


def summary(outcomes: list[FinalizedEvent | DroppedEvent]) -> list[tuple[Any, ...]]:
    return [
        ("final", o.event.seq, o.adopted_block)
        if isinstance(o, FinalizedEvent)
        else ("drop", o.event.seq)
        for o in outcomes
    ]


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
