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

py-libp2p builds its `Yamux` connections itself (the muxer negotiation names
the class), so `install` turns each new one into a `Yamux` of this module,
whose streams (opened or accepted) are `BatchedCreditStream`s: py-libp2p's
own objects given these methods, with no state of their own (their window is
py-libp2p's attribute, read and written through the property).
"""

from __future__ import annotations

import logging
from typing import Any

from libp2p.abc import IMuxedConn
from libp2p.network.swarm import Swarm as Libp2pSwarm
from libp2p.stream_muxer.yamux.yamux import Yamux as Libp2pYamux
from libp2p.stream_muxer.yamux.yamux import YamuxStream

from wetnode.errors import NetError

log = logging.getLogger(__name__)


class WindowExceeded(NetError):
    """A peer sent a stream more bytes than the receive window it was given."""


class BatchedCreditStream(YamuxStream):
    """A yamux stream that returns receive credit in half-window batches only."""

    async def _auto_tune_and_send_window_update(self, *, bytes_read: int = 0) -> None:
        async with self.window_lock:
            buffered = len(self.conn.stream_buffers.get(self.stream_id, b""))
            shortfall = self.target_recv_window - (self.recv_window + buffered)
            if shortfall < max(self._grow_threshold(), 1):
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
        muxed = await negotiate(conn, peer_id)
        if type(muxed) is Libp2pYamux:  # no stream exists yet: nothing read or written
            muxed.__class__ = Yamux
        return muxed

    muxers.new_conn = new_conn  # type: ignore[method-assign]
