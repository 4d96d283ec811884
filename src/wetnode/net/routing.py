"""Routing on the DHT: content (IPFS roots) and names (services guests announce).

Two kinds of key, both multihash bytes as the DHT takes them:

- content: a CID's multihash.  The node provides the roots it holds
  (`provide_pins`); bitswap finds the holder of a root it lacks through
  `DhtContentRouting`.
- names: `name_key`, the reference node's derivation, so a name means the
  same key to a Rust peer: CIDv1, raw codec, BLAKE3-256 of the name's UTF-8
  bytes.  Guests announce and find these (`membrane/servers/routing.py`).
"""

from __future__ import annotations

import base64
import logging

import blake3
import trio

from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.cid import Cid
from wetnode.net.dht import Dht, Provider

log = logging.getLogger(__name__)

BLAKE3_256 = 0x1E  # multicodec of the BLAKE3 multihash
RAW = 0x55
FIND_TIMEOUT = 5.0  # seconds bitswap waits for providers of a block
PROVIDERS_DIALLED = 4  # providers of one block bitswap connects to
REPROVIDE_INTERVAL = 600.0  # seconds between passes over the pins (new ones get provided)


def name_key(name: str) -> tuple[str, bytes]:
    """The key a service name stands for: (its CID text, the multihash the DHT takes)."""
    multihash = bytes([BLAKE3_256, 32]) + blake3.blake3(name.encode()).digest()
    cid = bytes([1, RAW]) + multihash
    return "b" + base64.b32encode(cid).decode().lower().rstrip("="), multihash


class DhtContentRouting:
    """bitswap's `Routing` on the DHT: providers of a block's multihash, connected to."""

    def __init__(self, dht: Dht) -> None:
        self._dht = dht

    async def connect_providers(self, cid: Cid) -> int:
        providers = await self._dht.find_within(cid.multihash, PROVIDERS_DIALLED, FIND_TIMEOUT)
        connected = 0

        async def connect(provider: Provider) -> None:
            nonlocal connected
            try:
                await self._dht.swarm.connect(provider.peer_id, provider.addrs)
            except Exception as exc:  # a provider that is gone: the others may do
                log.info("provider %s of %s: not reached (%s)", provider.peer_id, cid, exc)
            else:
                connected += 1

        async with trio.open_nursery() as nursery:
            for provider in providers:
                if provider.peer_id != self._dht.swarm.peer_id:
                    nursery.start_soon(connect, provider)
        return connected


async def provide_pins(
    ipfs: IpfsBackend, dht: Dht, *, interval: float = REPROVIDE_INTERVAL
) -> None:
    """Provide every pinned root (what `ww push` added, stem heads), now and each
    ``interval``: roots pinned since the last pass are provided then; the DHT
    itself re-provides the others before their records expire."""
    while True:
        for cid in await ipfs.pin_ls():
            if not dht.provides(cid.multihash):
                ok = await dht.provide(cid.multihash)
                log.info("providing %s on the DHT%s", cid, "" if ok else " (no peer took it yet)")
        await trio.sleep(interval)
