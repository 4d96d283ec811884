"""Timing helpers shared by the benchmarks (so none of them grows its own)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import trio


def measure(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of `repeat` calls of `fn`."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


async def echo_round_trips(cap: Any, n: int, text: str) -> list[float]:
    """Seconds of each of `n` sequential `echo(text)` calls on `cap`: pycapnp's (run it on
    the vat) or `wetnode.capnproto`'s."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await cap.echo(text)
        samples.append(time.perf_counter() - start)
    return samples


async def rate_at_once(
    clients: int, calls: int, client: Callable[[int], Awaitable[None]]
) -> float:
    """Run ``client(0)`` .. ``client(clients - 1)`` at once, each making ``calls`` calls in
    turn: the calls per second of them all."""
    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for index in range(clients):
            nursery.start_soon(client, index)
    return clients * calls / (time.perf_counter() - start)


def row(name: str, samples: list[float], baseline: list[float], *, target: str = "") -> str:
    """`name  median  baseline-median  ratio  [target]`, in milliseconds."""
    ours, base = statistics.median(samples), statistics.median(baseline)
    ratio = ours / base if base else float("inf")
    tail = f"  target {target}" if target else ""
    return (
        f"{name:<34} {ours * 1e3:9.2f} ms  baseline {base * 1e3:9.2f} ms  ratio {ratio:5.2f}{tail}"
    )
