"""The node's Kademlia DHT (`/ipfs/kad/1.0.0`) on the swarm: bootstrap, provide, find.

py-libp2p's `KadDHT` runs on our Noise-only, yamux swarm as it is: it keeps
the routing table, answers peers' queries (server mode) and stores the
provider records they send.  `Dht` wraps it with what the node needs:

- every wait bounded (`BOOTSTRAP_TIMEOUT`, `PROVIDE_TIMEOUT`, the caller's
  deadline for a find), and a bootstrap peer that is down only a warning;
- its own provider lookup (`net.dht_lookup`, sans-IO): KadDHT's answers
  from its local cache whenever that holds anything, so a record it once saw
  would hide every newer provider; ours always walks the network;
- ``confirm``: a provider is listed only if it still names itself for the
  key when asked directly.  Kademlia cannot delete a record it handed out
  (the peers holding it keep it until it expires, 48 h here), so a record
  withdrawn with `withdraw`, or one whose node stopped, must not count.

Keys are multihash bytes, as every libp2p Kademlia takes them (a CID's key is
its multihash).  Mode: a node (`ww run`) is a server, whatever it listens on
(loopback peers dial a loopback node as well as any); the short-lived swarms
of commands that only fetch are clients (`DHTMode.CLIENT`): they ask, they are
not put in others' tables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import multiaddr
import trio
import varint
from libp2p.custom_types import TProtocol
from libp2p.kad_dht.kad_dht import DHTMode, KadDHT
from libp2p.kad_dht.pb.kademlia_pb2 import Message
from libp2p.peer.id import ID
from libp2p.utils.varint import read_varint_prefixed_bytes_limited

from wetnode.net.dht_lookup import ProviderLookup
from wetnode.net.swarm import Swarm

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

log = logging.getLogger(__name__)

PROTOCOL = TProtocol("/ipfs/kad/1.0.0")
BOOTSTRAP_TIMEOUT = 10.0  # seconds to reach the bootstrap peers and fill the table
PROVIDE_TIMEOUT = 15.0  # seconds to find the closest peers and send them our record
QUERY_TIMEOUT = 5.0  # seconds for one peer to answer one query
MAX_MESSAGE = 1 << 20  # a DHT answer larger than this is refused

__all__ = ["DHTMode", "Dht", "Provider", "open_dht"]


@dataclass(frozen=True)
class Provider:
    """A peer that provides a key, and the addresses to dial it at."""

    peer_id: ID
    addrs: tuple[multiaddr.Multiaddr, ...]


def _quiet_kad_logs() -> None:
    """py-libp2p's DHT logs each peer that hung up mid-query at WARNING; ours
    decide what is worth saying.  At debug level its lines still show."""
    kad = logging.getLogger("libp2p.kad_dht")
    if not kad.isEnabledFor(logging.DEBUG):
        kad.setLevel(logging.ERROR)


class Dht:
    """A running DHT on ``swarm``; build it with `open_dht`."""

    def __init__(self, swarm: Swarm, kad: KadDHT) -> None:
        self.swarm = swarm
        self.kad = kad

    async def bootstrap(self, peers: Sequence[tuple[ID, multiaddr.Multiaddr]]) -> int:
        """Connect to ``peers``, put them (and connected peers that speak the DHT) in the
        routing table, then look ourselves up so the peers nearest us learn of us and
        we of them; how many of ``peers`` were reached.

        A peer that is down is a warning: the node runs on without it.
        """
        reached: list[ID] = []

        async def join(peer_id: ID, addr: multiaddr.Multiaddr) -> None:
            try:
                await self.swarm.connect(peer_id, [addr])
            except Exception as exc:  # py-libp2p raises many kinds; a down peer is not fatal
                reason = str(exc) or type(exc).__name__
                log.warning("bootstrap peer %s at %s: not reached (%s)", peer_id, addr, reason)
                return
            await self.kad.add_peer(peer_id, skip_server_mode_check=True)
            reached.append(peer_id)

        with trio.move_on_after(BOOTSTRAP_TIMEOUT) as bound:
            async with trio.open_nursery() as nursery:
                for peer_id, addr in peers:
                    nursery.start_soon(join, peer_id, addr)
            adopted = await self._adopt_connected(reached)
            if reached or adopted:
                own = self.swarm.peer_id.to_bytes()
                await self.kad.peer_routing.find_closest_peers_network(own)
        if bound.cancelled_caught:
            log.warning("DHT bootstrap took over %gs; going on with what it has", BOOTSTRAP_TIMEOUT)
        size = self.kad.get_routing_table_size()
        log.info(
            "DHT bootstrap: %d of %d peers reached, %d in the table", len(reached), len(peers), size
        )  # fmt: skip
        return len(reached)

    async def _adopt_connected(self, known: Sequence[ID] = ()) -> list[ID]:
        """Put connected peers that speak the DHT in the routing table (`--peer`s, peers
        pid0 connected to); those newly added."""
        added = []
        table = self.kad.routing_table
        for peer_id in self.swarm.host.get_connected_peers():
            new = peer_id not in known and not table.peer_in_table(peer_id)
            if new and await self.kad.add_peer(peer_id):
                added.append(peer_id)
        return added

    async def provide(self, key: bytes) -> bool:
        """Announce that this node provides ``key``, and keep it announced (KadDHT
        re-provides what it provides, every 22 h); False if no peer took the record
        in time (the local record stands: peers that ask us still find it)."""
        with trio.move_on_after(PROVIDE_TIMEOUT):
            await self._adopt_connected()
            return await self.kad.provider_store.provide(key)
        log.warning("providing %s took over %gs", key.hex(), PROVIDE_TIMEOUT)
        return False

    def withdraw(self, key: bytes) -> None:
        """Stop providing ``key``: drop our own record and stop re-providing it.

        Peers that hold the record keep it until it expires; `find` with
        ``confirm`` no longer lists us, since we no longer name ourselves.
        """
        store = self.kad.provider_store
        store.providing_keys.discard(key)
        records = store.providers.get(key)
        if records is not None:
            records.pop(str(self.swarm.peer_id), None)
            if not records:
                del store.providers[key]

    def provides(self, key: bytes) -> bool:
        return key in self.kad.provider_store.providing_keys

    async def find(self, key: bytes, count: int, *, confirm: bool = False) -> list[Provider]:
        """Up to ``count`` providers of ``key``, ours first.

        Unbounded by itself: the caller's cancel scope is the deadline (a
        partial answer is then lost; use `find_within`).  With ``confirm``,
        each provider is asked whether it still provides the key.
        """
        found: list[Provider] = []
        await self._find_into(key, count, confirm, found)
        return found

    async def find_within(
        self, key: bytes, count: int, timeout: float, *, confirm: bool = False
    ) -> list[Provider]:
        """`find` with a deadline: whatever was found within ``timeout`` seconds."""
        found: list[Provider] = []
        with trio.move_on_after(timeout):
            await self._find_into(key, count, confirm, found)
        return found

    async def _find_into(
        self, key: bytes, count: int, confirm: bool, found: list[Provider]
    ) -> None:
        me = self.swarm.peer_id
        if self.provides(key):
            found.append(Provider(me, tuple(self.swarm.addrs())))
        if len(found) >= count:
            return
        seeds = self.kad.routing_table.find_local_closest_peers(key, 20)
        seeds += self.swarm.host.get_connected_peers()
        lookup = ProviderLookup(key, seeds, me=me, want=2 * count if confirm else count)
        listed: set[ID] = {me}

        async def accept(nursery: trio.Nursery, provider: Provider) -> None:
            if confirm and not await self._confirms(provider, key):
                return
            if len(found) < count:
                found.append(provider)
            if len(found) >= count:
                nursery.cancel_scope.cancel()  # enough: the walk stops here

        async def ask(nursery: trio.Nursery, peer: ID) -> None:
            try:
                with trio.fail_after(QUERY_TIMEOUT):
                    providers, closer = await self._get_providers(peer, key)
            except Exception as exc:  # unreachable, reset, timed out: ask others
                log.debug("DHT: %s did not answer GET_PROVIDERS: %s", peer, exc)
                lookup.failed(peer)
            else:
                for info in closer:  # so the walk can dial them
                    if info.addrs:
                        self.swarm.host.get_peerstore().add_addrs(info.peer_id, info.addrs, 600)
                lookup.answered(peer, [p.peer_id for p in providers], [c.peer_id for c in closer])
                for provider in providers:
                    if provider.peer_id not in listed:
                        listed.add(provider.peer_id)
                        nursery.start_soon(accept, nursery, provider)
            for nxt in lookup.next_peers():
                nursery.start_soon(ask, nursery, nxt)

        async with trio.open_nursery() as nursery:  # ends when every ask and accept has
            for peer in lookup.next_peers():
                nursery.start_soon(ask, nursery, peer)

    async def _confirms(self, provider: Provider, key: bytes) -> bool:
        """Whether ``provider`` itself still names itself as a provider of ``key``."""
        try:
            with trio.fail_after(QUERY_TIMEOUT):
                if provider.addrs:
                    await self.swarm.connect(provider.peer_id, provider.addrs)
                providers, _ = await self._get_providers(provider.peer_id, key)
        except Exception as exc:
            log.debug("DHT: provider %s did not confirm: %s", provider.peer_id, exc)
            return False
        return any(p.peer_id == provider.peer_id for p in providers)

    async def _get_providers(self, peer: ID, key: bytes) -> tuple[list[Provider], list[Provider]]:
        """One GET_PROVIDERS request to ``peer``: (providers, closer peers), with addresses."""
        request = Message()
        request.type = Message.MessageType.GET_PROVIDERS
        request.key = key
        body = request.SerializeToString()
        stream = await self.swarm.open_stream(peer, PROTOCOL)
        try:
            await stream.write(varint.encode(len(body)) + body)
            answer = Message()
            answer.ParseFromString(await read_varint_prefixed_bytes_limited(stream, MAX_MESSAGE))
        finally:
            with trio.move_on_after(QUERY_TIMEOUT) as bound:
                bound.shield = True
                await stream.close()
        return _peers(answer.providerPeers), _peers(answer.closerPeers)


def _peers(entries: Iterable[Message.Peer]) -> list[Provider]:
    result = []
    for entry in entries:
        try:
            peer_id = ID(entry.id)
            addrs = tuple(_transport(multiaddr.Multiaddr(raw)) for raw in entry.addrs)
        except Exception:  # a malformed entry is skipped, not fatal to the lookup
            continue
        result.append(Provider(peer_id, addrs))
    return result


def _transport(addr: multiaddr.Multiaddr) -> multiaddr.Multiaddr:
    """``addr`` without a trailing ``/p2p/<id>`` (py-libp2p announces addresses with it)."""
    try:
        peer = addr.value_for_protocol("p2p")
    except Exception:
        return addr
    return addr.decapsulate(multiaddr.Multiaddr(f"/p2p/{peer}")) if peer else addr


@asynccontextmanager
async def open_dht(swarm: Swarm, *, mode: DHTMode = DHTMode.SERVER) -> AsyncIterator[Dht]:
    """Run a DHT on ``swarm`` (already running) for the block."""
    from libp2p.tools.anyio_service import background_trio_service

    _quiet_kad_logs()
    kad = KadDHT(swarm.host, mode, enable_values=False)
    async with background_trio_service(kad):
        yield Dht(swarm, kad)
