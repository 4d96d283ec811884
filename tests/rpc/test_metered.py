"""A guest's channel read through `MeteredLink`, with real pycapnp on both ends.

The server end is metered as a guest's channel is (`Vat.connect(..., guest=)`);
the client is a plain pycapnp connection, the guest's stand-in.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from contextlib import suppress
from functools import partial

import trio

from tests.support.echo import Echo
from wetnode.net.limits import FlowLimits
from wetnode.rpc import schema
from wetnode.rpc.metered import ChannelLimits
from wetnode.rpc.vat import Vat, open_vat

MIB = 1 << 20
BIG = 64 * 1024  # bytes of each call: each takes reads of its own (pycapnp reads ahead a little)
WORK = 0.02  # seconds the busy server spends on each call


class BusyEcho(Echo):
    """Takes ``WORK`` seconds per call and counts how many it holds at once."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.holding = 0
        self.most = 0

    async def echo(self, message: str, **kwargs: object) -> str:
        self.seen += 1
        self.holding += 1
        self.most = max(self.most, self.holding)
        try:
            await asyncio.sleep(WORK)  # sleep-ok: the server's work, which calls may overlap
        finally:
            self.holding -= 1
        return message


async def _metered_pair(vat: Vat, server: Echo, limits: ChannelLimits, guest_end: socket.socket,
                        host_end: socket.socket):  # fmt: skip
    served = await vat.run(partial(vat.connect, host_end, server, guest="tester", limits=limits))
    client = await vat.run(vat.connect, guest_end)
    return served, client


async def _pipelined(max_calls: int) -> tuple[list[str], BusyEcho]:
    """12 pipelined 64 KiB echoes through a channel that lets ``max_calls`` in at a time."""
    server = BusyEcho()
    limits = ChannelLimits(FlowLimits(max_calls=max_calls, max_bytes=MIB))
    async with open_vat() as vat:
        _, client = await _metered_pair(vat, server, limits, *socket.socketpair())

        async def pipeline() -> list[str]:
            executor = client.bootstrap().cast_as(schema.system().Executor)
            promises = [executor.echo(f"{i}".ljust(BIG)) for i in range(12)]
            return [(await promise).response.strip() for promise in promises]

        with trio.fail_after(30):
            return await vat.run(pipeline), server


async def test_calls_past_the_bound_wait_for_room_and_every_one_is_answered_in_order():
    answers, server = await _pipelined(max_calls=2)
    assert answers == [str(i) for i in range(12)]
    assert server.seen == 12
    assert server.most == 2, "the host read more of the guest's calls than its bound"


async def test_without_a_bound_the_same_calls_overlap():
    """The baseline of the test above: the meter, not the server, held them to two."""
    _, server = await _pipelined(max_calls=100)
    assert server.most > 2


async def test_bytes_that_cannot_be_counted_end_the_channel_and_never_reach_pycapnp(caplog):
    caplog.set_level(logging.WARNING, logger="wetnode.rpc.metered")
    guest, host_end = socket.socketpair()
    async with open_vat() as vat:
        served = await vat.run(partial(vat.connect, host_end, Echo(), guest="tester"))
        guest.sendall(b"\xff\xff\xff\xff" + bytes(12))  # a table of 2**32 segments
        with trio.fail_after(10):
            await vat.run(served.disconnected)
            tguest = trio.socket.from_stdlib_socket(guest)
            assert await tguest.recv(100) == b"", "the guest's channel was not closed"
    assert "guest tester: peer sent an RPC message that does not decode" in caplog.text


class GatedEcho(BusyEcho):
    """Answers nothing until ``gate`` calls are in, then everything at once."""

    def __init__(self, gate: int) -> None:
        super().__init__()
        self._gate = gate
        self._arrived = 0
        self._open = asyncio.Event()

    async def echo(self, message: str, **kwargs: object) -> str:
        self._arrived += 1
        if self._arrived >= self._gate:
            self._open.set()
        await self._open.wait()
        return await super().echo(message)


async def _carry(
    source: socket.socket, sink: socket.socket, chunk: int = 65536, pause: float = 0
) -> None:
    """Relay what arrives on ``source`` to ``sink``, ``chunk`` bytes at a time with
    ``pause`` seconds between, until ``source`` ends or the host shuts the channel down."""
    source_end = trio.socket.from_stdlib_socket(source)
    sink_end = trio.socket.from_stdlib_socket(sink)
    with suppress(OSError):
        while data := await source_end.recv(chunk):
            view = memoryview(data)
            while view:
                view = view[await sink_end.send(view) :]
            await trio.sleep(pause)  # sleep-ok: a slow reader's pace, when one is under test


