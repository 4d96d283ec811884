"""Dial a peer's exported capability: one libp2p stream, one RPC connection.

``open_remote`` connects to the peer, opens a ``/ww/0.1.0`` stream and speaks
Cap'n Proto on it through the vat.  The returned ``Remote`` stays valid for
the block; if the peer goes away, calls in flight and later calls fail with
a ``disconnected`` KjException (the pump closes the socket, and pycapnp fails
whatever waits on it), never hang.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

import multiaddr
import trio
from libp2p.peer.id import ID

from wetnode.errors import ConfigError, NetError
from wetnode.net.protocol import PROTOCOL
from wetnode.net.pump import pump
from wetnode.net.swarm import Swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import Connection, Vat, VatClosed

T = TypeVar("T")

ADDRESS_FORM = "/ip4/HOST/tcp/PORT/p2p/PEER_ID"


class BadAddress(NetError, ConfigError):
    """A peer address the user gave cannot be parsed."""


class Unreachable(NetError):
    """The peer could not be reached or would not speak the protocol."""


def parse_peer_address(text: str) -> tuple[ID, multiaddr.Multiaddr]:
    """Split ``/ip4/.../tcp/N/p2p/<peer id>`` into the peer id and its transport address."""
    try:
        addr = multiaddr.Multiaddr(text)
    except Exception as exc:  # multiaddr raises several unrelated types
        raise BadAddress(f"{text!r} is not a multiaddr ({exc}); expected {ADDRESS_FORM}") from exc
    try:
        peer_text = addr.value_for_protocol("p2p")
    except Exception:
        peer_text = None
    if not peer_text:
        raise BadAddress(f"{text!r} names no peer: end it with /p2p/PEER_ID ({ADDRESS_FORM})")
    try:
        peer_id = ID.from_base58(peer_text)
    except Exception as exc:
        raise BadAddress(f"{peer_text!r} in {text!r} is not a valid peer ID") from exc
    transport = addr.decapsulate(multiaddr.Multiaddr(f"/p2p/{peer_text}"))
    if not str(transport):
        raise BadAddress(f"{text!r} has no transport address; expected {ADDRESS_FORM}")
    return peer_id, transport


class Remote:
    """A remote peer's exported capability, held on the vat.

    The capability itself is a pycapnp object and never leaves the vat: use
    ``await remote.run(fn, *args)`` to run ``fn(cap, *args)`` there.
    """

    def __init__(self, vat: Vat, session: _Session, peer_id: ID) -> None:
        self.vat = vat
        self.peer_id = peer_id
        self._session = session

    @property
    def connection(self) -> Connection:
        """The RPC connection itself (use it on the vat only)."""
        return self._session.connection

    async def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run coroutine function ``fn(cap, *args)`` on the vat; return its (plain) result."""
        return await self.vat.run(_call_with_cap, self._session, fn, args)

    async def graft(self, make_signer: Callable[[], Any]) -> None:
        """Graft onto the export as a Membrane with the Signer ``make_signer()``
        builds (on the vat); from then on ``run`` hands ``fn`` the graft's
        results (``.identity``, ``.host``, ``.executor``, ``.ipfs``)."""
        await self.vat.run(_graft, self._session, make_signer)


class _Session:
    """Vat-side state of one dialled connection: the link and its bootstrap cap."""

    def __init__(self, connection: Connection, interface: Any) -> None:
        self.connection = connection
        cap = connection.bootstrap()
        self.cap: Any = cap.cast_as(interface) if interface is not None else cap

    def close(self, vat: Vat) -> None:
        self.cap = None  # dropped on the vat thread, as pycapnp requires
        vat.forget(self.connection)


@asynccontextmanager
async def open_remote(
    swarm: Swarm,
    vat: Vat,
    peer_id: ID,
    addrs: Sequence[multiaddr.Multiaddr] = (),
    *,
    interface: Any = None,
    protocol: str = PROTOCOL,
) -> AsyncIterator[Remote]:
    """Connect to ``peer_id`` (at ``addrs`` if not yet connected) and bootstrap its export.

    ``interface`` is the pycapnp interface to cast the bootstrap capability
    to (e.g. ``schema.system().Executor``); None leaves it uncast.
    """
    try:
        if addrs:
            await swarm.connect(peer_id, addrs)
        stream = await swarm.open_stream(peer_id, protocol)
    except Exception as exc:  # py-libp2p raises many unrelated kinds here, and TooSlowError
        where = ", ".join(map(str, addrs)) or "its known addresses"
        raise Unreachable(f"cannot reach peer {peer_id} at {where} on {protocol}: {exc}") from exc
    vat_end, pump_end = socket.socketpair()
    try:
        session = await vat.run(_open_session, vat, vat_end, interface)
    except BaseException:
        vat_end.close()
        pump_end.close()
        with trio.CancelScope(shield=True):
            await stream.reset()
        raise
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(pump, stream, pump_end)
            try:
                yield Remote(vat, session, peer_id)
            finally:
                nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True), suppress(VatClosed):
            await vat.run(_close_session, vat, session)


async def _open_session(vat: Vat, sock: socket.socket, interface: Any) -> _Session:
    return _Session(await vat.connect(sock), interface)


async def _close_session(vat: Vat, session: _Session) -> None:
    session.close(vat)


async def _graft(session: _Session, make_signer: Callable[[], Any]) -> None:
    membrane = session.cap.cast_as(schema.stem().Membrane)
    session.cap = await membrane.graft(make_signer())


async def _call_with_cap(
    session: _Session, fn: Callable[..., Awaitable[T]], args: tuple[Any, ...]
) -> T:
    return await fn(session.cap, *args)
