"""Two in-process swarms joined: the connection and stream set-up the net tests share."""

from __future__ import annotations

from libp2p.abc import INetStream

from wetnode.net.swarm import StreamHandler, Swarm


async def join(client: Swarm, server: Swarm) -> None:
    """Connect ``client`` to ``server`` at the address ``server`` listens on."""
    (addr,) = server.addrs()
    await client.connect(server.peer_id, [addr.decapsulate(f"/p2p/{server.peer_id}")])


async def open_to(
    client: Swarm, server: Swarm, protocol: str, handler: StreamHandler
) -> INetStream:
    """``server`` serving ``protocol`` with ``handler``; ``client`` joined to it and its
    stream on that protocol opened."""
    server.handle(protocol, handler)
    await join(client, server)
    return await client.open_stream(server.peer_id, protocol)


async def read_exactly(stream: INetStream, size: int) -> bytes:
    """``size`` bytes from ``stream``, however the muxer splits them."""
    got = b""
    while len(got) < size:
        got += await stream.read(size - len(got))
    return got
