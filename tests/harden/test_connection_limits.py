"""Peers with throwaway keys cannot hold every slot of a real `ww run` node; clients leave none."""

from __future__ import annotations

import contextlib
import os
from contextlib import AsyncExitStack

import pytest
import trio

from tests.harden.attack import IDLE, LIMIT, STREAMS, Node, bystander, echo
from wetnode.client import dial
from wetnode.net.dial import parse_peer_address
from wetnode.net.protocol import PROTOCOL
from wetnode.net.swarm import open_swarm

pytestmark = pytest.mark.slow


async def test_idle_connections_give_their_slots_to_a_newcomer(node: Node):
    """Issue 12, attack 6: peers holding every slot idle; a new peer still gets in."""
    peer_id, transport = parse_peer_address(node.address)
    async with bystander(node), AsyncExitStack() as stack:  # the bystander holds one slot
        idlers = [
            await stack.enter_async_context(open_swarm(port=0, host="127.0.0.1"))
            for _ in range(LIMIT - 1)
        ]
        for idler in idlers:
            await idler.connect(peer_id, [transport])
        await trio.sleep(IDLE)  # sleep-ok: the idle age must pass
        with trio.fail_after(60):
            async with dial(node.address, graft=True) as newcomer:
                assert await newcomer.run(echo, "made room") == "made room"
        evicted = [
            idler
            for idler in idlers
            if all(conn.is_closed for conn in idler.host.get_network().get_connections(peer_id))
        ]
        assert evicted, "no idle connection gave up its slot"


def _tcp_sockets_to(port: int) -> int:
    """How many TCP sockets this process holds whose remote end is 127.0.0.1:``port``."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    with open("/proc/self/net/tcp") as table:
        for row in list(table)[1:]:
            fields = row.split()
            remote, inode = fields[2], fields[9]
            if inode in inodes and remote == f"0100007F:{port:04X}":
                count += 1
    return count


async def test_a_client_dial_block_closes_its_connection_when_it_ends(node: Node):
    """Issue 12, item 16: 20 `client.dial` blocks leave no TCP connection behind."""
    for _ in range(20):
        async with dial(node.address, graft=True) as remote:
            assert await remote.run(echo, "hi") == "hi"
            assert _tcp_sockets_to(node.port) >= 1
        assert _tcp_sockets_to(node.port) == 0, "the block ended with its connection open"


async def test_streams_past_the_limit_on_one_connection_are_refused_not_hung(node: Node):
    """Issue 12, item 17: past ``--net-max-streams`` a stream is reset at once."""
    peer_id, transport = parse_peer_address(node.address)
    async with bystander(node), open_swarm(port=0, host="127.0.0.1") as peer:
        await peer.connect(peer_id, [transport])
        held, refused = [], 0
        with trio.fail_after(60):  # every answer, opened or refused, comes promptly
            for _ in range(STREAMS + 8):
                try:
                    held.append(await peer.open_stream(peer_id, PROTOCOL))
                except Exception:
                    refused += 1
        assert len(held) <= STREAMS and refused >= 8, (len(held), refused)
        for stream in held:
            await stream.reset()
        with trio.fail_after(30):  # the slots came back when the streams closed
            while True:
                try:
                    await (await peer.open_stream(peer_id, PROTOCOL)).reset()
                    break
                except Exception:
                    # No event tells a peer that the node has seen its resets: poll, bounded.
                    await trio.sleep(0.1)  # sleep-ok: bounded poll
