"""The swarm: listen addresses, connecting, peers, port conflicts."""

from __future__ import annotations

import pytest

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
