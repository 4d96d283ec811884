"""A guest's channel, counted where pycapnp reads it: its calls in flight and the results it leaves.

pycapnp reads every call a guest writes and queues every result for it: a
guest that pipelines calls and never reads their answers (issue 12, attack
11: 3,000 x 1 MiB echoes) made the host buffer gigabytes, outside the
guest's own memory limit.  The guest's calls are counted as a ``/ww``
stream's are (``wetnode.net.flow``), but not by a pump in another thread: a
trio pump between the guest's socket and the vat put two more thread
crossings on every message and made each pid0 call ~8x slower.  Here the
vat's own asyncio transport reads the guest's socket, and ``MeteredLink``
stands between it and pycapnp's protocol, on the vat thread:

* bytes the guest sends are counted before pycapnp sees them (in the very
  buffer pycapnp asked the transport to fill, so nothing is copied); bytes
  that cannot be counted end the link and never reach pycapnp;
* a Return pycapnp writes closes its question;
* the socket is read only while pycapnp reads (and across the moments
  between two of its reads, as every ``Link`` does), the guest's open calls
  are under the bound (``--guest-max-calls``, ``--guest-max-bytes``) and the
  transport's backlog of results is under its water marks (it paused our
  writes past the high one and resumed them under the low one).  Past that
  the guest's next write blocks (backpressure).
* every result pycapnp writes goes into the transport's buffer, never held
  back in pycapnp's own queue, so what the host holds for the guest is
  counted: the results of calls admitted before reading stopped.  Past
  ``results_bytes`` (the guest's own memory limit: it could not hold more
  either) the guest is ended.
* each message pycapnp writes in pieces goes to the guest in one send, as
  on every link of the vat (``wetnode.rpc.link``): the guest wakes and
  reads once per message, not twice.

A guest that takes none of its results for ``drain_timeout`` seconds while
the backlog is held is ended too (one that takes some is slow, not stuck,
however many more results arrive meanwhile): its channel is shut down, which
the guest sees as the host going away, with one line naming it.

``MeteredLink`` is a ``Link``: pycapnp's protocol sees it as its transport.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from wetnode.cell.limits import DRAIN_TIMEOUT, GUEST_FLOW_LIMITS, GUEST_MEMORY
from wetnode.net.flow import CallFlow, FlowError, FlowLimits
from wetnode.rpc.link import Link, link_stream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelLimits:
    """What a guest's channel may hold: its calls in flight, the results it has not taken
    (``None``: no bound), and how long it may take none of them."""

    flow: FlowLimits = GUEST_FLOW_LIMITS
    drain_timeout: float = DRAIN_TIMEOUT
    results_bytes: int | None = GUEST_MEMORY


DEFAULT_CHANNEL_LIMITS = ChannelLimits()


class MeteredLink(Link):
    """Counts one guest's calls between the socket's transport and pycapnp's protocol."""

    def __init__(self, name: str, sock: socket.socket, inner: Any, limits: ChannelLimits) -> None:
        super().__init__(inner)
        self._name = name
        self._sock = sock  # kept to shut it down: the guest's end may be a dup (pid0's is)
        self._limits = limits
        self._flow = CallFlow(limits.flow)
        self._buffer = memoryview(b"")  # what the transport is filling for pycapnp
        self._writes_held = False  # the transport holds more than its high-water mark
        self._stall: asyncio.TimerHandle | None = None
        self._written = 0  # bytes handed to the transport
        self._sent_when_armed = 0  # of those, how many had left when the stall clock started

    # -- the socket transport's protocol ----------------------------------------

    def get_buffer(self, sizehint: int) -> memoryview:
        self._buffer = memoryview(super().get_buffer(sizehint))
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        data, self._buffer = self._buffer[:nbytes], memoryview(b"")  # pycapnp's memory: not kept
        try:
            self._flow.from_peer(data)
        except FlowError as exc:  # the bytes that cannot be counted are not passed on
            log.warning("guest %s: %s; its channel is closed", self._name, exc)
            self._end()
            return
        self._inner.buffer_updated(nbytes)
        self._steer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._shutdown()
        super().connection_lost(exc)

    # Not passed on to pycapnp: its writes are never held back (they are counted below).
    def pause_writing(self) -> None:
        self._writes_held = True
        self._steer()
        self._arm()

    def resume_writing(self) -> None:
        self._writes_held = False
        self._disarm()
        self._steer()

    # -- the transport pycapnp's protocol writes to -----------------------------

    def _counted(self, data: bytes) -> None:
        # A Return closes its question here; reading resumes (`_steer`) only once the
        # transport's backlog is back under its water marks.  The backlog itself is
        # bounded by ``results_bytes``.
        self._flow.from_vat(data)

    def _send(self, transport: asyncio.Transport, data: bytes) -> None:
        """Give ``data`` to the socket's transport, within the results bound."""
        if transport.is_closing():
            return
        self._written += len(data)  # first: the write may pause us, which starts the clock
        transport.write(data)
        backlog, bound = transport.get_write_buffer_size(), self._limits.results_bytes
        if bound is not None and backlog > bound:
            log.warning(
                "guest %s left %.1f MiB of results unread, past its %d MiB (--guest-memory;"
                " await fewer large calls at a time): its channel is closed",
                self._name, backlog / (1 << 20), bound >> 20,
            )  # fmt: skip
            self._end()
            return
        self._steer()

    def close(self) -> None:
        # Shut down first: the guest must see the channel end even while it is blocked
        # in a write, and a transport still holding results would wait for them to go.
        self._shutdown()
        if self._transport is not None:
            self._transport.close()

    # -- helpers -----------------------------------------------------------------

    def _may_read(self) -> bool:
        """Read the guest's socket only while the bound has room and results drain."""
        return not self._writes_held and not self._flow.full

    def _arm(self) -> None:
        """Start (or restart) the stall clock while results wait for the guest."""
        if self._transport is None:
            return
        self._sent_when_armed = self._sent()
        loop = asyncio.get_running_loop()
        self._stall = loop.call_later(self._limits.drain_timeout, self._check_stall)

    def _disarm(self) -> None:
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None

    def _check_stall(self) -> None:
        self._stall = None
        if self._transport is None or not self._writes_held:
            return
        if self._sent() > self._sent_when_armed:  # it took some: slow, not stuck
            self._arm()
            return
        log.warning(
            "guest %s took none of its results for %gs (%d calls open;"
            " --guest-drain-timeout): its channel is closed",
            self._name, self._limits.drain_timeout, self._flow.open_calls,
        )  # fmt: skip
        self._end()

    def _sent(self) -> int:
        """Bytes of results that have left for the guest.  (The backlog alone would not
        say: results of calls already let in go on arriving while the guest reads.)"""
        assert self._transport is not None
        return self._written - self._transport.get_write_buffer_size()

    def _end(self) -> None:
        """End the link now, dropping what it holds: the guest sees its channel close."""
        self._shutdown()
        if self._transport is not None:
            self._transport.abort()

    def _shutdown(self) -> None:
        with suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)


async def metered_stream(sock: socket.socket, name: str, limits: ChannelLimits) -> Any:
    """(On the vat) pycapnp's stream over ``sock``, read through a ``MeteredLink``.

    Takes ownership of ``sock``.
    """
    return await link_stream(sock, lambda inner: MeteredLink(name, sock, inner, limits))