async def _flood_without_reading(limits: ChannelLimits, server: BusyEcho) -> BusyEcho:
    """A guest that writes 40 echoes of 1 MiB and never reads: its bytes reach the host
    through a relay that carries nothing back.  Returns once the host ended the channel."""
    client_end, relay_in = socket.socketpair()  # the client's bytes reach the relay...
    relay_out, host_end = socket.socketpair()  # ...which writes them on and never reads back
    async with open_vat() as vat:
        served, client = await _metered_pair(vat, server, limits, client_end, host_end)

        held: list[object] = []  # the calls' promises, never awaited: no answer comes back

        async def flood() -> None:
            executor = client.bootstrap().cast_as(schema.system().Executor)
            held.extend(executor.echo("x" * MIB) for _ in range(40))

        async def drop() -> None:  # pycapnp objects are freed on the vat only
            held.clear()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(_carry, relay_in, relay_out)  # the calls only
            await vat.run(flood)
            with trio.fail_after(30):
                await vat.run(served.disconnected)
            nursery.cancel_scope.cancel()
        await vat.run(drop)
    return server


async def test_a_guest_that_takes_none_of_its_results_is_ended_after_the_drain_timeout(caplog):
    """Its calls are held at the byte bound, the results fill its socket, and after the
    drain timeout its channel ends."""
    caplog.set_level(logging.WARNING, logger="wetnode.rpc.metered")
    limits = ChannelLimits(FlowLimits(max_calls=100, max_bytes=4 * MIB), drain_timeout=0.3)
    server = await _flood_without_reading(limits, BusyEcho())
    assert "guest tester took none of its results for 0.3s" in caplog.text
    assert server.seen < 10, f"the host read {server.seen} MiB calls past its 4 MiB bound"


async def test_results_past_the_guests_budget_end_it_without_waiting_for_the_drain_timeout(
    caplog,
):
    """The results of the calls already admitted count too: 6 MiB of calls let in before
    any is answered, 3 MiB of results allowed, so the channel ends as the results pile up,
    long before the drain timeout."""
    caplog.set_level(logging.WARNING, logger="wetnode.rpc.metered")
    limits = ChannelLimits(
        FlowLimits(max_calls=100, max_bytes=8 * MIB), drain_timeout=60, results_bytes=3 * MIB
    )
    with trio.fail_after(30):
        await _flood_without_reading(limits, GatedEcho(gate=6))
    assert "MiB of results unread, past its 3 MiB (--guest-memory" in caplog.text
    assert "took none of its results" not in caplog.text


async def test_a_guest_that_reads_its_results_slowly_is_not_ended_while_they_pile_up(caplog):
    """Twelve 256 KiB echoes let in at once are answered at once: the backlog grows past
    what it was when the transport first held writes back, while the guest reads 64 KiB
    every 50 ms.  It is slow, not stuck: every answer arrives, and the drain timeout
    (0.3 s, far less than the ~1.3 s the reading takes) does not end it."""
    caplog.set_level(logging.WARNING, logger="wetnode.rpc.metered")
    limits = ChannelLimits(FlowLimits(max_calls=100, max_bytes=8 * MIB), drain_timeout=0.3)
    client_end, relay_near = socket.socketpair()  # the client's side of a slow relay...
    relay_far, host_end = socket.socketpair()  # ...whose far side the host writes to
    async with open_vat() as vat:
        _, client = await _metered_pair(vat, GatedEcho(gate=12), limits, client_end, host_end)
        async def pipeline() -> list[int]:
            executor = client.bootstrap().cast_as(schema.system().Executor)
            promises = [executor.echo(str(i % 10) * (256 * 1024)) for i in range(12)]
            return [len((await promise).response) for promise in promises]

        async with trio.open_nursery() as nursery:
            nursery.start_soon(_carry, relay_near, relay_far)  # calls: at once
            nursery.start_soon(_carry, relay_far, relay_near, 64 * 1024, 0.05)  # results: slowly
            with trio.fail_after(30):
                lengths = await vat.run(pipeline)
            nursery.cancel_scope.cancel()
    assert lengths == [256 * 1024] * 12
    assert "took none of its results" not in caplog.text
