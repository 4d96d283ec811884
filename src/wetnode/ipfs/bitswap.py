"""Bitswap 1.2.0 on the node's libp2p host: blocks to and from Kubo, Helia and other nodes.

Our own client and server on py-libp2p's streams (its bundled bitswap
answered on the asker's stream and reset streams a peer half-closed, so
Helia and Kubo never got an answer).  As the spec and both of those do:

- each side writes only on streams it opened: one outbound stream per peer
  carries our wants *and* our answers to that peer's wants; every stream a
  peer opens to us is only read, until it ends, and never reset;
- which wants go where is `wantlist.Wantlist` (sans-IO), driven from here;
- a block is kept only if it was wanted (a peer cannot fill the disk), after
  our store checked it against its CID.

Every wait is bounded: content nobody serves becomes `ContentNotFound` after
``timeout`` seconds, or `ALONE_FOR` seconds when no peer is connected; opening
or writing a stream gives up after `STREAM_TIMEOUT`.

With a `Routing` (the node's DHT), a block no connected peer has sent after
`ROUTING_AFTER` seconds (at once when no peer is connected) is looked up
there: its providers are connected to and asked too.  Nodes provide the
roots of what they hold, so this finds the holder of an image by its root;
the rest of the DAG then comes from that peer like any other.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

import trio
from libp2p.abc import IHost, INetStream
from libp2p.custom_types import TProtocol
from libp2p.network.stream.exceptions import StreamEOF
from libp2p.peer.id import ID

from wetnode.codec import read_uvarint
from wetnode.config import DEFAULT_IPFS_TIMEOUT
from wetnode.ipfs.bitswap_message import (
    MAX_MESSAGE,
    Message,
    Presence,
    Want,
    WantType,
    decode,
    frame,
)
from wetnode.ipfs.blockstore import BlockStore
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.errors import ContentNotFound, IpfsError
from wetnode.ipfs.wantlist import Wantlist

log = logging.getLogger(__name__)

STREAM_TIMEOUT = 10.0
ALONE_FOR = 10.0  # a want with no peer connected for this long gives up
PEER_CHECK = 1.0  # how often a waiting want looks for connected peers
REFUSED_FOR = 30.0
V120, V110, V100 = (TProtocol(f"/ipfs/bitswap/{v}") for v in ("1.2.0", "1.1.0", "1.0.0"))
PROTOCOLS = [V120, V110, V100]
BLOCKS_PER_MESSAGE = 1024 * 1024  # bytes of blocks batched into one answer
OUTBOX = 64  # messages queued per peer before whoever queues waits (backpressure)
ROUTING_AFTER = 0.5  # seconds connected peers have before providers are looked up


class Routing(Protocol):
    """Where bitswap finds peers for a block nobody connected has (`net.routing`)."""

    async def connect_providers(self, cid: Cid) -> int:
        """Find providers of ``cid`` and connect to them (bounded); how many connected."""
        ...


class Bitswap:
    """Both sides of bitswap for one host, over one store; runs in ``nursery``."""

    def __init__(
        self, host: IHost, store: BlockStore, nursery: trio.Nursery, routing: Routing | None = None
    ) -> None:
        self._host = host
        self._routing = routing
        self._looking: set[Cid] = set()  # blocks whose providers are being looked up
        self._store = store
        self._nursery = nursery
        self._wants: Wantlist[ID] = Wantlist()
        self._arrived: dict[Cid, trio.Event] = {}
        self._waiters: defaultdict[Cid, int] = defaultdict(int)
        self._outboxes: dict[ID, trio.MemorySendChannel[Message]] = {}
        self._refused: dict[ID, float] = {}  # peer -> when it last refused a stream

    def start(self) -> None:
        for protocol in PROTOCOLS:
            self._host.set_stream_handler(protocol, self._read_peer)
        self._nursery.start_soon(self._resend_loop)

    def stop(self) -> None:
        for protocol in PROTOCOLS:
            self._host.remove_stream_handler(protocol)
        for outbox in self._outboxes.values():
            outbox.close()

    async def get(self, cid: Cid, timeout: float) -> bytes | None:
        """The block from a peer, kept in the store; None if none sent it in ``timeout``."""
        arrived = self._arrived.setdefault(cid, trio.Event())
        self._waiters[cid] += 1
        try:
            await self._send(self._wants.set_peers(self._peers()))
            await self._send(self._wants.want(cid, trio.current_time()))
            with trio.move_on_after(timeout):
                if self._routing is not None:
                    with trio.move_on_after(ROUTING_AFTER if self._peers() else 0):
                        await arrived.wait()
                    if not arrived.is_set() and cid not in self._looking:
                        self._nursery.start_soon(self._look_up, self._routing, cid)
                await self._wait_while_someone_may_send(arrived)
        finally:
            self._waiters[cid] -= 1
            if self._waiters[cid] == 0:  # the last one waiting: forget the want
                del self._waiters[cid]
                self._arrived.pop(cid, None)
                with trio.move_on_after(STREAM_TIMEOUT) as bound:
                    bound.shield = True
                    await self._send(self._wants.drop(cid))
        return await self._store.get(cid) if self._store.has(cid) else None

    async def _wait_while_someone_may_send(self, arrived: trio.Event) -> None:
        """Until the block arrives, or no peer has been connected for `ALONE_FOR` s.

        With nobody to ask (no `--peer`, none found yet) the full timeout
        would be half a minute of nothing; a peer that connects meanwhile
        gets the want from the resend loop.
        """
        alone_since: float | None = None
        while not arrived.is_set():
            with trio.move_on_after(PEER_CHECK):
                await arrived.wait()
            now = trio.current_time()
            if self.connected():
                alone_since = None
            elif alone_since is None:
                alone_since = now - PEER_CHECK
            elif now - alone_since >= ALONE_FOR:
                return

    async def _look_up(self, routing: Routing, cid: Cid) -> None:
        """Connect to providers of ``cid`` and send them our wants."""
        self._looking.add(cid)
        try:
            found = await routing.connect_providers(cid)
        finally:
            self._looking.discard(cid)
        log.info("bitswap: %s: connected to %d provider(s) found by routing", cid, found)
        if found and cid in self._wants:
            await self._send(self._wants.set_peers(self._peers()))

    def _peers(self) -> list[ID]:
        return [p for p in self._host.get_connected_peers() if not self._refusing(p)]

    def connected(self) -> bool:
        """Whether any peer is connected (one that may serve a want)."""
        return bool(self._host.get_connected_peers())

    def _refusing(self, peer: ID) -> bool:
        """A peer that refused a bitswap stream is left alone for `REFUSED_FOR` seconds
        (it may not speak bitswap; or it was busy, so it is asked again later)."""
        refused = self._refused.get(peer)
        return refused is not None and trio.current_time() - refused < REFUSED_FOR

    async def _resend_loop(self) -> None:
        """A clock for `Wantlist.tick`: wants nobody answered are asked again."""
        while True:
            await trio.sleep(self._wants.resend_after / 3)
            if len(self._wants):
                now = trio.current_time()
                await self._send(self._wants.set_peers(self._peers()))
                await self._send(self._wants.tick(now))

    # --- reading what peers send (on streams they opened) -----------------------

    async def _read_peer(self, stream: INetStream) -> None:
        peer = stream.muxed_conn.peer_id
        try:
            async for body in _frames(stream):
                message, bare = decode(body)
                await self._received(peer, message, bare)
        except (IpfsError, ValueError) as exc:
            log.info("bitswap: ending the stream from %s: %s", peer, exc)
        except Exception as exc:  # a stream that failed: the peer's to reopen
            log.debug("bitswap: stream from %s ended: %s", peer, exc)
        finally:
            with trio.move_on_after(STREAM_TIMEOUT) as bound:
                bound.shield = True
                try:
                    await stream.close()
                except Exception as exc:
                    log.debug("bitswap: closing the stream from %s: %s", peer, exc)

    async def _received(self, peer: ID, message: Message, bare: list[bytes]) -> None:
        blocks = message.blocks + self._match_bare(bare)
        for cid, data in blocks:
            if cid not in self._wants:
                log.info("bitswap: %s sent block %s nobody asked for: dropped", peer, cid)
                continue
            await self._store.put(cid, data)  # checks it against its CID
            await self._send(self._wants.on_block(peer, cid))
            if (arrived := self._arrived.get(cid)) is not None:
                arrived.set()
        for cid, presence in message.presences:
            await self._send(self._wants.on_presence(peer, cid, presence))
        if message.wants:
            await self._answer(peer, message.wants)

    def _match_bare(self, bare: list[bytes]) -> list[tuple[Cid, bytes]]:
        """1.0.0 blocks carry no CID: match each to a want by its hash."""
        if not bare:
            return []
        by_digest = {cid.digest: cid for cid in self._wants.wanted()}
        found = [(by_digest.get(hashlib.sha256(data).digest()), data) for data in bare]
        return [(cid, data) for cid, data in found if cid is not None]

    # --- answering a peer's wants (on our stream to it) -------------------------

    async def _answer(self, peer: ID, wants: Iterable[Want]) -> None:
        answer = Message()
        size = 0
        for want in wants:
            if want.cancel:
                continue  # answered at once, so nothing of ours is queued to cancel
            data = await self._local(want.cid)
            if data is None:
                if want.send_dont_have:
                    answer.presences.append((want.cid, Presence.DONT_HAVE))
            elif want.want_type == WantType.HAVE:
                answer.presences.append((want.cid, Presence.HAVE))
            else:
                if size and size + len(data) > BLOCKS_PER_MESSAGE:
                    await self._queue(peer, answer)
                    answer, size = Message(), 0
                answer.blocks.append((want.cid, data))
                size += len(data)
        await self._queue(peer, answer)

    async def _local(self, cid: Cid) -> bytes | None:
        if not self._store.has(cid):
            return None
        try:
            return await self._store.get(cid)
        except IpfsError as exc:  # a damaged local block is not served
            log.warning("bitswap: not serving %s: %s", cid, exc)
            return None

    # --- writing (one stream we open per peer) ---------------------------------

    async def _send(self, wants: list[tuple[ID, Want]]) -> None:
        by_peer: defaultdict[ID, list[Want]] = defaultdict(list)
        for peer, want in wants:
            by_peer[peer].append(want)
        for peer, peer_wants in by_peer.items():
            await self._queue(peer, Message(wants=peer_wants))

    async def _queue(self, peer: ID, message: Message) -> None:
        if not message or self._refusing(peer):
            return
        outbox = self._outboxes.get(peer)
        if outbox is None:
            outbox, inbox = trio.open_memory_channel[Message](OUTBOX)
            self._outboxes[peer] = outbox
            self._nursery.start_soon(self._write_peer, peer, inbox)
        try:
            await outbox.send(message)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            log.debug("bitswap: %s's outbox closed; message dropped", peer)

    async def _write_peer(self, peer: ID, inbox: trio.MemoryReceiveChannel[Message]) -> None:
        """Our stream to ``peer``: opened on the first message, reopened once after a failure."""
        stream: INetStream | None = None
        try:
            async with inbox:
                async for message in inbox:
                    for _attempt in range(2):
                        if stream is None:
                            stream = await self._open(peer)
                            if stream is None:
                                return
                        try:
                            with trio.fail_after(STREAM_TIMEOUT):
                                await stream.write(frame(message, v100=_is_v100(stream)))
                            break
                        except Exception as exc:
                            log.debug("bitswap: writing to %s failed: %s", peer, exc)
                            await _close(stream)
                            stream = None
        finally:
            self._outboxes.pop(peer, None)
            if stream is not None:
                await _close(stream)

    async def _open(self, peer: ID) -> INetStream | None:
        try:
            with trio.fail_after(STREAM_TIMEOUT):
                return await self._host.new_stream(peer, PROTOCOLS)
        except Exception as exc:
            log.info("bitswap: %s does not take a bitswap stream: %s", peer, exc)
            self._refused[peer] = trio.current_time()
            return None


def _is_v100(stream: INetStream) -> bool:
    return stream.get_protocol() == V100


async def _close(stream: INetStream) -> None:
    with trio.move_on_after(STREAM_TIMEOUT) as bound:
        bound.shield = True
        try:
            await stream.close()
        except Exception as exc:
            log.debug("bitswap: closing a stream: %s", exc)


async def _frames(stream: INetStream) -> AsyncIterator[bytes]:
    """Length-prefixed message bodies until the peer ends the stream."""
    buf = bytearray()
    while True:
        try:
            length, start = read_uvarint(bytes(buf[:10]), 0)
        except ValueError:
            length = -1
        if length > MAX_MESSAGE:
            raise ValueError(f"bitswap message of {length} bytes is over {MAX_MESSAGE}")
        if length >= 0 and len(buf) >= start + length:
            yield bytes(buf[start : start + length])
            del buf[: start + length]
            continue
        try:
            chunk = await stream.read(65536)
        except StreamEOF:
            return
        if not chunk:
            return
        buf += chunk


class BitswapBlocks:
    """`Blocks`: the local store first, then connected peers, bounded by ``timeout``."""

    def __init__(self, store: BlockStore, bitswap: Bitswap, timeout: float) -> None:
        self._store = store
        self._bitswap = bitswap
        self._timeout = timeout

    async def get(self, cid: Cid) -> bytes:
        if self._store.has(cid):
            return await self._store.get(cid)
        data = await self._bitswap.get(cid, self._timeout)
        if data is None and not self._bitswap.connected():
            raise ContentNotFound(
                f"block {cid} is not in this node's store and no peer is connected to fetch "
                "it from; add it first (`ww push` with the same WW_HOME), or pass --peer of a "
                "node that has it (or use --ipfs-api)"
            )
        if data is None:
            raise ContentNotFound(
                f"block {cid} was not found within {self._timeout:g}s: no peer served it; "
                "connect to a node that has it (--peer), join a DHT where it is provided "
                "(--bootstrap), or use --ipfs-api"
            )
        return data

    async def put(self, cid: Cid, block: bytes) -> None:
        await self._store.put(cid, block)


class BitswapBackend(EmbeddedBackend):
    """The embedded backend, plus fetching what it lacks from peers."""

    def __init__(self, bitswap: Bitswap, root: Path | None, timeout: float) -> None:
        super().__init__(root)
        self.blocks = BitswapBlocks(self.store, bitswap, timeout)
        self.name = f"embedded block store with bitswap at {self.store.root.parent}"


@asynccontextmanager
async def open_bitswap(
    host: IHost,
    root: Path | None = None,
    *,
    timeout: float = DEFAULT_IPFS_TIMEOUT,
    routing: Routing | None = None,
) -> AsyncIterator[BitswapBackend]:
    """Serve and fetch blocks over ``host`` (already running) for the block's lifetime,
    finding more peers through ``routing`` if given."""
    store = EmbeddedBackend(root).store
    async with trio.open_nursery() as nursery:
        bitswap = Bitswap(host, store, nursery, routing)
        bitswap.start()
        try:
            yield BitswapBackend(bitswap, root, timeout)
        finally:
            bitswap.stop()
            nursery.cancel_scope.cancel()
