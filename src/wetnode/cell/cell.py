"""Run a guest under trio: `async with open_cell(engine, spec) as cell`.

The bridge to the guest's thread is `trio.to_thread.run_sync` (one call per
guest): trio owns the lifetime, and leaving the `async with` stops the guest
and waits for its thread.  The compile before it may be abandoned (see
`_load`): no guest runs yet.

A stop ends wasm code within one epoch tick, but a guest blocked inside a
WASI host call (``time.sleep``, a poll) cannot be interrupted: wasmtime only
checks epochs in wasm code.  So a stop that has not ended the guest within
``STOP_GRACE`` abandons its thread: the cell reports the guest killed and
lets go of its channel and stdio, and the thread, which can no longer reach
anything the host holds, ends by itself when the host call returns (it traps
at its next epoch check).  A cancelled cell abandons the thread at once.
That is what makes SIGTERM, and the wall-clock limit, end a node or a guest
on time whatever the guest is doing.
"""

from __future__ import annotations

import math
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import trio
from trio.lowlevel import FdStream
from wasmtime.component import Component

from wetnode.cell.engine import Engine
from wetnode.cell.guest import Guest
from wetnode.cell.spec import EXIT_KILLED, Exit, GuestSpec
from wetnode.notice import with_elapsed

STOP_GRACE = 0.5  # seconds a stopped guest has to end before its thread is abandoned
THREAD_PREFIX = "guest "  # a guest thread's name is this and the guest's (top -H, py-spy)


class Cell:
    """A running guest as the host sees it.

    channel: the host end of the guest's channel, a plain blocking socket; the
        cell closes it on exit; shut it down for writing to give the guest EOF.
        None when the spec brought its own channel.
    stdin / stdout / stderr: trio streams for piped stdio (None unless piped).
    """

    def __init__(self, guest: Guest, channel: socket.socket | None) -> None:
        self._guest = guest
        self.channel = channel
        fds = guest.stdio
        self.stdin = FdStream(fds.stdin) if fds.stdin is not None else None
        self.stdout = FdStream(fds.stdout) if fds.stdout is not None else None
        self.stderr = FdStream(fds.stderr) if fds.stderr is not None else None
        fds.stdin = fds.stdout = fds.stderr = None  # the FdStreams own them now
        self._exit: Exit | None = None
        self._done = trio.Event()
        self._thread_scope = trio.CancelScope()

    @property
    def exit(self) -> Exit | None:
        """How the guest ended, or None while it runs."""
        return self._exit

    async def wait(self) -> Exit:
        """Wait for the guest to end and report how."""
        await self._done.wait()
        assert self._exit is not None
        return self._exit

    def stop(self, reason: str = "stopped by the host") -> None:
        """End the guest within ~10 ms if it runs wasm, at once if it waits on the
        channel or piped stdio (those are closed), within ``STOP_GRACE`` if it is
        blocked in another host call.  Idempotent; the first reason wins.
        """
        if self._done.is_set():
            return
        self._guest.stop(reason)
        self._close_stdio()
        grace = trio.current_time() + STOP_GRACE
        self._thread_scope.deadline = min(self._thread_scope.deadline, grace)

    async def _run(self, limiter: trio.CapacityLimiter) -> None:
        with self._thread_scope:
            self._exit = await trio.to_thread.run_sync(
                self._guest.run,
                limiter=limiter,
                abandon_on_cancel=True,
                thread_name=f"{THREAD_PREFIX}{self._guest.name}",
            )
        if self._exit is None:  # abandoned: blocked in a host call past the grace
            reason = self._guest.stop_reason or "stopped by the host"
            self._exit = Exit(EXIT_KILLED, f"{reason} (it was blocked in a host call)")
        self._done.set()

    async def _enforce_wall_clock(self, seconds: float) -> None:
        with trio.move_on_after(seconds):
            await self._done.wait()
            return
        self.stop(f"wall clock limit of {seconds:g} s exceeded")

    def _close_stdio(self) -> None:
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                stream.close()


async def _load(engine: Engine, spec: GuestSpec, limiter: trio.CapacityLimiter) -> Component:
    """The compiled component, in a thread (a first compile takes 10-50 s).

    Cancelling (Ctrl-C) abandons the thread rather than waiting for it: the
    compile cannot be stopped, so it finishes unseen and its result is
    dropped (`Engine.close` does not wait for it).
    """
    return await trio.to_thread.run_sync(
        engine.load, spec.component, spec.name, limiter=limiter, abandon_on_cancel=True
    )


def _shown(spec: GuestSpec) -> str:
    """The guest as a user knows it: its file (boot/main.wasm), else its name."""
    if isinstance(spec.component, Path) and spec.root is not None:
        try:
            return str(spec.component.relative_to(spec.root))
        except ValueError:
            pass
    return spec.name


@asynccontextmanager
async def open_cell(engine: Engine, spec: GuestSpec) -> AsyncIterator[Cell]:
    """Load, instantiate and start a guest; stop it (if still running) on exit.

    Raises `CellError` for a component that cannot run here (not wasm, a core
    module, another world).  Runtime failures are reported by `Cell.wait()`.
    """
    limiter = trio.CapacityLimiter(1)  # the guest's own thread, whatever else runs
    component = await with_elapsed(
        f"compiling {_shown(spec)}", partial(_load, engine, spec, limiter)
    )
    if spec.channel is not None:  # the caller serves the other end itself
        host_end, guest_end = None, spec.channel
    else:
        host_end, guest_end = socket.socketpair()
    try:
        guest = await trio.to_thread.run_sync(partial(Guest, engine, component, spec, guest_end),
                                              limiter=limiter)
    except BaseException:
        if host_end is not None:
            host_end.close()
        guest_end.close()
        raise
    cell = Cell(guest, host_end)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(cell._run, limiter)
            wall = spec.limits.wall_seconds
            nursery.start_soon(cell._enforce_wall_clock, wall if wall is not None else math.inf)
            try:
                yield cell
            finally:
                cell.stop()
    except BaseExceptionGroup as group:
        # The cell's own tasks do not fail, so a group holds the body's one
        # exception: re-raise it bare, so callers catch CellError etc. as usual.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        if host_end is not None:
            host_end.close()
        cell._close_stdio()
