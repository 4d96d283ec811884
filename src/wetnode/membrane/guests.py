"""Who owns which running guest (trio side).

Every guest the host serves has a ``GuestLink``: its RPC connection and the
children it started through its Executor.  Ownership is a tree: when a guest
exits, or its link to the host breaks (its capabilities are gone), the host
kills its children, which in turn takes down theirs.
"""

from __future__ import annotations

import logging

import trio

from wetnode.membrane.bytestream_port import StreamPort
from wetnode.membrane.errors import CapabilityError
from wetnode.membrane.ports import GuestProcess
from wetnode.rpc.vat import Connection, Vat

log = logging.getLogger(__name__)

STOP_TIMEOUT = 5.0  # seconds a killed child gets to report its exit


class GuestLink:
    """One guest's connection to the host, and the children it owns."""

    def __init__(self, vat: Vat, name: str) -> None:
        self.vat = vat
        self.name = name
        self.connection: Connection | None = None
        self.children: set[Child] = set()
        self.closed = trio.Event()
        self.closing = False  # set the moment close() starts

    async def close(self) -> None:
        """Stop this guest's children (recursively), then drop its connection."""
        if self.closing:
            await self.closed.wait()
            return
        self.closing = True
        try:
            with trio.CancelScope(shield=True):
                await stop_all(self.children)
                if self.connection is not None:
                    await self.vat.drop(self.connection)
        finally:
            self.closed.set()
            log.debug("guest link %s closed", self.name)


class Child:
    """A guest started by another guest's ``Executor.runBytes``."""

    def __init__(self, process: GuestProcess, link: GuestLink) -> None:
        self.process = process
        self.link = link  # the child's own link: it owns the grandchildren
        self.stdin = StreamPort("stdin", send=process.stdin)
        self.stdout = StreamPort("stdout", receive=process.stdout)
        self.stderr = StreamPort("stderr", receive=process.stderr)
        self.exit_code: int | None = None
        self.exited = trio.Event()

    async def supervise(self, owner: GuestLink) -> None:
        """Runs for the child's lifetime: reap it, then release what it owned."""
        try:
            self.exit_code = await self.process.wait()
        finally:
            self.exited.set()
            owner.children.discard(self)
            await self.link.close()
            log.debug("child %s exited with %s", self.link.name, self.exit_code)

    async def wait(self) -> int:
        await self.exited.wait()
        if self.exit_code is None:  # supervision was cancelled: the node is stopping
            raise CapabilityError("the process was abandoned: the node is shutting down")
        return self.exit_code

    def kill(self) -> None:
        if not self.exited.is_set():
            self.process.kill()


async def stop_all(children: set[Child]) -> None:
    """Kill ``children`` and wait (bounded) until each has been reaped."""
    doomed = list(children)
    for child in doomed:
        child.kill()
    with trio.move_on_after(STOP_TIMEOUT) as scope:
        for child in doomed:
            await child.exited.wait()
    if scope.cancelled_caught:
        log.warning("some children did not stop within %.0f s", STOP_TIMEOUT)
