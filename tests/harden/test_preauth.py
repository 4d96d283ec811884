"""Strangers on raw TCP and peers with throwaway keys cannot exhaust a real `ww run` node.

Each test attacks one node while an honest peer, grafted before the attack,
keeps calling `executor.echo`: every call must answer within
``BYSTANDER_BOUND``.  The node's RSS is read from /proc.
"""

from __future__ import annotations

import os
import socket

import pytest
import trio
from libp2p.abc import INetStream
from libp2p.custom_types import TProtocol
from libp2p.host.ping import ID as PING_PROTOCOL
from libp2p.host.ping import PING_LENGTH

from tests.harden.attack import (
    BYSTANDER_BOUND,
    HANDSHAKE,
    PENDING,
    PER_ADDRESS,
    Node,
    bystander,
    echo,
)
from wetnode.client import dial
from wetnode.codec import uvarint
from wetnode.net.dial import parse_peer_address
from wetnode.net.swarm import Swarm, open_swarm

pytestmark = pytest.mark.slow

MIB = 1 << 20
MULTISTREAM = b"/multistream/1.0.0\n"
CYCLES = 1000  # far past py-libp2p 0.8.1's leaks: 8 per peer, 250 in all
# Peers cycling at once: each holds at most two connections on the node (one
# leaving, one new), so with the bystander they stay under --net-max-connections
# (8), and their handshakes under --net-max-pending-per-address (4).
DIALLERS = 3
PER_IDENTITY = 25  # cycles under one peer ID: past --net-max-per-peer (8)
PING = TProtocol(PING_PROTOCOL)


def _claim_a_huge_message(port: int, budget: int) -> int:
    """Claim a 1 GiB multistream message and send up to ``budget`` bytes of it;
    return how many the node took before it closed the socket."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        chunk = bytes(MIB)
        try:
            sock.sendall(uvarint(1 << 30))
            while sent < budget:
                sock.sendall(chunk)
                sent += len(chunk)
        except (ConnectionResetError, BrokenPipeError):
            pass
    return sent


def _closed_by_node(sock: socket.socket) -> bool:
    """True once the node has closed ``sock`` (EOF or reset); reads what it sent first."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


async def test_huge_negotiation_claims_are_cut_off_and_rss_stays_bounded(node: Node):
    """Issue 12, attack 1: 8 sockets claiming a 1 GiB multistream line, 32 MiB sent each."""
    async with bystander(node):
        before = node.rss()
        async with trio.open_nursery() as nursery:
            taken: list[int] = []

            async def attack() -> None:
                taken.append(
                    await trio.to_thread.run_sync(_claim_a_huge_message, node.port, 32 * MIB)
                )

            for _ in range(8):
                nursery.start_soon(attack)
        growth = node.rss() - before
    assert all(sent < 32 * MIB for sent in taken), f"the node read whole claims: {taken}"
    assert growth < 32 * MIB, f"RSS grew {growth / MIB:.0f} MiB under the attack"


async def test_silent_strangers_are_closed_at_the_deadline_and_a_new_peer_then_gets_in(
    node: Node,
):
    """Sockets that send the multistream header and stall hold no slot past the deadline;
    past ``--net-max-pending`` they are closed at once."""
    async with bystander(node):
        socks = [socket.create_connection(("127.0.0.1", node.port)) for _ in range(3 * PENDING)]
        try:
            start = trio.current_time()
            for sock in socks:
                sock.sendall(uvarint(len(MULTISTREAM)) + MULTISTREAM)
                sock.settimeout(HANDSHAKE + 3)
            closed = await trio.to_thread.run_sync(lambda: [_closed_by_node(s) for s in socks])
            elapsed = trio.current_time() - start
        finally:
            for sock in socks:
                sock.close()
        assert all(closed), f"{closed.count(False)} stalled sockets were still open"
        assert elapsed < HANDSHAKE + 3, f"stalled sockets were closed only after {elapsed:.1f}s"
    with trio.fail_after(60):
        async with dial(node.address, graft=True) as newcomer:
            assert await newcomer.run(echo, "let in") == "let in"


