"""LAN discovery (`--mdns`): peers on the local network found by mDNS join our DHT.

py-libp2p's `MDNSDiscovery` (zeroconf) announces this node's addresses and
reports the peers it hears, from zeroconf's own thread.  `discover` carries
each report into trio through a bounded channel, connects to the peer and
puts it in the DHT's routing table; the DHT does the rest.  zeroconf's
blocking calls run in a worker thread.  A network without multicast is a
warning, not a failed boot.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

import trio
from libp2p.discovery.events.peerDiscovery import peerDiscovery
from libp2p.discovery.mdns.mdns import MDNSDiscovery
from libp2p.peer.peerinfo import PeerInfo

from wetnode.net.dht import Dht

log = logging.getLogger(__name__)

BACKLOG = 64  # reports queued before more are dropped (zeroconf must never block)


async def discover(dht: Dht, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Announce this node by mDNS and join the DHT through every peer heard, until cancelled."""
    swarm = dht.swarm
    token = trio.lowlevel.current_trio_token()
    reports, inbox = trio.open_memory_channel[PeerInfo](BACKLOG)

    def heard(info: PeerInfo) -> None:  # on zeroconf's thread
        with suppress(trio.RunFinishedError):  # the node is stopping
            token.run_sync_soon(_offer, reports, info)

    port = int(swarm.addrs()[0].value_for_protocol("tcp"))
    # Listen before zeroconf starts browsing (its constructor does): a peer heard while
    # this node registers (a second or more of probing) would otherwise be lost, and of
    # two nodes only the one up first would find the other.
    peerDiscovery.register_peer_discovered_handler(heard)
    try:
        try:
            mdns = await trio.to_thread.run_sync(
                lambda: MDNSDiscovery(swarm.host.get_network(), port=port, host=swarm.host)
            )
            await trio.to_thread.run_sync(mdns.broadcaster.register)
        except OSError as exc:
            log.warning("mDNS is off: the local network does not take it (%s)", exc)
            task_status.started()
            return
        log.info("mDNS: announcing %s on port %d", swarm.peer_id, port)
        task_status.started()
        try:
            await _join_heard(dht, inbox)
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(5):
                await trio.to_thread.run_sync(mdns.stop, abandon_on_cancel=True)
    finally:
        peerDiscovery.unregister_peer_discovered_handler(heard)


async def _join_heard(dht: Dht, inbox: trio.MemoryReceiveChannel[PeerInfo]) -> None:
    """Join the DHT through each peer reported, unless it is us or already connected."""
    async with inbox:
        async for info in inbox:
            if info.peer_id == dht.swarm.peer_id:
                continue
            log.info("mDNS: found peer %s at %s", info.peer_id, info.addrs)
            if info.peer_id not in _connected(dht):  # else it found us first
                await dht.bootstrap([(info.peer_id, addr) for addr in info.addrs[:1]])


def _connected(dht: Dht) -> set[Any]:
    return set(dht.swarm.host.get_connected_peers())


def _offer(reports: trio.MemorySendChannel[PeerInfo], info: PeerInfo) -> None:
    try:
        reports.send_nowait(info)
    except (trio.WouldBlock, trio.ClosedResourceError):
        log.debug("mDNS: report of %s dropped", info.peer_id)
