"""Flow control on a guest's channel: the guest's calls in flight and the results it has not taken.

A guest's channel used to go straight to pycapnp, which reads every call the
guest writes and queues every result for it: a guest that pipelines calls
and never reads their answers (issue 12, attack 11: 3,000 x 1 MiB echoes)
made the host buffer gigabytes, outside the guest's own memory limit.  So
the channel's host end is pumped, as a ``/ww`` stream is
(``wetnode.net.flow`` counts both), with one difference: a question closes
when its Return has been read from the vat, but the room it makes opens
only once the Return has been written to the guest's socket, and nothing
more is read from the vat until then.  The results the host holds for a
guest are therefore those of its open calls (and of one read), and the
calls are bounded (``--guest-max-calls``,
``--guest-max-bytes``): past the bound the pump stops reading the guest, whose
next write then blocks (backpressure).

A guest that still does not read (its socket full, no byte taken for
``drain_timeout`` seconds) is ended: the pump closes its channel, which the
guest sees as the host going away, and logs one line naming it.  Bytes from
the guest that cannot be counted end the channel the same way.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

import trio

from wetnode.cell.limits import DRAIN_TIMEOUT, GUEST_FLOW_LIMITS
from wetnode.net.flow import CallFlow, FlowError, FlowLimits

log = logging.getLogger(__name__)

CHUNK = 64 * 1024  # bytes per read: the guest writes at most this much per channel call


@dataclass(frozen=True)
class ChannelLimits:
    """What a guest's channel may hold: its calls in flight, and how long a stall may last."""

    flow: FlowLimits = GUEST_FLOW_LIMITS
    drain_timeout: float = DRAIN_TIMEOUT


DEFAULT_CHANNEL_LIMITS = ChannelLimits()

async def pump_channel(
    name: str,
    guest: socket.socket,
    vat: socket.socket,
    limits: ChannelLimits = DEFAULT_CHANNEL_LIMITS,
) -> None:
    """Copy bytes between a guest's channel (``guest``) and its vat connection (``vat``) until
    either side ends or the guest must be ended; then close both.  Takes ownership of both
    sockets."""
    tguest = trio.socket.from_stdlib_socket(guest)
    tvat = trio.socket.from_stdlib_socket(vat)
    flow = CallFlow(limits.flow)
    room = trio.Event()

    async def guest_to_vat() -> None:
        nonlocal room
        while True:
            while flow.full:
                room = trio.Event()
                await room.wait()
            data = await tguest.recv(CHUNK)
            if not data:
                return
            try:
                flow.from_peer(data)
            except FlowError as exc:  # the bytes that cannot be counted are not passed on
                log.warning("guest %s: %s; its channel is closed", name, exc)
                return
            await _send(tvat, data)

    async def vat_to_guest() -> None:
        while data := await tvat.recv(CHUNK):
            # Its Returns close their questions now: once the guest reads one it may send
            # Finish and reuse the question's id at once.  The room they make opens only
            # when they are delivered, and nothing more is read from the vat until then.
            flow.from_vat(data)
            with trio.move_on_after(limits.drain_timeout) as stalled:
                await _send(tguest, data)
            if stalled.cancelled_caught:
                log.warning(
                    "guest %s took none of its results for %gs (%d calls open;"
                    " --guest-drain-timeout): its channel is closed",
                    name, limits.drain_timeout, flow.open_calls,
                )  # fmt: skip
                return
            if not flow.full:
                room.set()

    try:
        async with trio.open_nursery() as nursery:
            for direction in (guest_to_vat, vat_to_guest):
                nursery.start_soon(_until_done, direction, nursery.cancel_scope, name)
    finally:
        # Shut down, not only close: the guest's side may be a dup (pid0's is the cell's),
        # and the guest must see the channel end even while blocked in a write.
        for end in (tguest, tvat):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


async def _until_done(
    direction: Callable[[], Awaitable[None]], scope: trio.CancelScope, name: str
) -> None:
    """Run one direction; when it ends, for whatever reason, the channel ends."""
    try:
        await direction()
    except OSError as exc:  # a side closed under a read or send: the link is over
        log.debug("guest %s channel ended: %r", name, exc)
    finally:
        scope.cancel()


async def _send(sock: trio.socket.SocketType, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[await sock.send(view) :]
