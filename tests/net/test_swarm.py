"""The swarm: listen addresses, connecting, peers, port conflicts."""

from __future__ import annotations

import pytest
import trio
from libp2p.network.stream.exceptions import StreamEOF, StreamReset

from tests.support.swarms import join
from wetnode.errors import PortInUse
from wetnode.net.swarm import open_swarm


async def test_addrs_are_dialable_and_peers_see_each_other():
    async with (
        open_swarm(port=0, host="127.0.0.1") as a,
        open_swarm(port=0, host="127.0.0.1") as b,
    ):
        (addr,) = a.addrs()
        assert str(addr).startswith("/ip4/127.0.0.1/tcp/")
        assert addr.get_peer_id() == str(a.peer_id)
        assert int(addr.value_for_protocol("tcp")) > 0
        await b.connect(a.peer_id, [addr.decapsulate(f"/p2p/{a.peer_id}")])
        assert [p.peer_id for p in b.peers()] == [a.peer_id]
        assert b.peers()[0].addrs == (addr.decapsulate(f"/p2p/{a.peer_id}"),)


async def test_a_taken_port_is_refused_instead_of_shared():
    async with open_swarm(port=0, host="127.0.0.1") as first:
        port = int(first.addrs()[0].value_for_protocol("tcp"))
        with pytest.raises(PortInUse, match=str(port)):
            async with open_swarm(port=port, host="127.0.0.1"):
                pass


async def test_a_stream_handler_that_fails_ends_its_stream_only():
    """One stream's failure (a bug a peer's bytes reach) must not end the peer's connection,
    nor anyone else's: it resets that stream."""

    async def broken(stream) -> None:
        await stream.read(1)
        raise AttributeError("a handler bug")

    async def echo(stream) -> None:
        await stream.write(await stream.read(100))
        await stream.close()

    async with (
        open_swarm(port=0, host="127.0.0.1") as server,
        open_swarm(port=0, host="127.0.0.1") as client,
    ):
        server.handle("/broken/1", broken)
        server.handle("/echo/1", echo)
        await join(client, server)
        with trio.fail_after(30):
            bad = await client.open_stream(server.peer_id, "/broken/1")
            await bad.write(b"x")
            with pytest.raises((StreamReset, StreamEOF)):  # the server reset it
                while await bad.read(100):
                    pass
            good = await client.open_stream(server.peer_id, "/echo/1")
            await good.write(b"still here")
            assert await good.read(100) == b"still here"
