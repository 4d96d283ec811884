"""Ipfs.Client: the CoreAPI shape, backed by the node's IPFS backend if any."""

from __future__ import annotations

from typing import Any

from wetnode.ipfs.budget import ResultBudget
from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import NotAvailable
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.ports import IpfsBackend
from wetnode.rpc.vat import Vat
from wetnode.schemas import ipfs as _ipfs

NO_BACKEND = "no IPFS backend: this node runs without an IPFS daemon"


class UnixFSServer(Guarded, _ipfs.UnixFS.Server):
    def __init__(
        self, guard: EpochGuard, vat: Vat, backend: IpfsBackend | None, results: ResultBudget
    ) -> None:
        super().__init__(guard)
        self._vat = vat
        self._backend = backend
        self._results = results  # the guest's: what its cats are building at once

    def _require(self) -> IpfsBackend:
        if self._backend is None:
            raise NotAvailable(NO_BACKEND)
        return self._backend

    async def cat(self, path: str, **_: Any) -> bytes:
        return await self._vat.to_trio(self._require().cat, path, self._results)

    async def ls(self, path: str, **_: Any) -> list[dict[str, Any]]:
        entries = await self._vat.to_trio(self._require().ls, path)
        return [{"name": e.name, "size": e.size, "type": e.type, "cid": e.cid} for e in entries]


def _method_less_api(interface: Any) -> Any:
    """A Client method returning a guarded server for a sub-API with no methods
    yet (Block, Dag, ...): the capability exists and goes stale like the rest."""
    server_class = type("MethodLessApiServer", (Guarded, interface.Server), {})

    async def sub_api(self: IpfsClientServer, **_: Any) -> Any:
        return server_class(self.guard)

    return sub_api


class IpfsClientServer(Guarded, _ipfs.Client.Server):
    def __init__(
        self, guard: EpochGuard, vat: Vat, backend: IpfsBackend | None, results: ResultBudget
    ) -> None:
        super().__init__(guard)
        self._vat = vat
        self._backend = backend
        self._results = results

    async def unixfs(self, **_: Any) -> UnixFSServer:
        return UnixFSServer(self.guard, self._vat, self._backend, self._results)

    block = _method_less_api(_ipfs.Block)
    dag = _method_less_api(_ipfs.Dag)
    name = _method_less_api(_ipfs.Name)
    key = _method_less_api(_ipfs.Key)
    pin = _method_less_api(_ipfs.Pin)
    object = _method_less_api(_ipfs.Object)
    swarm = _method_less_api(_ipfs.Swarm)
    pubSub = _method_less_api(_ipfs.PubSub)
    routing = _method_less_api(_ipfs.Routing)

    async def resolvePath(self, path: str, **_: Any) -> None:
        raise NotAvailable(self._unsupported("resolvePath"))

    async def resolveNode(self, path: str, **_: Any) -> None:
        raise NotAvailable(self._unsupported("resolveNode"))

    def _unsupported(self, method: str) -> str:
        if self._backend is None:
            return NO_BACKEND
        return f"ipfs.{method} is not supported by this node yet; use unixfs().cat/ls"
