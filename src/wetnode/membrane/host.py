"""The host side of the membrane: serve guests their Membrane, own their children.

``open_membrane_host`` gives the node one ``MembraneHost`` for its lifetime.
The node calls ``attach_pid0(sock)`` with the host end of pid0's RPC channel;
children started through any Executor are attached the same way with a key of
their own.  ``advance_epoch`` is the stem pipeline's lever: every capability
issued under an older epoch fails with ``staleEpoch`` from then on.  With an
``audit`` log, each guest's calls, grafts, spawns and exits and each epoch
change are recorded (the guest's name is the caller: ``pid0``, ``pid0/1``...).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from wetnode.ipfs.budget import ResultBudget
from wetnode.keys import NodeKey
from wetnode.membrane.bytestream_port import StreamPort
from wetnode.membrane.epoch import Epoch, EpochClock
from wetnode.membrane.errors import NotAvailable
from wetnode.membrane.guests import Child, GuestLink, stop_all
from wetnode.membrane.ports import IpfsBackend, Network, Routing, Spawner
from wetnode.membrane.servers.membrane import GuestMembraneServer
from wetnode.membrane.session import ALL, BARE, CHILD, Grants, Passed, Session
from wetnode.membrane.signing import SignerKey
from wetnode.rpc.metered import DEFAULT_CHANNEL_LIMITS, ChannelLimits
from wetnode.rpc.vat import Connection, Vat, VatClosed

if TYPE_CHECKING:
    from wetnode.approvals.desk import ApprovalDesk
    from wetnode.audit.log import AuditLog
    from wetnode.mcp.local import LocalServers

log = logging.getLogger(__name__)


class MembraneHost:
    """Serves Membranes to local guests; create it with ``open_membrane_host``."""

    def __init__(
        self,
        vat: Vat,
        nursery: trio.Nursery,
        node_key: SignerKey,
        network: Network,
        spawner: Spawner | None,
        ipfs: IpfsBackend | None,
        child_grants: Grants,
        audit: AuditLog | None = None,
        approvals: ApprovalDesk | None = None,
        mcp: LocalServers | None = None,
        routing: Routing | None = None,
        channel: ChannelLimits = DEFAULT_CHANNEL_LIMITS,
    ) -> None:
        self.vat = vat
        self.audit = audit
        self._approvals = approvals
        self._mcp = mcp
        self.clock = EpochClock()
        self._nursery = nursery
        self._node_key = node_key
        self._network = network
        self._spawner = spawner
        self._ipfs = ipfs
        self._child_grants = child_grants
        self._routing = routing
        self._channel = channel
        self._links: set[GuestLink] = set()
        self._serial = 0

    def advance_epoch(self, epoch: Epoch) -> None:
        """Adopt ``epoch``: everything issued under an older one goes stale."""
        self.clock.advance(epoch)
        if self.audit is not None:
            self.audit.node_event("epoch", epoch.seq, f"head {epoch.head.hex()}")
        log.info("adopted epoch %d; older capabilities are now stale", epoch.seq)

    async def attach_pid0(
        self,
        sock: socket.socket,
        stdin: trio.abc.ReceiveStream | None = None,
        root: Path | None = None,
    ) -> GuestLink:
        """Serve pid0 its Membrane on ``sock`` (grafts verify the node key).

        ``stdin`` (the node's terminal input) is offered by ``GuestMembrane.stdin``;
        ``root`` is pid0's image on the host, which ``Executor.loadPath`` reads.
        """
        port = StreamPort("stdin", receive=stdin) if stdin is not None else None
        self._record("node", "spawn", "pid0")
        return await self._attach(sock, "pid0", self._node_key, ALL, port, root, self._mcp)

    async def _attach(
        self,
        sock: socket.socket,
        name: str,
        key: SignerKey,
        grants: Grants,
        stdin: StreamPort | None = None,
        root: Path | None = None,
        mcp: LocalServers | None = None,
        passed: Passed | None = None,
    ) -> GuestLink:
        link = GuestLink(self.vat, name)

        async def spawn(
            wasm: bytes | Path,
            args: Sequence[str],
            env: dict[str, str],
            grants: Grants | Passed | None,
        ) -> Child:
            return await self._spawn_child(link, wasm, args, env, grants)

        session = Session(
            self.vat, self.clock, key, grants, self._network, self._ipfs, spawn, stdin, root,
            gone=link.closed, tap=self.audit.tap(name) if self.audit is not None else None,
            approvals=self._approvals, mcp=mcp, routing=self._routing, passed=passed,
            results=ResultBudget(self._channel.results_bytes),
        )  # fmt: skip
        # Read through a meter that bounds the guest's calls in flight and the results it
        # leaves unread (`wetnode.rpc.metered`), which owns ``sock`` once the vat has it.
        try:
            link.connection = await self.vat.run(
                _serve, self.vat, sock, name, session, self._channel
            )
        except VatClosed:  # the vat never took the socket
            sock.close()
            raise
        self._links.add(link)
        self._nursery.start_soon(self._watch, link)
        return link

    async def _watch(self, link: GuestLink) -> None:
        """When a guest's link breaks its capabilities are gone: stop its children."""
        connection = link.connection
        assert connection is not None
        try:
            if link.closing:  # closed before this task ran: the connection is gone
                return
            async with trio.open_nursery() as nursery:

                async def until_closed() -> None:
                    await link.closed.wait()
                    nursery.cancel_scope.cancel()

                nursery.start_soon(until_closed)
                # Scheduled on the vat before any close() can schedule the
                # connection's teardown there (both run from this trio thread).
                await self.vat.run(connection.disconnected)
                log.debug("guest link %s disconnected", link.name)
                nursery.cancel_scope.cancel()
            await link.close()
        finally:
            self._links.discard(link)

    async def _spawn_child(
        self,
        parent: GuestLink,
        wasm: bytes | Path,
        args: Sequence[str],
        env: dict[str, str],
        grants: Grants | Passed | None = None,
    ) -> Child:
        if self._spawner is None:
            raise NotAvailable("spawn: this node has no guest runtime to run children")
        self._serial += 1
        name = f"{parent.name}/{self._serial}"
        host_end, guest_end = socket.socketpair()
        # A child its parent handed capabilities to holds those and nothing of the host's.
        if isinstance(grants, Passed):
            passed, own = grants, BARE
        else:
            passed, own = None, self._child_grants if grants is None else grants
        try:
            link = await self._attach(host_end, name, NodeKey.generate(), own, passed=passed)
        except BaseException:
            guest_end.close()
            raise
        try:
            process = await self._spawner.spawn(wasm, args, env, guest_end)
        except BaseException:
            guest_end.close()
            await link.close()
            raise
        child = Child(process, link)
        parent.children.add(child)
        self._nursery.start_soon(self._supervise, child, parent)
        if parent.closing:  # the parent went away while its child was starting
            child.kill()
        self._record(parent.name, "spawn", name)
        log.info("started child guest %s", name)
        return child

    async def _supervise(self, child: Child, parent: GuestLink) -> None:
        try:
            await child.supervise(parent)
        finally:
            self._record(child.link.name, "exit", f"code {child.exit_code}")

    def _record(self, caller: str, kind: str, detail: str) -> None:
        if self.audit is not None:
            self.audit.node_event(kind, self.clock.current.seq, detail, caller=caller)

    async def aclose(self) -> None:
        """Stop every guest's children and drop every link."""
        with trio.CancelScope(shield=True):
            for link in list(self._links):
                await stop_all(link.children)
            for link in list(self._links):
                await link.close()


async def _serve(
    vat: Vat, sock: socket.socket, name: str, session: Session, limits: ChannelLimits
) -> Connection:
    return await vat.connect(sock, GuestMembraneServer(session), guest=name, limits=limits)


@asynccontextmanager
async def open_membrane_host(
    vat: Vat,
    *,
    node_key: SignerKey,
    network: Network,
    spawner: Spawner | None = None,
    ipfs: IpfsBackend | None = None,
    child_grants: Grants = CHILD,
    audit: AuditLog | None = None,
    approvals: ApprovalDesk | None = None,
    mcp: LocalServers | None = None,
    routing: Routing | None = None,
    channel: ChannelLimits = DEFAULT_CHANNEL_LIMITS,
) -> AsyncIterator[MembraneHost]:
    """A ``MembraneHost`` for the block; leaving it stops all guests' children.

    Enter it inside ``open_vat()``: the host must stop before the vat does.
    ``mcp`` (the node's `--mcp` servers) is what pid0's graft offers as `mcp`;
    ``channel`` bounds what each guest's channel may hold.
    """
    async with trio.open_nursery() as nursery:
        host = MembraneHost(
            vat,
            nursery,
            node_key,
            network,
            spawner,
            ipfs,
            child_grants,
            audit=audit,
            approvals=approvals,
            mcp=mcp,
            routing=routing,
            channel=channel,
        )
        try:
            yield host
        finally:
            await host.aclose()
            nursery.cancel_scope.cancel()
