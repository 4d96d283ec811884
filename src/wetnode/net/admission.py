"""Inbound connections, from the first byte to the last: the limits of `ConnLimits` enforced.

py-libp2p 0.8.1 falls short in three places this module takes over on our
swarm (its own instances only; site-packages is untouched):

* Multistream-select reads a negotiation message's varint length and then
  that many bytes, with no cap, on every connection and stream, before the
  peer is known.  `CappedMultiselect` and `CappedMultiselectClient` refuse a
  message over ``max_message`` before reading it.  (0.8.2 caps these reads
  upstream; when the registry serves it, these two classes can go.)
* Its inbound handler keeps each accepted socket's task, and its slot in the
  inbound limiter, until the whole swarm stops, even after the connection
  closed: 250 connect-and-leave cycles locked everyone out.  Its resource
  manager's tracker likewise never released a closed connection's per-peer
  count.  `Admission.handle_inbound` replaces that handler (the swarm looks
  it up per connection): the handshake runs under a deadline, a bounded
  number at once (fewer from one source address), and the authenticated
  connection holds its slot exactly as long as it is open.
* Its auto-connector dials addresses peers advertise, so a peer could aim
  the node at any host and port; `NoAutoConnect` keeps it from starting.
"""

from __future__ import annotations

import ipaddress
import logging
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import trio
from libp2p.abc import IMultiselectCommunicator, IMuxedConn, INetStream
from libp2p.custom_types import TProtocol
from libp2p.exceptions import ParseError
from libp2p.io.abc import ReadWriteCloser
from libp2p.io.exceptions import IOException
from libp2p.network.auto_connector import AutoConnector
from libp2p.network.connection.raw_connection import RawConnection
from libp2p.network.connection.swarm_connection import SwarmConn
from libp2p.network.swarm import Swarm as Libp2pSwarm
from libp2p.peer.id import ID
from libp2p.protocol_muxer.exceptions import MultiselectCommunicatorError
from libp2p.protocol_muxer.multiselect import Multiselect
from libp2p.protocol_muxer.multiselect_client import MultiselectClient
from libp2p.protocol_muxer.multiselect_communicator import MultiselectCommunicator
from libp2p.utils.varint import read_varint_prefixed_bytes_limited
from multiaddr import Multiaddr

from wetnode.net.limits import ConnLimits

log = logging.getLogger(__name__)


class CappedCommunicator(MultiselectCommunicator):
    """A multistream communicator that refuses a message longer than ``cap`` unread."""

    def __init__(self, read_writer: ReadWriteCloser, cap: int) -> None:
        super().__init__(read_writer)
        self.cap = cap

    async def read(self) -> str:
        try:
            data = await read_varint_prefixed_bytes_limited(self.read_writer, self.cap)
        except (ParseError, IOException) as error:  # MessageTooLarge is an IOException
            raise MultiselectCommunicatorError(f"negotiation message refused: {error}") from error
        if not data.endswith(b"\n"):
            raise MultiselectCommunicatorError("negotiation message not ended by a newline")
        return data[:-1].decode(errors="replace")


def _capped(communicator: IMultiselectCommunicator, cap: int) -> IMultiselectCommunicator:
    if isinstance(communicator, MultiselectCommunicator) and not isinstance(
        communicator, CappedCommunicator
    ):
        return CappedCommunicator(communicator.read_writer, cap)
    return communicator


class CappedMultiselect(Multiselect):
    """The listener side of multistream-select, each message read capped."""

    def __init__(self, handlers: dict[Any, Any], cap: int) -> None:
        super().__init__(handlers)
        self.cap = cap

    async def negotiate(self, communicator: IMultiselectCommunicator, *args: Any) -> Any:
        return await super().negotiate(_capped(communicator, self.cap), *args)