def _stall(port: int, source: str) -> socket.socket:
    """A socket from ``source`` that sends the multistream header and then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE + 3,
                                    source_address=(source, 0))  # fmt: skip
    sock.sendall(uvarint(len(MULTISTREAM)) + MULTISTREAM)
    return sock


def _answered(sock: socket.socket) -> bool:
    """True if the node answers the multistream header with its own (False: it closed)."""
    try:
        return MULTISTREAM in sock.recv(65536)
    except ConnectionResetError:
        return False


async def test_one_address_cannot_take_every_handshake_slot(node: Node):
    """Stalled sockets from one address hold at most ``--net-max-pending-per-address``
    handshake slots: the rest are closed at once, and another address is still answered."""
    async with bystander(node):
        socks = [_stall(node.port, "127.0.0.1") for _ in range(PENDING)]
        try:
            outsider = _stall(node.port, "127.0.0.2")
            socks.append(outsider)
            held = await trio.to_thread.run_sync(lambda: [_answered(s) for s in socks[:-1]])
            assert held.count(True) == PER_ADDRESS, f"one address held {held.count(True)} slots"
            assert await trio.to_thread.run_sync(_answered, outsider), "another address shut out"
        finally:
            for sock in socks:
                sock.close()


async def test_connect_and_leave_cycles_release_their_slots(node: Node):
    """Issue 12, attacks 2 and 3: 1,000 connect-and-leave cycles, and a new peer still gets in.

    ``DIALLERS`` clients cycle at once, each under a fresh peer ID every
    ``PER_IDENTITY`` cycles: each identity goes past the per-peer limit, and all
    of them together far past the total.  A slot that a closed connection kept
    would refuse a cycle within the first second, before the idle eviction could
    free it, and each cycle pings the node, which a refused connection cannot answer.
    """
    peer_id, transport = parse_peer_address(node.address)
    fds_before = node.fds()
    done = [0] * DIALLERS

    async def cycle(client: Swarm, closing: trio.Nursery, index: int) -> None:
        try:
            await client.connect(peer_id, [transport])
            with trio.fail_after(BYSTANDER_BOUND * 10):
                await _ping(await client.open_stream(peer_id, PING))
        except Exception as exc:
            raise AssertionError(
                f"client {index}, cycle {done[index]}: the node did not serve it: {exc!r}"
            ) from exc
        (conn,) = client.host.get_network().get_connections(peer_id)
        # Leave: py-libp2p's close sleeps 0.2 s after it has closed the socket (most
        # of a cycle's time), so it goes on in the background once the node can see it.
        closing.start_soon(conn.close)
        with trio.fail_after(BYSTANDER_BOUND * 10):
            await conn.muxed_conn.event_closed.wait()
        done[index] += 1

    async def dialler(index: int, cycles: int) -> None:
        while done[index] < cycles:
            async with (
                open_swarm(port=0, host="127.0.0.1") as client,  # a fresh peer ID
                trio.open_nursery() as closing,
            ):
                for _ in range(min(PER_IDENTITY, cycles - done[index])):
                    await cycle(client, closing, index)

    async with bystander(node), trio.open_nursery() as nursery:
        for index in range(DIALLERS):
            nursery.start_soon(dialler, index, len(range(index, CYCLES, DIALLERS)))
    assert sum(done) == CYCLES
    with trio.fail_after(60):
        async with dial(node.address, graft=True) as newcomer:
            assert await newcomer.run(echo, "after the cycles") == "after the cycles"
    assert node.fds() < fds_before + 32, f"the node holds {node.fds()} fds ({fds_before} before)"


async def _ping(stream: INetStream) -> None:
    """One libp2p ping on ``stream``: the node echoes 32 random bytes back."""
    payload = os.urandom(PING_LENGTH)
    await stream.write(payload)
    echoed = b""
    while len(echoed) < PING_LENGTH:
        chunk = await stream.read(PING_LENGTH - len(echoed))
        assert chunk, "the node closed the ping stream"
        echoed += chunk
    assert echoed == payload
    await stream.close()
