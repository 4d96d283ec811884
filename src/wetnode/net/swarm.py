"""A libp2p swarm on trio: TCP, Noise only, yamux, identify.

py-libp2p's defaults are too loose for a node that serves capabilities: its
default security options also accept plaintext and secio connections, and its
identify agent names py-libp2p.  ``open_swarm`` builds a host that negotiates
Noise and nothing else, speaks yamux only (mplex stalled on large transfers
here), announces itself as ``wetware/0.1.0`` and dials one connection per
peer (a higher limit adds a ~250 ms dial delay in py-libp2p 0.8.1).  What
inbound connections may cost is `net/admission.py`'s job.

Its yamux (`net/muxer.py`) returns receive credit in batches at half the
window, as go-yamux does: py-libp2p's sends a WINDOW_UPDATE frame after
about every other small read, a third more frames -- and loopback TCP sends,
the dominant cost here -- for a small request/response.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import libp2p.identity.identify.identify as identify
import multiaddr
import trio
from libp2p import new_host
from libp2p.abc import IHost, INetStream
from libp2p.crypto.keys import KeyPair
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.crypto.x25519 import create_new_key_pair as create_x25519_key_pair
from libp2p.custom_types import TProtocol
from libp2p.network.config import ConnectionConfig
from libp2p.network.swarm import Swarm as Libp2pSwarm
from libp2p.peer.id import ID
from libp2p.peer.peerinfo import PeerInfo
from libp2p.peer.peerstore import PeerStoreError
from libp2p.security.noise.transport import PROTOCOL_ID as NOISE_PROTOCOL_ID
from libp2p.security.noise.transport import Transport as NoiseTransport
from libp2p.stream_muxer.yamux.yamux import PROTOCOL_ID as YAMUX_PROTOCOL_ID

from wetnode.config import DEFAULT_LISTEN, DEFAULT_PORT
from wetnode.errors import PortInUse
from wetnode.net import muxer, stream_lock
from wetnode.net.admission import Admission, NoAutoConnect, cap_negotiations
from wetnode.net.limits import DEFAULT_CONN_LIMITS, ConnLimits

log = logging.getLogger(__name__)

AGENT_VERSION = "wetware/0.1.0"
CONNECT_TIMEOUT = 10.0  # seconds to dial and upgrade a connection
CLOSE_TIMEOUT = 2.0  # seconds for the swarm's connections to close when it stops
_LIBP2P_CEILING = 64  # headroom over the inbound limit for the node's own dials

StreamHandler = Callable[[INetStream], Awaitable[None]]


@dataclass(frozen=True)
class Peer:
    """A connected peer: its id and the addresses we know it by."""

    peer_id: ID
    addrs: tuple[multiaddr.Multiaddr, ...]


class Swarm:
    """A running libp2p host; create it with ``open_swarm``."""

    def __init__(self, host: IHost, admission: Admission) -> None:
        self.host = host
        self.admission = admission  # the inbound connections and their limits

    @property
    def peer_id(self) -> ID:
        return self.host.get_id()

    def addrs(self) -> list[multiaddr.Multiaddr]:
        """Dialable listen multiaddrs, each ending in ``/p2p/<peer id>``.

        A wildcard listener (0.0.0.0) is listed under this machine's own
        IPv4 addresses, since nobody can dial 0.0.0.0.
        """
        suffix = multiaddr.Multiaddr(f"/p2p/{self.peer_id}")
        result: list[multiaddr.Multiaddr] = []
        for addr in self.host.get_transport_addrs():
            ip = addr.value_for_protocol("ip4") if _has(addr, "ip4") else None
            if ip == "0.0.0.0":
                port = addr.value_for_protocol("tcp")
                result.extend(
                    multiaddr.Multiaddr(f"/ip4/{local}/tcp/{port}").encapsulate(suffix)
                    for local in _local_ipv4s()
                )
            else:
                result.append(addr.encapsulate(suffix))
        return result

    def peers(self) -> list[Peer]:
        """Peers with a live connection, with the addresses we know them by.

        Those are the peerstore's addresses when it has any (dialled peers),
        else the remote ends of our connections (peers that dialled us).
        """
        network = self.host.get_network()
        store = self.host.get_peerstore()
        result = []
        for pid in self.host.get_connected_peers():
            try:
                addrs = list(store.addrs(pid))
            except PeerStoreError:
                addrs = []
            if not addrs:
                addrs = [
                    multiaddr.Multiaddr(f"/ip4/{ip}/tcp/{port}")
                    for conn in network.get_connections(pid)
                    if isinstance(conn.muxed_conn, muxer.Yamux)  # the only muxer the swarm offers
                    and (remote := conn.muxed_conn.get_remote_address()) is not None
                    for ip, port in [remote]
                ]
            result.append(Peer(pid, tuple(addrs)))
        return result

    async def connect(self, peer_id: ID, addrs: Sequence[multiaddr.Multiaddr]) -> None:
        """Open (or reuse) a connection to ``peer_id`` at ``addrs``, bounded in time.

        py-libp2p keeps a dead peer's closed connection on record, and while
        it is there ``connect`` takes it for a live one and never re-dials a
        restarted peer; such leftovers are dropped first.
        """
        network = self.host.get_network()
        existing = network.get_connections(peer_id)
        if existing and all(conn.is_closed for conn in existing):
            await network.close_peer(peer_id)
        with trio.fail_after(CONNECT_TIMEOUT):
            await self.host.connect(PeerInfo(peer_id, list(addrs)))

    async def open_stream(self, peer_id: ID, protocol: str) -> INetStream:
        """A new stream to a connected peer, negotiated to ``protocol``."""
        with trio.fail_after(CONNECT_TIMEOUT):
            return await self.host.new_stream(peer_id, [TProtocol(protocol)])

    def handle(self, protocol: str, handler: StreamHandler) -> None:
        """Serve inbound streams of ``protocol`` with ``handler`` (one task per stream)."""
        self.host.set_stream_handler(TProtocol(protocol), handler)


def _has(addr: multiaddr.Multiaddr, protocol: str) -> bool:
    return any(p.name == protocol for p in addr.protocols())


def _local_ipv4s() -> list[str]:
    """Loopback plus the addresses the host name resolves to (best effort, no network)."""
    found = ["127.0.0.1"]
    try:
        _, _, ips = socket.gethostbyname_ex(socket.gethostname())
    except OSError:
        ips = []
    found.extend(ip for ip in ips if ip not in found)
    return found


def _build_host(key_pair: KeyPair, limits: ConnLimits) -> tuple[IHost, Admission]:
    """A Noise+yamux host whose inbound connections go through an `Admission`.

    py-libp2p's own resource manager is detached (its tracker never released
    a closed connection) and its auto-connector never starts; `Admission`
    holds the limits instead (see net/admission.py).
    """
    identify.AGENT_VERSION = AGENT_VERSION  # py-libp2p reads this module global
    noise = NoiseTransport(key_pair, noise_privkey=create_x25519_key_pair().private_key)
    host = new_host(
        key_pair=key_pair,
        sec_opt={TProtocol(NOISE_PROTOCOL_ID): noise},
        muxer_opt={TProtocol(YAMUX_PROTOCOL_ID): muxer.Yamux},
        connection_config=ConnectionConfig(
            max_connections_per_peer=1,
            # py-libp2p's pruner and dial checks use these: keep them out of the way.
            max_connections=_LIBP2P_CEILING + limits.max_connections,
            high_watermark=_LIBP2P_CEILING + limits.max_connections,
            min_connections=0,
            low_watermark=0,
            inbound_upgrade_timeout=limits.handshake_seconds,
            outbound_upgrade_timeout=limits.handshake_seconds,
        ),
    )
    network = host.get_network()
    assert isinstance(network, Libp2pSwarm)  # new_host builds one
    network.set_resource_manager(None)
    network.auto_connector = NoAutoConnect(swarm=network)
    cap_negotiations(host, network, limits.max_message)
    muxer.install(network)
    stream_lock.install(network)
    admission = Admission(network, limits)
    admission.install()
    return host, admission


def check_port_free(host: str, port: int) -> None:
    """Fail early if ``host``:``port`` is taken.

    py-libp2p binds with SO_REUSEPORT (for hole punching), so a second node on
    the same port would bind without error and the kernel would split inbound
    connections between the two.  A probe bind without SO_REUSEPORT refuses.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    except OSError as exc:
        raise PortInUse(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; pass --port 0 to pick "
            "a free port, or another --port"
        ) from exc
    finally:
        probe.close()


