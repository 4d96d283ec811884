"""Finder and Announcer: the node's DHT as two capabilities, each grantable alone.

Both delegate to the node's `Routing` port (trio-side, `net.routing.DhtRouting`)
and are epoch-guarded like every graft capability.  A find runs under the
port's one deadline and is cancelled if the guest that asked goes; an
announcement lasts until that guest goes (pid0 goes at each new epoch), then
the node withdraws it.
"""

from __future__ import annotations

from typing import Any

from wetnode.errors import WetnodeError
from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError, NotAvailable
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.ports import Routing
from wetnode.membrane.session import Session
from wetnode.schemas import system as _system

MAX_PROVIDERS = 16  # what one find returns at most, whatever count asks
NO_ROUTING = "no DHT: this node runs without routing"


class _RoutingServer(Guarded):
    def __init__(self, guard: EpochGuard, session: Session) -> None:
        super().__init__(guard)
        self._session = session

    def _require(self) -> Routing:
        if self._session.routing is None:
            raise NotAvailable(NO_ROUTING)
        return self._session.routing

    async def hash(self, data: bytes, **_: Any) -> str:
        return self._require().hash(bytes(data))


class FinderServer(_RoutingServer, _system.Finder.Server):
    async def find(self, key: str, count: int, **_: Any) -> list[dict[str, Any]]:
        routing = self._require()
        wanted = max(0, min(int(count), MAX_PROVIDERS))
        try:
            providers = await self._session.vat.to_trio(
                routing.find, str(key), wanted, self._session.gone
            )
        except (ValueError, WetnodeError) as exc:
            raise CapabilityError(f"finder.find failed: {exc}") from None
        return [{"peerId": p.peer_id, "addrs": list(p.addrs)} for p in providers]


class AnnouncerServer(_RoutingServer, _system.Announcer.Server):
    async def provide(self, key: str, **_: Any) -> None:
        routing = self._require()
        try:
            await self._session.vat.to_trio(routing.provide, str(key), self._session.gone)
        except (ValueError, WetnodeError) as exc:
            raise CapabilityError(f"announcer.provide failed: {exc}") from None
