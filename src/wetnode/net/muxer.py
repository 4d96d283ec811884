"""yamux as the swarm speaks it: py-libp2p's, with go-yamux's window updates.

py-libp2p 0.8.1 returns receive credit after almost every small read: when
the window is short by less than half (its hysteresis) it still sends a
WINDOW_UPDATE for the bytes just read plus the shortfall, crediting more
than the window, so the next read is short again by a little and the one
after sends again.  On a request/response stream that is one extra yamux
frame (a Noise encryption, a TCP send, the peer's wake-up) for every two
messages read, about a third of the frames a remote call costs.
go-yamux (`sendWindowUpdate`) sends only once the window is short by half
or more, and then tops it up in one frame; so do these streams.

The receive window is also enforced.  py-libp2p 0.8.1 buffers whatever a
peer sends on a stream and only logs a peer that sends past the credit it
was given, so a peer ignoring the window while the node does not read a
stream (the pump's flow bound) was buffered without end.  A stream's
``recv_window`` going below zero is that peer's fault: its connection is
closed (py-libp2p's own reader ends it on the exception), so a connection
holds at most the window plus one frame (py-libp2p refuses a frame over 16
MiB) per stream.

Four of py-libp2p's per-frame steps are leaner here, with the same effect:
writing a message that fits the send window (py-libp2p takes two stream
locks, four schedule points, around window arithmetic that has no await in
it), writing a frame (py-libp2p decodes every frame's header again to build
a debug line, evaluated even when debug logging is off, and then yields to
the scheduler once more after the write lock already did), reading a DATA
frame's body (py-libp2p looks its timeout up in the environment per frame
and bounds the read through a generator-based context manager; here the
timeout is read once, at import, and bounded by a plain cancel scope) and
reading a stream (four debug lines formatted per read).  With py-libp2p's
yamux logger at DEBUG its own methods run, lines and all.

py-libp2p builds its `Yamux` connections itself (the muxer negotiation names
the class), so `install` turns each new one into a `Yamux` of this module,
whose streams (opened or accepted) are `BatchedCreditStream`s: py-libp2p's
own objects given these methods, with no state of their own but a count of
their writes under way (their window is py-libp2p's attribute, read and
written through the property).  Before the negotiation reads anything,
`install` also switches the connection's Noise packets to buffered reads
(`wetnode.net.noise_reads`).
"""

from __future__ import annotations

import logging
import struct
from typing import Any, cast

import trio
from libp2p.abc import IMuxedConn
from libp2p.io.utils import read_exactly
from libp2p.network.swarm import Swarm as Libp2pSwarm
from libp2p.stream_muxer.exceptions import MuxedStreamEOF, MuxedStreamReset
from libp2p.stream_muxer.yamux import yamux as _libp2p_yamux
from libp2p.stream_muxer.yamux.yamux import Yamux as Libp2pYamux
from libp2p.stream_muxer.yamux.yamux import YamuxStream

from wetnode.errors import NetError
from wetnode.net.noise_reads import buffer_reads

log = logging.getLogger(__name__)
_traced = _libp2p_yamux.logger.isEnabledFor  # py-libp2p's yamux debug lines wanted?
_DATA_HEADER = struct.Struct(_libp2p_yamux.YAMUX_HEADER_FORMAT)
_FRAME_PAYLOAD = _libp2p_yamux.MAX_MESSAGE_SIZE - _libp2p_yamux.HEADER_SIZE  # py-libp2p's cap
# py-libp2p's bound on a DATA frame's body once its header came (its env setting).
DATA_READ_TIMEOUT = _libp2p_yamux._yamux_data_read_timeout()


class WindowExceeded(NetError):
    """A peer sent a stream more bytes than the receive window it was given."""