def _quiet_dial_failures() -> None:
    """Keep libp2p's TCP transport from logging each failed dial attempt at ERROR.

    It logs one line per attempt (four for one unreachable peer) before the
    dial fails; the caller already gets the failure, with its reason, as an
    exception (``host.dial failed: cannot reach peer ...``).  At debug level
    the lines still show.
    """
    transport = logging.getLogger("libp2p.transport.tcp")
    if not transport.isEnabledFor(logging.DEBUG):
        transport.setLevel(logging.CRITICAL)


@asynccontextmanager
async def open_swarm(
    key_pair: KeyPair | None = None,
    *,
    port: int = DEFAULT_PORT,
    host: str = DEFAULT_LISTEN,
    limits: ConnLimits = DEFAULT_CONN_LIMITS,
) -> AsyncIterator[Swarm]:
    """Run a host listening on ``host``:``port`` (0 picks a free port) for the block.

    Without ``key_pair`` the node gets a fresh secp256k1 identity; ``limits``
    bound what inbound connections may cost.
    """
    if port:
        check_port_free(host, port)
    _quiet_dial_failures()
    libp2p_host, admission = _build_host(key_pair or create_new_key_pair(), limits)
    async with libp2p_host.run(listen_addrs=[multiaddr.Multiaddr(f"/ip4/{host}/tcp/{port}")]):
        swarm = Swarm(libp2p_host, admission)
        log.info("swarm %s listening on %s", swarm.peer_id, swarm.addrs())
        try:
            yield swarm
        finally:
            await _close_connections(libp2p_host)


async def _close_connections(host: IHost) -> None:
    """Close every connection of ``host`` now, all at once, bounded in time.

    py-libp2p 0.8.1 closes them only after its service was cancelled, so the
    first close is itself cancelled and the rest stay ESTABLISHED for the
    life of the process (a `client.dial` block left its TCP connection open).
    """
    connections = [conn for conns in host.get_network().get_connections_map().values()
                   for conn in conns]  # fmt: skip
    with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT):
        async with trio.open_nursery() as nursery:
            for conn in connections:
                nursery.start_soon(_close_quietly, conn)


async def _close_quietly(conn: Any) -> None:
    try:
        await conn.close()
    except Exception as exc:  # a connection already torn down by the peer
        log.debug("closing a connection: %r", exc)
