"""HAMT-sharded UnixFS directories (type `HAMTShard`), written and read as Kubo does.

A directory whose links would pass `SHARD_THRESHOLD` bytes (the
"links-bytes" estimate: name bytes + CID bytes per link, Kubo's and
ipfs-unixfs-importer's `unixfs-v0-2015` rule) is stored as a hash trie
instead of one node: each entry name is hashed with murmur3-x64-64, and each
level of the trie uses the next 8 bits of the hash (fanout 256).  A shard
node's links are named by the slot in two upper-case hex digits, followed by
the entry name for an entry, alone for a sub-shard; its UnixFS `Data` is a
bitfield of the slots in use (big-endian, leading zero bytes dropped).
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from wetnode.ipfs.cid import Cid
from wetnode.ipfs.dagpb import Link, Node
from wetnode.ipfs.errors import CorruptBlock
from wetnode.ipfs.unixfs import Kind, UnixFSData

SHARD_THRESHOLD = 256 * 1024
FANOUT = 256
MURMUR3_X64_64 = 0x22
_PREFIX = 2  # hex digits of a slot (fanout 256)
_MASK = (1 << 64) - 1


def should_shard(links: Sequence[Link]) -> bool:
    """Kubo's rule: shard once name bytes + CID bytes of all links pass the threshold."""
    return sum(len(link.name.encode()) + len(link.cid.to_bytes()) for link in links) > (
        SHARD_THRESHOLD
    )


def murmur3_x64_64(data: bytes) -> bytes:
    """h1 of MurmurHash3 x64 128 (seed 0), big-endian: shard levels take its bytes in order."""
    c1, c2 = 0x87C37B91114253D5, 0x4CF5AD432745937F
    h1 = h2 = 0
    whole = len(data) // 16 * 16
    for k1, k2 in struct.iter_unpack("<QQ", data[:whole]):
        h1 ^= _rotl(k1 * c1 & _MASK, 31) * c2 & _MASK
        h1 = (_rotl(h1, 27) + h2) * 5 + 0x52DCE729 & _MASK
        h2 ^= _rotl(k2 * c2 & _MASK, 33) * c1 & _MASK
        h2 = (_rotl(h2, 31) + h1) * 5 + 0x38495AB5 & _MASK
    tail = data[whole:]
    if len(tail) > 8:
        h2 ^= _rotl(int.from_bytes(tail[8:], "little") * c2 & _MASK, 33) * c1 & _MASK
    if tail:
        h1 ^= _rotl(int.from_bytes(tail[:8], "little") * c1 & _MASK, 31) * c2 & _MASK
    h1 ^= len(data)
    h2 ^= len(data)
    h1 = h1 + h2 & _MASK
    h2 = h2 + h1 & _MASK
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = h1 + h2 & _MASK
    return h1.to_bytes(8, "big")


def _rotl(x: int, r: int) -> int:
    return (x << r | x >> (64 - r)) & _MASK


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = k * 0xFF51AFD7ED558CCD & _MASK
    k ^= k >> 33
    k = k * 0xC4CEB9FE1A85EC53 & _MASK
    return k ^ k >> 33


# --- writing ---------------------------------------------------------------------


@dataclass
class _Bucket:
    depth: int
    slots: dict[int, _Bucket | tuple[bytes, Link]] = field(default_factory=dict)

    def put(self, digest: bytes, link: Link) -> None:
        if self.depth >= len(digest):
            raise ValueError(f"entry {link.name!r}: its whole hash collides with another's")
        slot = digest[self.depth]
        held = self.slots.get(slot)
        if held is None:
            self.slots[slot] = (digest, link)
        elif isinstance(held, _Bucket):
            held.put(digest, link)
        else:
            deeper = _Bucket(self.depth + 1)
            deeper.put(*held)
            deeper.put(digest, link)
            self.slots[slot] = deeper


Store = Callable[[Node, int], Awaitable[tuple[Cid, int]]]
"""Stores a node whose children's DAGs weigh ``int`` bytes: its CID and total DAG size."""


async def build(links: Sequence[Link], store: Store) -> tuple[Cid, int]:
    """The root shard of a directory with these entry ``links`` (names are entry names)."""
    root = _Bucket(0)
    for link in links:
        root.put(murmur3_x64_64(link.name.encode()), link)
    return await _write(root, store)


async def _write(bucket: _Bucket, store: Store) -> tuple[Cid, int]:
    links: list[Link] = []
    for slot in sorted(bucket.slots):
        label = f"{slot:0{_PREFIX}X}"
        held = bucket.slots[slot]
        if isinstance(held, _Bucket):
            cid, tsize = await _write(held, store)
            links.append(Link(cid, label, tsize))
        else:
            _, entry = held
            links.append(Link(entry.cid, label + entry.name, entry.tsize))
    bits = sum(1 << slot for slot in bucket.slots)
    bitfield = bits.to_bytes(max(1, (bits.bit_length() + 7) // 8), "big")
    data = UnixFSData(Kind.HAMT_SHARD, bitfield, fanout=FANOUT, hash_type=MURMUR3_X64_64)
    return await store(Node(tuple(links), data.encode()), sum(link.tsize for link in links))


# --- reading ---------------------------------------------------------------------


Load = Callable[[Cid], Awaitable[tuple[Node, UnixFSData]]]


async def entries(node: Node, fs: UnixFSData, cid: Cid, load: Load) -> list[Link]:
    """The directory's entries (names without slot prefixes), through every sub-shard."""
    if fs.fanout != FANOUT or fs.hash_type != MURMUR3_X64_64:
        raise CorruptBlock(
            f"{cid} is a HAMT shard with fanout {fs.fanout} and hash 0x{fs.hash_type or 0:x}; "
            f"only fanout {FANOUT} with murmur3-x64-64 (Kubo's) is read"
        )
    out: list[Link] = []
    for link in node.links:
        if len(link.name) < _PREFIX:
            raise CorruptBlock(f"{cid} is a HAMT shard with a link named {link.name!r}")
        if len(link.name) > _PREFIX:
            out.append(Link(link.cid, link.name[_PREFIX:], link.tsize))
            continue
        child, child_fs = await load(link.cid)
        if child_fs.kind != Kind.HAMT_SHARD:
            raise CorruptBlock(f"{cid}: sub-shard {link.name} ({link.cid}) is not a HAMT shard")
        out += await entries(child, child_fs, link.cid, load)
    return sorted(out, key=lambda link: link.name.encode())
