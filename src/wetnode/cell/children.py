"""Child guests in cells: the cell package as the membrane's `Spawner`.

An Executor's `spawn` starts a child with piped stdio and an RPC channel of
its own; it runs in the node's nursery and is stopped with it.  A child has
no filesystem, except one started from an agent image's file
`X/boot/main.wasm` (`loadPath` of `/svc/<name>/boot/main.wasm` or
`/bin/<tool>/boot/main.wasm`): it sees `X` read-only at `/`, where the shared
agent runtime finds the agent's `boot/main.py`.  `X` is part of its parent's
own image, so the child reads nothing its parent could not.
At most ``max_guests`` children run at once, node-wide (`--max-guests`): each
holds a thread and up to its memory limit, so a guest starting children in a
loop is refused, with a `CellError`, before the node runs out of either.
The memory limits of the running guests (pid0's too) add up to at most
``memory_budget`` (`--guest-memory-max`): 100 MiB children of a 160 MiB
limit got the node OOM-killed at 3.5 GB, under any thread bound.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import trio

from wetnode.cell.cell import Cell, open_cell
from wetnode.cell.engine import Engine
from wetnode.cell.limits import MAX_GUESTS, MEMORY_BUDGET, Limits
from wetnode.cell.spec import GuestSpec, Stdio
from wetnode.errors import CellError

log = logging.getLogger(__name__)


class _DrainWatch(trio.abc.ReceiveStream):
    """A child's output stream that reports when it has been read to the end."""

    def __init__(self, inner: trio.abc.ReceiveStream, drained: trio.Event) -> None:
        self._inner = inner
        self._drained = drained

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        data = await self._inner.receive_some(max_bytes)
        if not data:
            self._drained.set()
        return data

    async def aclose(self) -> None:
        self._drained.set()
        await self._inner.aclose()


class CellProcess:
    """A child guest running in a cell, as the membrane's `GuestProcess`.

    The cell (and with it the host ends of the child's pipes) stays open after
    the child exits until its owner has read stdout and stderr to the end, or
    kills it: output written just before exit is not lost.
    """

    def __init__(self, cell: Cell) -> None:
        self._cell = cell
        assert cell.stdin and cell.stdout and cell.stderr
        self._stdout_done = trio.Event()
        self._stderr_done = trio.Event()
        self.released = trio.Event()
        self.stdin: trio.abc.SendStream = cell.stdin
        self.stdout: trio.abc.ReceiveStream = _DrainWatch(cell.stdout, self._stdout_done)
        self.stderr: trio.abc.ReceiveStream = _DrainWatch(cell.stderr, self._stderr_done)

    async def wait(self) -> int:
        exit_ = await self._cell.wait()
        if exit_.reason:
            log.info("child guest ended: %s (exit %d)", exit_.reason, exit_.code)
        return exit_.code

    async def drained(self) -> None:
        await self._stdout_done.wait()
        await self._stderr_done.wait()
        self.released.set()

    def kill(self) -> None:
        self._cell.stop("killed by its owner")
        self.released.set()


def agent_image(wasm: bytes | Path) -> Path | None:
    """The image directory of a component file `X/boot/main.wasm`: `X`; else None."""
    if isinstance(wasm, Path) and wasm.name == "main.wasm" and wasm.parent.name == "boot":
        return wasm.parent.parent
    return None


class CellSpawner:
    """Starts children in cells (piped stdio, no filesystem but their agent image's)."""

    def __init__(
        self,
        engine: Engine,
        nursery: trio.Nursery,
        limits: Limits,
        max_guests: int = MAX_GUESTS,
        memory_budget: int = MEMORY_BUDGET,
        reserved: int = 0,
    ) -> None:
        """``reserved``: memory limits of guests running outside this spawner (pid0)."""
        self._engine = engine
        self._nursery = nursery
        self._limits = limits
        self._serial = 0
        self.max_guests = max_guests
        self.memory_budget = memory_budget
        self.running = 0  # children started and not yet released
        self.reserved = reserved  # memory limits of the guests running, pid0's included

    async def spawn(
        self, wasm: bytes | Path, args: Sequence[str], env: dict[str, str], rpc: socket.socket
    ) -> CellProcess:
        if self.running >= self.max_guests:
            raise CellError(
                f"the node already runs {self.running} child guests, its limit "
                "(--max-guests): wait for one to end, or raise the limit"
            )
        self._serial += 1
        name = f"child-{self._serial}"
        if isinstance(wasm, Path):
            name += f" ({wasm})"
        # An unlimited guest may take all there is: it counts as the whole budget.
        need = self._limits.memory_bytes or self.memory_budget
        if self.reserved + need > self.memory_budget:
            raise CellError(
                f"guest {name} refused: its memory limit ({_size(need)}) and the running "
                f"guests' ({_size(self.reserved)}) exceed the node's guest memory budget "
                f"({_size(self.memory_budget)}, --guest-memory-max): wait for a guest to end, "
                "or lower --guest-memory"
            )
        spec = GuestSpec(
            component=wasm,
            name=name,
            args=list(args),
            env=env,
            root=agent_image(wasm),
            stdio=Stdio.pipes(),
            limits=self._limits,
            channel=rpc,
        )
        self.running += 1  # counted at once: two spawns cannot both take the last slot
        self.reserved += need
        try:
            return await self._nursery.start(self._run, spec, need)
        except BaseException:
            self.running -= 1
            self.reserved -= need
            raise

    async def _run(
        self, spec: GuestSpec, need: int, *, task_status: Any = trio.TASK_STATUS_IGNORED
    ) -> None:
        started = False
        try:
            async with open_cell(self._engine, spec) as cell, trio.open_nursery() as nursery:
                process = CellProcess(cell)
                task_status.started(process)
                started = True
                nursery.start_soon(process.drained)
                await cell.wait()
                await process.released.wait()
                nursery.cancel_scope.cancel()
        finally:
            if started:  # else `spawn` gives the slot back
                self.running -= 1
                self.reserved -= need


def _size(n: int) -> str:
    """``n`` bytes as the flags take them: 1G, 160M, 4096."""
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)
