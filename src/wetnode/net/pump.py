"""Byte pump between a libp2p stream (trio) and the vat's end of a socket pair.

pycapnp reads and writes a real socket on its own asyncio thread (see
wetnode.rpc.vat); libp2p streams live on trio.  Each Cap'n Proto connection
over the network is therefore a ``socket.socketpair()``: the vat speaks RPC
on one end, and this pump copies bytes between the other end and the libp2p
stream.  The vat sends whole messages (``wetnode.rpc.link``), so what one
read of its socket returns goes out as one stream frame; bytes from the peer
are passed on untouched: framing errors are pycapnp's to find, and when it
drops the connection the pump sees end-of-file.  Both directions are
counted (``wetnode.net.flow``): while the peer has too many calls open, the
pump stops reading its stream until Returns go back; bytes from the peer
that cannot be counted reset the stream.  A ``watcher`` (the audit log's,
`wetnode.net.audit_tap`) sees each message the count decodes, so recording
a call costs no second decode.

Shutdown order matters:

* A write to a libp2p stream is never cancelled.  py-libp2p encrypts a Noise
  message (advancing the nonce) before sending it; cancelling the send
  midway desynchronises the whole connection, and every other stream to that
  peer dies with "Failed authentication of message".  Writes are shielded;
  yamux bounds them itself (it gives up after 5 s without window credit),
  and a write that fails resets the stream: the peer's answers were cut
  short, which a clean close would hide.
* When the peer ends its side (end-of-file or reset), the pump shuts the
  socket for writing; pycapnp sees end-of-file, fails pending calls with
  ``disconnected`` and closes its end, which ends the other direction.
* When pycapnp closes its end, the pump stops reading the stream (cancelling
  a read is harmless) and closes the stream.
"""

from __future__ import annotations

import logging
import socket
from contextlib import suppress

import trio
from libp2p.abc import INetStream
from libp2p.io.exceptions import IOException
from libp2p.stream_muxer.exceptions import MuxedStreamError

from wetnode.net.flow import DEFAULT_FLOW_LIMITS, CallFlow, FlowError, FlowLimits, Watcher

log = logging.getLogger(__name__)

CHUNK = 256 * 1024  # bytes per read; Cap'n Proto messages arrive whole when small
CLOSE_TIMEOUT = 2.0  # seconds a stream close may take before we reset it


class _Window:
    """The pump's side of a `CallFlow`: the stream reader waits here for room."""

    def __init__(self, limits: FlowLimits, watcher: Watcher | None) -> None:
        self.flow = CallFlow(limits, watcher)
        self._room = trio.Event()

    async def wait_for_room(self) -> None:
        while self.flow.full:
            self._room = trio.Event()
            await self._room.wait()

    def returned(self, data: bytes) -> None:
        """``data`` from the vat is on its way to the peer: its Returns close calls."""
        self.flow.from_vat(data)
        if not self.flow.full:
            self._room.set()


async def pump(
    stream: INetStream,
    sock: socket.socket,
    limits: FlowLimits = DEFAULT_FLOW_LIMITS,
    watcher: Watcher | None = None,
) -> None:
    """Copy bytes both ways until the vat's side ends; then close the stream.

    Takes ownership of both.  Returns normally whatever way the link ended.
    """
    tsock = trio.socket.from_stdlib_socket(sock)
    window = _Window(limits, watcher)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_stream_to_socket, stream, tsock, window)
            await _socket_to_stream(tsock, stream, window)
            nursery.cancel_scope.cancel()  # only the stream read can still be waiting
    finally:
        tsock.close()
        with trio.CancelScope(shield=True):
            await _close_stream(stream)


async def _stream_to_socket(
    stream: INetStream, sock: trio.socket.SocketType, window: _Window
) -> None:
    try:
        while True:
            await window.wait_for_room()
            data = await stream.read(CHUNK)
            if not data:
                break
            window.flow.from_peer(data)
            view = memoryview(data)
            while view:
                view = view[await sock.send(view) :]
    except FlowError as exc:  # the bytes that cannot be counted were not passed on
        log.info("peer %s: %s; stream reset", stream.muxed_conn.peer_id, exc)
        with trio.CancelScope(shield=True), suppress(Exception):
            await stream.reset()
    except (IOException, OSError) as exc:
        log.debug("stream -> vat ended: %r", exc)
    try:
        sock.shutdown(socket.SHUT_WR)  # pycapnp sees end-of-file and disconnects
    except OSError as exc:
        log.debug("socket already closed: %r", exc)


async def _socket_to_stream(
    sock: trio.socket.SocketType, stream: INetStream, window: _Window
) -> None:
    try:
        while data := await sock.recv(CHUNK):
            window.returned(data)
            with trio.CancelScope(shield=True):
                await stream.write(data)
    except (IOException, MuxedStreamError) as exc:  # only the stream's write raises these
        # yamux's 5 s window timeout (a peer that does not read its answers) or a reset:
        # the answers are cut short, so the peer must see a reset, never a clean end.
        log.info("peer %s: answers not taken (%r); stream reset", stream.muxed_conn.peer_id, exc)
        with trio.CancelScope(shield=True), suppress(Exception):
            await stream.reset()
    except OSError as exc:
        log.debug("vat -> stream ended: %r", exc)


async def _close_stream(stream: INetStream) -> None:
    """Close politely within a bound, else reset (py-libp2p closes can hang)."""
    with trio.move_on_after(CLOSE_TIMEOUT) as scope:
        try:
            await stream.close()
        except Exception as exc:  # already reset or the connection is gone
            log.debug("stream close failed: %r", exc)
    if scope.cancelled_caught:
        try:
            await stream.reset()
        except Exception as exc:
            log.debug("stream reset failed: %r", exc)
