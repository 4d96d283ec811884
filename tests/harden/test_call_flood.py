"""A grafted peer flooding pid0's export with calls cannot make a real node hold unbounded memory.

Issue 12, attack 4: a peer that sends calls faster than pid0 answers them.
pycapnp reads every call the socket delivers and queues it for pid0, which
answers a 16 KiB echo in about ten milliseconds: 125 MiB sent at once sat
in the node, queued ahead of every other peer's call.  The pump now
counts the peer's open calls per stream (`--rpc-max-calls`,
`--rpc-max-bytes`; the shared test node allows `FLOW_CALLS`) and stops
reading the stream at the bound, so the flood
waits in the flooder's own sender: the node's RSS stays bounded, the
flood's calls keep being answered, and a bystander is served throughout
and right after the flooder leaves (pid0 has at most `FLOW_CALLS` of its
calls left to serve).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
import trio

from tests.harden.attack import Node, bystander
from wetnode.client import dial

pytestmark = pytest.mark.slow

KIB, MIB = 1 << 10, 1 << 20
CALLS = 8000  # 16 KiB echo calls sent at once: 125 MiB
SIZE = 16 * KIB
FLOODING = 5.0  # seconds the flood runs while the node's RSS is sampled
GROWTH_BOUND = 48 * MIB


@dataclass
class _Flood:
    """The flooder's calls, on its vat: how many came back right."""

    answered: int = 0
    task: Any = field(default=None, repr=False)


async def _start(caps: Any, flood: _Flood, text: str) -> None:
    async def one() -> None:
        answer = await caps.executor.echo(text)
        flood.answered += answer.response == text

    flood.task = asyncio.gather(*(one() for _ in range(CALLS)))  # running on the vat's loop


async def _stop(_caps: Any, flood: _Flood) -> int:
    flood.task.cancel()
    with suppress(asyncio.CancelledError):
        await flood.task
    return flood.answered


async def test_a_peer_flooding_calls_is_held_back_and_the_node_stays_bounded(node: Node):
    flood = _Flood()
    peak = before = node.rss()
    async with bystander(node) as latencies:
        async with dial(node.address, graft=True) as flooder:
            await flooder.run(_start, flood, "x" * SIZE)
            with trio.move_on_after(FLOODING):
                while True:
                    peak = max(peak, node.rss())
                    await trio.sleep(0.05)  # sleep-ok: the sampling pace of a measurement
            answered = await flooder.run(_stop, flood)
        served_during = len(latencies)
    growth = peak - before
    assert growth < GROWTH_BOUND, f"RSS grew {growth / MIB:.0f} MiB under a 125 MiB flood"
    assert 0 < answered < CALLS, f"{answered} of {CALLS} flood calls answered in {FLOODING}s"
    assert served_during > 0, "the bystander was not served during the flood"
