"""Process: a child guest's stdio and exit code, as a capability."""

from __future__ import annotations

from typing import Any

from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.guests import Child
from wetnode.membrane.servers.bytestream import ByteStreamServer
from wetnode.rpc.vat import Vat
from wetnode.schemas import system as _system


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
