"""ByteStream: one direction of a guest's stdio, as a capability."""

from __future__ import annotations

from typing import Any

from wetnode.membrane.bytestream_port import StreamPort
from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.guarded import Guarded
from wetnode.rpc.vat import Vat
from wetnode.schemas import system as _system


class ByteStreamServer(Guarded, _system.ByteStream.Server):
    def __init__(self, guard: EpochGuard, vat: Vat, port: StreamPort) -> None:
        super().__init__(guard)
        self._vat = vat
        self._port = port

    async def read(self, maxBytes: int, **_: Any) -> bytes:
        return await self._vat.to_trio(self._port.read, maxBytes)

    async def write(self, data: bytes, **_: Any) -> None:
        await self._vat.to_trio(self._port.write, bytes(data))

    async def close(self, **_: Any) -> None:
        await self._vat.to_trio(self._port.close)
