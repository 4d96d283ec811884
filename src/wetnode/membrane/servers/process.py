"""Process: a child guest's stdio, exit code and export, as a capability.

`bootstrap` is the reference node's: the capability the child exported.
`hook` is ours: the same export as a `Hook` whose checks the host bounds in
time, because a guest has no timers of its own: a parent asking its hook
about a call must not wait on a hook that loops.  A hook that misses its
budget is killed (it is stuck or hostile, and would hold a thread and a
core); the parent starts another if it wants one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import capnp

from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError, HookTimeout
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.guests import Child
from wetnode.membrane.servers.bytestream import ByteStreamServer
from wetnode.rpc.reasons import WireReason, remote_reason
from wetnode.rpc.vat import Vat
from wetnode.schemas import system as _system

MAX_HOOK_BUDGET_MS = 60_000  # a bound on the bound: a check never holds a call longer


class ProcessServer(Guarded, _system.Process.Server):
    def __init__(self, guard: EpochGuard, vat: Vat, child: Child) -> None:
        super().__init__(guard)
        self._vat = vat
        self._child = child
        self._stdin = ByteStreamServer(guard, vat, child.stdin)
        self._stdout = ByteStreamServer(guard, vat, child.stdout)
        self._stderr = ByteStreamServer(guard, vat, child.stderr)

    async def stdin(self, **_: Any) -> ByteStreamServer:
        return self._stdin

    async def stdout(self, **_: Any) -> ByteStreamServer:
        return self._stdout

    async def stderr(self, **_: Any) -> ByteStreamServer:
        return self._stderr

    async def wait(self, **_: Any) -> int:
        return await self._vat.to_trio(self._child.wait)

    async def bootstrap(self, **_: Any) -> Any:
        # pycapnp sets an AnyPointer field only from a typed client; the type is
        # pycapnp's alone: the parent's calls reach the child under their own IDs.
        return self._export().cast_as(_system.Hook)

    async def kill(self, **_: Any) -> None:
        await self._vat.to_trio(self._kill)

    async def hook(self, budgetMillis: int, **_: Any) -> BoundedHook:
        if not 0 < budgetMillis <= MAX_HOOK_BUDGET_MS:
            raise CapabilityError(
                f"hook: a budget is 1 to {MAX_HOOK_BUDGET_MS} ms, not {budgetMillis}"
            )
        return BoundedHook(self._export().cast_as(_system.Hook), budgetMillis, self)

    def _export(self) -> Any:
        """The child's bootstrap capability: a promise that fails if it exported none."""
        connection = self._child.link.connection
        if connection is None or self._child.exited.is_set():
            raise CapabilityError("bootstrap: the process has exited")
        return connection.bootstrap()

    async def _kill(self) -> None:
        self._child.kill()


class BoundedHook(Guarded, _system.Hook.Server):
    """A child's Hook, each check bounded by the host's clock (see the module)."""

    def __init__(self, target: Any, budget_ms: int, process: ProcessServer) -> None:
        super().__init__(process.guard)
        self._target = target
        self._budget_ms = budget_ms
        self._process = process

    async def check(self, event: Any, _context: Any, **_: Any) -> None:
        try:
            async with asyncio.timeout(self._budget_ms / 1000):
                answer = await self._target.check(event)
        except capnp.KjException as exc:  # the hook's own failure, as one line
            raise WireReason(f"the hook failed: {remote_reason(exc)}") from None
        except TimeoutError:
            await self._process.kill()
            raise HookTimeout(
                f"the hook did not answer within its {self._budget_ms} ms budget; it was stopped"
            ) from None
        _context.results.verdict = answer.verdict
