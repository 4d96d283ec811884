"""Between a socket's asyncio transport and pycapnp's protocol: whole messages out.

pycapnp writes each message in pieces, its segment table and then its
segments, and the asyncio transport sends each piece at once.  Whatever
reads the far end of the vat's sockets (a guest, or the trio pump in front
of a libp2p stream) then wakes on a table alone and has to wait and read
again: two sends, two wake-ups and two reads per small message.  ``Link``
sits where pycapnp's protocol expects its transport and passes its writes
through ``wetnode.net.framing.Coalescer``, so each send carries whole
messages: a message up to 64 KiB goes out in one send, a larger one as it
comes (uncopied), and bytes already whole pass through untouched.

pycapnp also pauses the transport each time a read it asked for is
fulfilled and resumes it for the next one, moments later: two ``epoll_ctl``
calls and asyncio's selector bookkeeping per message.  A ``Link`` goes on
reading across that gap and pauses only when bytes do arrive while pycapnp
has no read waiting; pycapnp keeps those in its own overflow buffer (one
read, at most the size it offers for it) and takes them with its next read,
and reading resumes when it asks again.  The vat's loop is uvloop's
(``wetnode.rpc.vat``), so a pause waits until the bytes are handed on
(``buffer_updated``): libuv, asked to stop while it fills the buffer
(``get_buffer``), calls the read callback it has just cleared.

Every connection the vat makes is read through a ``Link``; a guest's channel
through ``MeteredLink`` (``wetnode.rpc.metered``), which adds the guest's
bounds.  To pycapnp's protocol a ``Link`` is its transport: it implements
the transport methods that protocol calls (pycapnp 2.x: ``pause_reading``,
``resume_reading``, ``write``, ``is_closing``, ``close``, ``can_write_eof``,
``write_eof``); to the socket's transport it is the protocol.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any, cast

import capnp

from wetnode.net.framing import Coalescer


class Link(asyncio.BufferedProtocol):
    """pycapnp's protocol behind a socket transport, its writes sent in whole messages."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner  # pycapnp's protocol
        self._transport: asyncio.Transport | None = None
        self._coalescer = Coalescer()
        self._wanted = False  # pycapnp has a read waiting
        self._stopped = True  # bytes came with no read waiting: read again only when asked

    # -- the socket transport's protocol ----------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast("asyncio.Transport", transport)  # uvloop's is not a subclass
        self._inner.connection_made(self)
        # Not reading until pycapnp asks: once the loop has started the transport reading,
        # which uvloop does right after this returns, whatever is paused here.
        asyncio.get_running_loop().call_soon(self._steer)

    def get_buffer(self, sizehint: int) -> Any:
        if not self._wanted:  # pycapnp takes these into its overflow buffer
            self._stopped = True  # reading pauses once they are in: not here, while the
            # transport fills the buffer (libuv would call a read callback it just cleared)
        return self._inner.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        self._inner.buffer_updated(nbytes)
        if self._stopped:  # the bytes came unasked (``get_buffer``): pause now
            self._steer()

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()  # type: ignore[no-any-return]

    def connection_lost(self, exc: Exception | None) -> None:
        self._inner.connection_lost(exc)
        self._transport = None

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    # -- the transport pycapnp's protocol writes to -----------------------------

    def pause_reading(self) -> None:
        self._wanted = False  # the transport reads on: see the module's docstring

    def resume_reading(self) -> None:
        self._wanted = True
        self._stopped = False
        self._steer()

    def write(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # ended: pycapnp learns of it from connection_lost
        self._counted(data)
        if ready := self._coalescer.feed(data):
            self._send(transport, ready)

    def is_closing(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def close(self) -> None:
        if self._transport is not None:
            if rest := self._coalescer.flush():  # pycapnp never closes mid-message; still
                self._send(self._transport, rest)
            self._transport.close()

    def can_write_eof(self) -> bool:
        return self._transport is not None and self._transport.can_write_eof()

    def write_eof(self) -> None:
        if self._transport is not None:
            self._transport.write_eof()

    def _steer(self) -> None:
        """Read the socket unless bytes came unasked (until pycapnp asks) or
        ``_may_read`` says no."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        read = (self._wanted or not self._stopped) and self._may_read()
        if read != transport.is_reading():
            if read:
                transport.resume_reading()
            else:
                transport.pause_reading()

    # -- what a subclass adds ------------------------------------------------------

    def _may_read(self) -> bool:
        """Whether the peer's bytes may be read now, pycapnp's wishes aside."""
        return True

    def _counted(self, data: bytes) -> None:
        """See ``data`` as pycapnp writes it, before it is held or sent."""

    def _send(self, transport: asyncio.Transport, data: bytes) -> None:
        """Hand whole messages (or a large one's next bytes) to the socket's transport."""
        transport.write(data)


async def link_stream(sock: socket.socket, make_link: Callable[[Any], Link] = Link) -> Any:
    """(On the vat) pycapnp's stream over ``sock``, through ``make_link(inner)``.

    Takes ownership of ``sock``.  ``AsyncIoStream._connect`` is how pycapnp
    builds the stream of an accepted connection: its protocol hands the
    stream to the callback once it has a transport, here the link.
    """
    streams: list[Any] = []
    inner = capnp.AsyncIoStream._connect(streams.append)
    loop = asyncio.get_running_loop()
    try:
        await loop.create_connection(lambda: make_link(inner), sock=sock)
    except BaseException:
        sock.close()
        raise
    return streams[0]
