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
and a swarm with the client's identity (``secret``, else a fresh throwaway
key) -- connects, and bootstraps the peer's export.  pycapnp objects must
stay on the vat, so ``remote.run(fn, *args)`` runs ``fn(cap, *args)`` there
and hands back its plain result.

A node's export is pid0's Membrane: ``dial(address, graft=True)`` grafts
onto it, answering the node's challenge by signing with the client's own key
(the node checks that it is the key of the peer on the connection), and
``fn`` then gets the graft's results::

    async with wetnode.client.dial(address, graft=True) as remote:
        print(await remote.run(lambda caps: caps.executor.echo("hi")))
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from wetnode.errors import sole_exception
from wetnode.keys import NodeKey
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT
from wetnode.net.dial import Remote, open_remote, parse_peer_address
from wetnode.net.swarm import open_swarm
from wetnode.rpc.vat import open_vat

__all__ = ["Remote", "dial"]


@asynccontextmanager
async def dial(
    address: str, *, interface: Any = None, graft: bool = False, secret: bytes | None = None
) -> AsyncIterator[Remote]:
    """Connect to the node at ``address`` (a multiaddr ending in /p2p/PEER_ID).

    ``secret`` is the client's 32-byte secp256k1 key (a fresh one if None);
    with ``graft`` the export is grafted as a Membrane, signing with that key.
    Raises ``BadAddress`` for an unusable address and ``Unreachable`` when
    the peer cannot be reached; both are one-line ``NetError``s.  A single
    error from the block comes out unwrapped (see ``sole_exception``).
    """
    peer_id, transport = parse_peer_address(address)
    key = NodeKey(secret) if secret is not None else NodeKey.generate()
    try:
        async with (
            open_vat() as vat,
            open_swarm(key.libp2p_key_pair(), port=0, host="127.0.0.1") as swarm,
            open_remote(swarm, vat, peer_id, [transport], interface=interface) as remote,
        ):
            if graft:
                await remote.graft(lambda: SignerServer(GRAFT, key))
            yield remote
    except BaseExceptionGroup as group:
        raise sole_exception(group) from None