class CappedMultiselectClient(MultiselectClient):
    """The dialler side of multistream-select, each answer read capped."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    async def select_one_of(
        self, protocols: Any, communicator: IMultiselectCommunicator, *args: Any
    ) -> TProtocol:
        return await super().select_one_of(protocols, _capped(communicator, self.cap), *args)

    async def query_multistream_command(
        self, communicator: IMultiselectCommunicator, *args: Any
    ) -> list[str]:
        return await super().query_multistream_command(_capped(communicator, self.cap), *args)


class NoAutoConnect(AutoConnector):
    """An auto-connector that never starts: the node dials only peers it was told to."""

    async def start(self) -> None:
        return None


def cap_negotiations(host: Any, network: Libp2pSwarm, cap: int) -> None:
    """Swap every multistream-select object of ``host`` for a capped one (same handlers)."""
    host.multiselect = CappedMultiselect(dict(host.multiselect.handlers), cap)
    host.multiselect_client = CappedMultiselectClient(cap)
    upgrader = network.upgrader
    for selector in (upgrader.security_multistream._selector, upgrader.muxer_multistream._selector):
        selector.multiselect = CappedMultiselect(dict(selector.multiselect.handlers), cap)
        selector.multiselect_client = CappedMultiselectClient(cap)


def source_address(stream: ReadWriteCloser) -> str | None:
    """Who is on the far side of an accepted socket, for per-address bounds: its IP, or
    its /64 for IPv6 (one host gets a whole /64 for free); None if the socket cannot say."""
    remote = stream.get_remote_address()
    if remote is None:
        return None
    try:
        ip = ipaddress.ip_address(remote[0])
    except ValueError:
        return None
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(eq=False)  # one per connection: compared and hashed by identity
class _Slot:
    peer: ID
    admitted: float  # trio clock
    conn: SwarmConn | None = None  # set once the swarm holds it


class Admission:
    """The node's inbound connections: who gets a slot, and when it is freed.

    Counts change only between checkpoints, so a check and the claim that
    follows it cannot race.
    """

    def __init__(self, network: Libp2pSwarm, limits: ConnLimits) -> None:
        self._network = network
        self.limits = limits
        self.pending = 0  # inbound connections in the handshake
        self._pending_from: dict[str | None, int] = {}  # of those, per source address
        self._slots: set[_Slot] = set()
        self._streams: dict[IMuxedConn, int] = {}  # inbound streams open, per connection
        self._serve_stream = network.common_stream_handler  # the host's, wrapped by `install`

    @property
    def admitted(self) -> int:
        return len(self._slots)

    def install(self) -> None:
        """Route the swarm's inbound connections and streams here (the swarm looks both
        handlers up per connection and per stream)."""
        self._network._handle_inbound_connection = self.handle_inbound  # type: ignore[method-assign,assignment]
        self._network.common_stream_handler = self.handle_stream

    async def handle_stream(self, stream: INetStream) -> None:
        """Serve an inbound stream unless its connection has ``max_streams`` open: reset it.

        (py-libp2p sets no bound here; its opener side blocks at 256, so a
        py-libp2p peer hung where another could open streams without end.)
        A handler that fails resets its own stream: the exception would
        otherwise leave through py-libp2p's connection task and stop the swarm,
        every peer's connection with it.
        """
        conn = stream.muxed_conn
        open_now = self._streams.get(conn, 0)
        if open_now >= self.limits.max_streams:
            log.debug("reset a stream of peer %s: %d open", conn.peer_id, open_now)
            with suppress(Exception):
                await stream.reset()
            return
        self._streams[conn] = open_now + 1
        try:
            await self._serve_stream(stream)
        except Exception as exc:  # a handler's bug: py-libp2p would end the whole swarm with it
            log.warning("a stream of peer %s failed and was reset: %r", conn.peer_id, exc)
            log.debug("the stream's failure", exc_info=True)
            with trio.CancelScope(shield=True), suppress(Exception):
                await stream.reset()
        finally:
            left = self._streams.pop(conn) - 1
            if left:
                self._streams[conn] = left

    async def handle_inbound(self, stream: ReadWriteCloser, maddr: Multiaddr) -> None:
        """Handshake ``stream`` within bounds, then hold a slot for as long as it is open."""
        if self.pending >= self.limits.max_pending:
            log.debug("refused a connection on %s: %d handshakes in flight", maddr, self.pending)
            with suppress(Exception):
                await stream.close()
            return
        source = source_address(stream)
        from_source = self._pending_from.get(source, 0)
        if source is not None and from_source >= self.limits.max_pending_per_address:
            log.debug("refused a connection from %s: %d handshakes in flight", source, from_source)
            with suppress(Exception):
                await stream.close()
            return
        self.pending += 1
        self._pending_from[source] = from_source + 1
        raw = RawConnection(stream, False)
        try:
            muxed = await self._handshake(raw)
        finally:
            self.pending -= 1
            left = self._pending_from.pop(source) - 1
            if left:
                self._pending_from[source] = left
        if muxed is None:
            with trio.CancelScope(shield=True), suppress(Exception):
                await raw.close()
            return
        slot = _Slot(muxed.peer_id, trio.current_time())
        victims = self._make_room(slot.peer)
        if victims is None:
            log.debug("refused peer %s: connection limits reached", slot.peer)
            with trio.CancelScope(shield=True), suppress(Exception):
                await muxed.close()
            return
        self._slots.add(slot)
        try:
            for victim in victims:
                log.debug("evicting idle connection of peer %s", victim.muxed_conn.peer_id)
                with suppress(Exception):
                    await victim.close()
            slot.conn = await self._network.add_conn(muxed, direction="inbound")
            await slot.conn.event_closed.wait()
        except Exception as exc:
            log.debug("inbound connection of peer %s ended: %r", slot.peer, exc)
        finally:
            self._slots.discard(slot)
            with trio.CancelScope(shield=True), suppress(Exception):
                await muxed.close()

    async def _handshake(self, raw: RawConnection) -> Any:
        """Noise and the muxer negotiation within the deadline; None if either fails."""
        upgrader = self._network.upgrader
        with trio.move_on_after(self.limits.handshake_seconds):
            try:
                secured = await upgrader.upgrade_security(raw, False)
                return await upgrader.upgrade_connection(secured, secured.get_remote_peer())
            except Exception as exc:  # py-libp2p raises many unrelated kinds here
                log.debug("inbound handshake failed: %r", exc)
                return None
        log.debug("inbound handshake took over %gs", self.limits.handshake_seconds)
        return None

    def _make_room(self, peer: ID) -> list[SwarmConn] | None:
        """The idle connections to evict so ``peer`` fits ([] if it fits), or None: refuse."""
        mine = [slot for slot in self._slots if slot.peer == peer]
        victims: list[SwarmConn] = []
        if len(mine) >= self.limits.max_per_peer:
            victim = self._idlest(mine)
            if victim is None:
                return None
            victims.append(victim)
        elif len(self._slots) >= self.limits.max_connections:
            victim = self._idlest(self._slots)
            if victim is None:
                return None
            victims.append(victim)
        return victims

    def _idlest(self, slots: Any) -> SwarmConn | None:
        """The longest-held connection that is old enough and has no open stream; it is
        forgotten at once, so its slot counts as free before it finishes closing."""
        now = trio.current_time()
        idle = [
            slot
            for slot in slots
            if slot.conn is not None
            and now - slot.admitted >= self.limits.idle_seconds
            and not slot.conn.get_streams()
        ]
        if not idle:
            return None
        chosen = min(idle, key=lambda slot: slot.admitted)
        self._slots.discard(chosen)
        return chosen.conn