class BatchedCreditStream(YamuxStream):
    """A yamux stream that returns receive credit in half-window batches only, and
    writes a message that fits its send window in one frame without py-libp2p's locks."""

    async def write(self, data: bytes) -> None:
        """py-libp2p's write, or when the stream is open, no other write of it is under
        way and ``data`` fits the send window and one frame: that one frame, queued on
        the connection's write lock before anything else can run (so in the order
        writes began).  py-libp2p's stream locks only guard the window arithmetic,
        which here has no await in it.  A write cancelled before its frame was queued
        gives its window back (py-libp2p's own loses it)."""
        writing = self.__dict__.get("_writing", 0)
        size = len(data)
        if (
            writing
            or not 0 < size <= min(self.send_window, _FRAME_PAYLOAD)
            or self.send_closed
            or self.closed
            or _traced(logging.DEBUG)
        ):
            self.__dict__["_writing"] = writing + 1
            try:
                return await super().write(data)
            finally:
                self.__dict__["_writing"] -= 1
        frame = _DATA_HEADER.pack(0, _libp2p_yamux.TYPE_DATA, 0, self.stream_id, size) + data
        self.send_window -= size
        self.__dict__["_writing"] = 1
        try:
            # Only this module's `Yamux` makes these streams.
            await cast(Yamux, self.conn)._write_frame(frame, window_of=self)
        finally:
            self.__dict__["_writing"] -= 1

    async def _auto_tune_and_send_window_update(self, *, bytes_read: int = 0) -> None:
        async with self.window_lock:
            buffered = len(self.conn.stream_buffers.get(self.stream_id, b""))
            shortfall = self.target_recv_window - (self.recv_window + buffered)
            # Half the window, as go-yamux (py-libp2p's `_grow_threshold` is the same by
            # default, but reads two environment variables on every read).
            if shortfall < max(self.target_recv_window // 2, 1):
                return
        # Short by half or more: py-libp2p's own path tops the window up in one frame
        # (and lets its auto-tuning grow the window on a fast stream).
        await super()._auto_tune_and_send_window_update()

    @property  # type: ignore[override]
    def recv_window(self) -> int:
        """The credit the peer has left on this stream (py-libp2p's attribute)."""
        return int(self.__dict__["recv_window"])

    @recv_window.setter
    def recv_window(self, value: int) -> None:
        if value < 0:  # py-libp2p subtracts each DATA frame as it buffers it
            self.conn.event_shutting_down.set()  # its reader then closes the connection
            log.warning(
                "peer %s sent %d bytes past stream %d's receive window; connection closed",
                self.conn.peer_id, -value, self.stream_id,
            )  # fmt: skip
            raise WindowExceeded(f"peer sent {-value} bytes past its receive window")
        self.__dict__["recv_window"] = value


class Yamux(Libp2pYamux):
    """py-libp2p's yamux connection whose streams are `BatchedCreditStream`s."""

    async def _write_frame(self, data: bytes, window_of: YamuxStream | None = None) -> None:
        """Write one frame, one at a time (acquiring the lock is a schedule point).  With
        ``window_of``, a DATA frame cancelled before it was queued gives that stream back
        the send window it took."""
        if window_of is None and _traced(logging.DEBUG):
            return await super()._write_frame(data)
        try:
            await self._write_lock.acquire()
        except BaseException:  # nothing of the frame was sent
            if window_of is not None:
                window_of.send_window += len(data) - _libp2p_yamux.HEADER_SIZE
            raise
        try:
            await self.secured_conn.write(data)
        finally:
            self._write_lock.release()

    async def _read_data_body(self, length: int) -> bytes:
        with trio.CancelScope(deadline=trio.current_time() + DATA_READ_TIMEOUT) as scope:
            return await read_exactly(self.secured_conn, length)
        assert scope.cancelled_caught  # only the deadline ends the scope without a return
        raise trio.TooSlowError  # what py-libp2p's handler expects (it is trio.fail_after's)

    async def read_stream(self, stream_id: int, n: int = -1) -> bytes:
        """Up to ``n`` (all if -1) buffered bytes of the stream, waiting for some;
        py-libp2p's rules, in its order: buffered data is returned before a reset
        only once the peer has closed its side."""
        if _traced(logging.DEBUG):
            return await super().read_stream(stream_id, n)
        while True:
            async with self.streams_lock:
                stream = self.streams.get(stream_id)
                if stream is None:
                    raise MuxedStreamEOF("Stream closed")
                if self.event_shutting_down.is_set():
                    raise MuxedStreamEOF("Connection shut down")
                buffer = self.stream_buffers.get(stream_id)
                if buffer is None:
                    if stream.reset_received:
                        raise MuxedStreamReset("Stream was reset")
                    raise MuxedStreamEOF("Stream buffer closed")
                if buffer and (stream.recv_closed or not stream.reset_received):
                    if n is None or n < 0 or n >= len(buffer):
                        data = bytes(buffer)
                        buffer.clear()
                    else:
                        data = bytes(buffer[:n])
                        del buffer[:n]
                    if stream.closed:  # drained on a fully closed stream: reclaim it now
                        self._finalize_stream_locked(stream, fully_closed=True)
                    return data
                if stream.reset_received:
                    raise MuxedStreamReset("Stream was reset")
                if stream.recv_closed:
                    raise MuxedStreamEOF("Stream is closed for receiving")
                if stream.closed:
                    raise MuxedStreamReset("Stream is reset or closed")
            try:
                await self.stream_events[stream_id].wait()
                self.stream_events[stream_id] = trio.Event()
            except KeyError:
                raise MuxedStreamEOF("Stream was removed") from None

    async def open_stream(self) -> YamuxStream:
        stream = await super().open_stream()
        stream.__class__ = BatchedCreditStream
        return stream

    async def accept_stream(self) -> YamuxStream:
        stream = await super().accept_stream()
        assert isinstance(stream, YamuxStream)  # the only kind this connection makes
        stream.__class__ = BatchedCreditStream
        return stream


def install(network: Libp2pSwarm) -> None:
    """Make every yamux connection ``network`` negotiates from now on a `Yamux`."""
    muxers = network.upgrader.muxer_multistream
    negotiate = muxers.new_conn

    async def new_conn(conn: Any, peer_id: Any) -> IMuxedConn:
        buffer_reads(conn)  # nothing read since the handshake yet
        muxed = await negotiate(conn, peer_id)
        if type(muxed) is Libp2pYamux:  # no stream exists yet: nothing read or written
            muxed.__class__ = Yamux
        return muxed

    muxers.new_conn = new_conn  # type: ignore[method-assign]
