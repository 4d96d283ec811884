"""Every link of the vat sends pycapnp's messages whole: one send per small message.

Both kinds are checked: the plain ``Link`` every remote stream's connection
is read through, and the guest's ``MeteredLink``.  The far end of a real
socket pair is read right after each batch of pieces the link is given, so
a piece sent on its own would be seen alone.  They run on the loop the vat
runs (uvloop's), whose transport must never be paused from inside
``get_buffer``: libuv then calls a read callback it has just cleared, and
the process dies (tests/rpc/test_metered.py's pipelined calls did).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import pytest

from wetnode.capnproto.messages import results_return
from wetnode.rpc.link import Link
from wetnode.rpc.metered import DEFAULT_CHANNEL_LIMITS, MeteredLink
from wetnode.rpc.vat import run_on_vat_loop

MakeLink = Callable[[socket.socket, Any], Link]
LINKS: dict[str, MakeLink] = {
    "plain": lambda _sock, inner: Link(inner),
    "metered": lambda sock, inner: MeteredLink("tester", sock, inner, DEFAULT_CHANNEL_LIMITS),
}


class _Taker(asyncio.BufferedProtocol):
    """pycapnp's side of a link, reduced to what these tests need: it takes what it
    is given, as pycapnp's protocol would, and says when something came."""

    def __init__(self) -> None:
        self.taken = bytearray()
        self.arrived = asyncio.Event()
        self._last = bytearray()

    def get_buffer(self, sizehint: int) -> bytearray:
        self._last = bytearray(sizehint if sizehint > 0 else 100)  # as pycapnp's overflow
        return self._last

    def buffer_updated(self, nbytes: int) -> None:
        self.taken += self._last[:nbytes]
        self.arrived.set()


def _message(payload_words: int) -> tuple[bytes, bytes]:
    """A one-segment Return as pycapnp writes it: its segment table, then the segment."""
    mb, _, ptr = results_return(7)
    ptr.init_struct(payload_words, 0)
    frame = mb.to_bytes()
    return frame[:8], frame[8:]


def _written_by_link(make: MakeLink, pieces: list[list[bytes]]) -> list[bytes]:
    """What reaches the far end after each batch of pieces the link is given: once
    the batch has been written, what its socket holds, then what follows until the
    bytes the link was given so far are all there."""

    async def run() -> list[bytes]:
        near, far = socket.socketpair()
        far.setblocking(False)
        loop = asyncio.get_running_loop()
        link = make(near, _Taker())
        await loop.create_connection(lambda: link, sock=near)
        seen, given, received = [], 0, 0
        for batch in pieces:
            for piece in batch:
                link.write(piece)
                given += len(piece)
            got = b""
            with suppress(BlockingIOError):
                got = far.recv(1 << 22)
            while received + len(got) < given and len(got) > 0:
                got += await asyncio.wait_for(loop.sock_recv(far, 1 << 22), 10)
            received += len(got)
            seen.append(got)
        link.close()
        far.close()
        return seen

    return run_on_vat_loop(run())


@pytest.mark.parametrize("kind", LINKS)
def test_a_small_message_written_in_pieces_reaches_the_far_end_in_one_send(kind: str) -> None:
    table, segment = _message(4)
    assert _written_by_link(LINKS[kind], [[table], [segment]]) == [b"", table + segment]


@pytest.mark.parametrize("kind", LINKS)
def test_a_whole_message_is_not_held_behind_a_large_one_and_both_arrive_intact(
    kind: str,
) -> None:
    first, second = _message(1), _message(300_000)  # the second one is ~2.3 MiB
    before = first[0] + first[1] + second[0]
    assert _written_by_link(LINKS[kind], [[before], [second[1]]]) == [before, second[1]]


@pytest.mark.parametrize("kind", LINKS)
def test_whole_messages_given_at_once_go_out_at_once(kind: str) -> None:
    messages = [b"".join(_message(words)) for words in (1, 2, 3)]
    assert _written_by_link(LINKS[kind], [messages]) == [b"".join(messages)]


@pytest.mark.parametrize("kind", LINKS)
def test_reading_goes_on_between_two_reads_and_stops_only_when_bytes_come_unasked(
    kind: str,
) -> None:
    async def run() -> list[bool]:
        near, far = socket.socketpair()
        loop = asyncio.get_running_loop()
        taker = _Taker()
        link = LINKS[kind](near, taker)
        transport, _ = await loop.create_connection(lambda: link, sock=near)
        states = [transport.is_reading()]  # nothing asked yet: not reading
        link.resume_reading()  # pycapnp asks for bytes
        link.pause_reading()  # its read is fulfilled; the next one comes soon
        states.append(transport.is_reading())  # still reading: no epoll_ctl twice a message
        unasked = b"".join(_message(1))  # a whole message: the meter counts it
        far.sendall(unasked)
        await asyncio.wait_for(taker.arrived.wait(), 10)
        states.append(transport.is_reading())  # bytes came with no read waiting: paused
        link.resume_reading()
        states.append(transport.is_reading())
        assert bytes(taker.taken) == unasked  # handed on, for pycapnp's overflow buffer
        link.close()
        far.close()
        return states

    assert run_on_vat_loop(run()) == [False, True, False, True]
