"""Routing on the DHT: content (IPFS roots) and names (services guests announce).

Two kinds of key, both multihash bytes as the DHT takes them:

- content: a CID's multihash.  The node provides the roots it holds
  (`PinProvider`); bitswap finds the holder of a root it lacks through
  `DhtContentRouting`.
- names: `name_key`, the reference node's derivation, so a name means the
  same key to a Rust peer: CIDv1, raw codec, BLAKE3-256 of the name's UTF-8
  bytes.  Guests announce and find these (`membrane/servers/routing.py`).
"""

from __future__ import annotations

import base64
import logging
from collections import Counter

import blake3
import trio

from wetnode.codec import b58decode, read_uvarint
from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.cid import Cid
from wetnode.membrane.ports import PeerInfo
from wetnode.net.dht import Dht, Provider

log = logging.getLogger(__name__)

BLAKE3_256 = 0x1E  # multicodec of the BLAKE3 multihash
RAW = 0x55
FIND_TIMEOUT = 5.0  # seconds bitswap waits for providers of a block
PROVIDERS_DIALLED = 4  # providers of one block bitswap connects to
REPROVIDE_INTERVAL = 600.0  # seconds between passes over the pins (new ones get provided)
GUEST_FIND_TIMEOUT = 10.0  # the one deadline of a guest's Finder.find


def data_key(data: bytes) -> tuple[str, bytes]:
    """The key ``data`` stands for: (its CID text, the multihash the DHT takes)."""
    multihash = bytes([BLAKE3_256, 32]) + blake3.blake3(data).digest()
    cid = bytes([1, RAW]) + multihash
    return "b" + base64.b32encode(cid).decode().lower().rstrip("="), multihash


def name_key(name: str) -> tuple[str, bytes]:
    """The key a service name stands for: `data_key` of its UTF-8 bytes."""
    return data_key(name.encode())


def key_multihash(text: str) -> bytes:
    """The multihash of a key given as CID text (CIDv1 base32 ``b...``, or CIDv0 ``Qm...``)."""
    text = text.strip()
    try:
        if text.startswith("Qm"):
            return b58decode(text)
        if text.startswith("b"):
            raw = base64.b32decode(text[1:].upper() + "=" * (-len(text[1:]) % 8))
            version, pos = read_uvarint(raw, 0)
            _codec, pos = read_uvarint(raw, pos)
            if version == 1 and len(raw) > pos + 2 and raw[pos + 1] == len(raw) - pos - 2:
                return raw[pos:]
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a key: expected a CID (b... or Qm...), e.g. from hash")


class DhtRouting:
    """The membrane's `Routing` port on the DHT: guests' finds and announcements.

    An announcement lasts while the guest that made it is there: each one
    holds the key until its ``until`` is set, and the last holder's going
    withdraws it (two guests may announce one name).
    """

    def __init__(self, dht: Dht, nursery: trio.Nursery) -> None:
        self._dht = dht
        self._nursery = nursery
        self._holders: Counter[bytes] = Counter()

    def hash(self, data: bytes) -> str:
        return data_key(data)[0]

    async def find(self, key: str, count: int, until: trio.Event) -> list[PeerInfo]:
        multihash = key_multihash(key)
        found: list[Provider] = []
        async with trio.open_nursery() as nursery:

            async def search() -> None:
                found.extend(
                    await self._dht.find_within(multihash, count, GUEST_FIND_TIMEOUT, confirm=True)
                )
                nursery.cancel_scope.cancel()

            async def watch() -> None:
                await until.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(search)
            nursery.start_soon(watch)
        return [PeerInfo(p.peer_id.to_bytes(), tuple(a.to_bytes() for a in p.addrs)) for p in found]

    async def provide(self, key: str, until: trio.Event) -> None:
        multihash = key_multihash(key)
        self._holders[multihash] += 1
        self._nursery.start_soon(self._withdraw_when, until, multihash)
        await self._dht.provide(multihash)

    async def _withdraw_when(self, until: trio.Event, multihash: bytes) -> None:
        try:
            await until.wait()
        finally:
            self._holders[multihash] -= 1
            if self._holders[multihash] <= 0:
                del self._holders[multihash]
                self._dht.withdraw(multihash)
                log.info("withdrew the announcement of %s", multihash.hex())


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


class PinProvider:
    """Provides every pinned root (what `ww push` added, stem heads) on the DHT.

    A pass runs at start, every ``interval``, and at once after `wake`: the
    node wakes it when an epoch advances, so the new head is findable as soon
    as the node runs it, not up to ``interval`` later.  Each pass provides the
    roots pinned since the last one, and those no peer took then (no peer
    yet); the DHT itself re-provides the rest before their records expire.
    """

    def __init__(
        self, ipfs: IpfsBackend, dht: Dht, *, interval: float = REPROVIDE_INTERVAL
    ) -> None:
        self._ipfs = ipfs
        self._dht = dht
        self._interval = interval
        self._woken = trio.Event()

    def wake(self) -> None:
        """Run a pass now (or right after the one running: it may have listed the pins
        before the newest was added)."""
        self._woken.set()

    async def run(self) -> None:
        """Provide passes until cancelled."""
        taken: set[bytes] = set()  # roots some peer took a record of
        while True:
            self._woken = trio.Event()
            await self._provide_new(taken)
            with trio.move_on_after(self._interval):
                await self._woken.wait()

    async def _provide_new(self, taken: set[bytes]) -> None:
        for cid in await self._ipfs.pin_ls():
            if cid.multihash in taken:
                continue
            ok = await self._dht.provide(cid.multihash)
            log.info("providing %s on the DHT%s", cid, "" if ok else " (no peer took it yet)")
            if ok:
                taken.add(cid.multihash)
