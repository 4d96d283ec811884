"""Call a Wetware node's exported capability from a Python program (outside WASM).

    import trio, wetnode.client
    from wetnode.rpc import schema

    async def main():
        address = "/ip4/127.0.0.1/tcp/2025/p2p/16Uiu2..."
        async with wetnode.client.dial(address, interface=schema.system().Executor) as remote:

            async def echo(cap, text):
                return (await cap.echo(text)).response

            print(await remote.run(echo, "hi"))

    trio.run(main)

``dial`` starts what a client needs for the block -- a vat (pycapnp's thread)
and a swarm with a fresh throwaway identity -- connects, and bootstraps the
peer's export.  pycapnp objects must stay on the vat, so ``remote.run(fn,
*args)`` runs ``fn(cap, *args)`` there and hands back its plain result.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from wetnode.errors import sole_exception
from wetnode.net.dial import Remote, open_remote, parse_peer_address
from wetnode.net.swarm import open_swarm
from wetnode.rpc.vat import open_vat

__all__ = ["Remote", "dial"]


@asynccontextmanager
async def dial(address: str, *, interface: Any = None) -> AsyncIterator[Remote]:
    """Connect to the node at ``address`` (a multiaddr ending in /p2p/PEER_ID).

    Raises ``BadAddress`` for an unusable address and ``Unreachable`` when
    the peer cannot be reached; both are one-line ``UserError``s.  A single
    error from the block comes out unwrapped (see ``sole_exception``).
    """
    peer_id, transport = parse_peer_address(address)
    try:
        async with (
            open_vat() as vat,
            open_swarm(port=0, host="127.0.0.1") as swarm,
            open_remote(swarm, vat, peer_id, [transport], interface=interface) as remote,
        ):
            yield remote
    except BaseExceptionGroup as group:
        raise sole_exception(group) from None
