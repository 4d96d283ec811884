"""The trio side of a ByteStream: one direction of a guest's stdio.

The capability server lives on the vat thread and forwards each call here
through ``vat.to_trio``.  A port serialises its callers, so two concurrent
reads queue instead of failing.
"""

from __future__ import annotations

import trio

from wetnode.membrane.errors import CapabilityError

DEFAULT_READ = 64 * 1024
MAX_READ = 1024 * 1024


class StreamPort:
    """Trio side of a ByteStream: exactly one of ``receive`` or ``send`` is set."""

    def __init__(
        self,
        name: str,
        receive: trio.abc.ReceiveStream | None = None,
        send: trio.abc.SendStream | None = None,
    ) -> None:
        self.name = name
        self._receive = receive
        self._send = send
        self._lock = trio.Lock()
        self._closed = False

    async def read(self, max_bytes: int) -> bytes:
        if self._receive is None:
            raise CapabilityError(f"{self.name} is write-only: it cannot be read")
        size = DEFAULT_READ if max_bytes == 0 else min(max_bytes, MAX_READ)
        async with self._lock:
            if self._closed:
                return b""
            try:
                return bytes(await self._receive.receive_some(size))
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                return b""

    async def write(self, data: bytes) -> None:
        if self._send is None:
            raise CapabilityError(f"{self.name} is read-only: it cannot be written")
        async with self._lock:
            if self._closed:
                raise CapabilityError(f"{self.name} is closed")
            try:
                await self._send.send_all(data)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                raise CapabilityError(f"{self.name} is closed: nobody reads it") from None

    async def close(self) -> None:
        self._closed = True
        stream = self._receive if self._receive is not None else self._send
        assert stream is not None
        await stream.aclose()
