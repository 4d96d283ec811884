"""A connection a guest dials lives as long as that guest, not as long as the node."""

from __future__ import annotations

import trio

from tests.support.echo import Echo
from wetnode.net import protocol
from wetnode.net.network import SwarmNetwork
from wetnode.net.swarm import open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

_system = schema.system()


async def test_a_dialled_connection_closes_when_its_guest_goes() -> None:
    async with (
        open_vat() as vat,
        open_swarm(port=0, host="127.0.0.1") as server,
        open_swarm(port=0, host="127.0.0.1") as client,
        trio.open_nursery() as nursery,
    ):
        protocol.serve(server, vat, lambda _peer: Echo())
        network = SwarmNetwork(client, vat, nursery)
        guest_gone = trio.Event()
        addrs = [addr.to_bytes() for addr in server.addrs()]
        with trio.fail_after(20):
            connection = await network.dial(server.peer_id.to_bytes(), addrs, guest_gone)

            async def echo() -> str:
                cap = connection.bootstrap().cast_as(_system.Executor)
                return (await cap.echo("while the guest lives")).response

            assert await vat.run(echo) == "while the guest lives"
            guest_gone.set()
            await vat.run(connection.disconnected)  # returns once the link is closed
        nursery.cancel_scope.cancel()
