"""Host: this node's identity and swarm, as a capability."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wetnode.errors import WetnodeError
from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.servers.executor import ExecutorServer
from wetnode.membrane.session import Session
from wetnode.schemas import stem as _stem
from wetnode.schemas import system as _system


class HostServer(Guarded, _system.Host.Server):
    def __init__(self, guard: EpochGuard, session: Session) -> None:
        super().__init__(guard)
        self._session = session

    async def id(self, **_: Any) -> bytes:
        return self._session.network.peer_id

    async def addrs(self, **_: Any) -> list[bytes]:
        return await self._session.vat.to_trio(self._session.network.listen_addrs)

    async def peers(self, **_: Any) -> list[dict[str, Any]]:
        peers = await self._session.vat.to_trio(self._session.network.peers)
        return [{"peerId": peer.peer_id, "addrs": list(peer.addrs)} for peer in peers]

    async def connect(self, peerId: bytes, addrs: Sequence[bytes], **_: Any) -> None:
        network = self._session.network
        try:
            await self._session.vat.to_trio(network.connect, bytes(peerId), list(addrs))
        except (ConnectionError, OSError, ValueError) as exc:
            raise CapabilityError(f"host.connect failed: {exc}") from None

    async def dial(self, peerId: bytes, addrs: Sequence[bytes], **_: Any) -> Any:
        network = self._session.network
        try:
            connection = await self._session.vat.to_trio(
                network.dial, bytes(peerId), list(addrs), self._session.gone
            )
        except (ConnectionError, OSError, ValueError, WetnodeError) as exc:
            raise CapabilityError(f"host.dial failed: {exc}") from None
        # pycapnp sets an AnyPointer field only from a typed client; the remote
        # export is a Membrane by protocol (callers may cast it otherwise).
        return connection.bootstrap().cast_as(_stem.Membrane)

    async def executor(self, **_: Any) -> ExecutorServer:
        return ExecutorServer(self.guard, self._session)
