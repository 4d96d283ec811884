"""Serve one exported capability to remote peers, one RPC connection per stream.

Protocol id ``/ww/0.1.0`` (the reference node's id for pid0's export).  Every
inbound stream on it is a fresh Cap'n Proto two-party connection whose
bootstrap capability is the node's export, and nothing else: the raw host
capabilities are never offered, so a remote peer reaches only what the export
itself hands out.

Frames flow as opaque bytes (see wetnode.net.pump), counted but not parsed
past their heads (wetnode.net.flow); pycapnp parses them on the vat.  With
``watch``, each stream's calls are recorded from those heads
(wetnode.net.audit_tap).
Garbage or a truncated frame makes pycapnp abort that one connection, which
ends that stream only; other streams and the node carry on.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import trio
from libp2p.abc import INetStream
from libp2p.peer.id import ID

from wetnode.net.audit_tap import StreamRecorder
from wetnode.net.flow import DEFAULT_FLOW_LIMITS, FlowLimits
from wetnode.net.pump import pump
from wetnode.net.swarm import Swarm
from wetnode.rpc.vat import Connection, Vat, VatClosed

log = logging.getLogger(__name__)

PROTOCOL = "/ww/0.1.0"

# Called on the vat for each inbound stream with the remote's (Noise-verified)
# peer ID; returns the pycapnp server object to offer as that connection's
# bootstrap capability.
Export = Callable[[ID], Any]
# Called on trio for each inbound stream: what records that peer's calls on it.
Watch = Callable[[ID], StreamRecorder]


def serve(
    swarm: Swarm,
    vat: Vat,
    export: Export,
    protocol: str = PROTOCOL,
    flow: FlowLimits = DEFAULT_FLOW_LIMITS,
    watch: Watch | None = None,
) -> None:
    """Serve ``export()`` on ``protocol`` until the swarm stops; each stream's calls in
    flight bounded by ``flow``, and recorded by ``watch(peer)`` when given."""

    async def handle(stream: INetStream) -> None:
        peer = stream.muxed_conn.peer_id
        vat_end, pump_end = socket.socketpair()
        try:
            connection = await vat.run(_connect, vat, vat_end, export, peer)
        except Exception as exc:  # e.g. the vat is stopping: refuse this stream only
            log.warning("cannot serve %s to peer %s: %r", protocol, peer, exc)
            vat_end.close()
            pump_end.close()
            with trio.CancelScope(shield=True):
                await stream.reset()
            return
        log.debug("peer %s opened %s", peer, protocol)
        recorder = watch(peer) if watch is not None else None
        try:
            await pump(stream, pump_end, flow, recorder)
        finally:
            if recorder is not None:
                recorder.ended()
            with trio.CancelScope(shield=True), suppress(VatClosed):
                await vat.drop(connection)
            log.debug("peer %s closed %s", peer, protocol)

    swarm.handle(protocol, handle)


async def _connect(vat: Vat, sock: socket.socket, export: Export, peer: ID) -> Connection:
    return await vat.connect(sock, export(peer))
