"""Files and directory trees into UnixFS DAGs, the way `ipfs add -r` builds them by default.

Defaults matched: CIDv0, dag-pb leaves (no raw leaves), fixed 256 KiB chunks,
balanced layout with at most 174 links per node, directories as plain
UnixFS directories with links sorted by name until their links pass 256 KiB,
then as HAMT shards (`hamt`), hidden entries
(names starting with '.') skipped, symlinks stored as UnixFS symlinks and
never followed.  Same input, same CID as go-ipfs/Kubo and js-ipfs.
"""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wetnode.ipfs import hamt
from wetnode.ipfs.blocks import Blocks
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.dagpb import Link, Node
from wetnode.ipfs.errors import IpfsError
from wetnode.ipfs.unixfs import UnixFSData

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
MAX_LINKS = 174

Progress = Callable[[int], None]
"""Called with the number of content bytes just imported."""


@dataclass(frozen=True)
class Added:
    cid: Cid
    tsize: int  # serialized size of the whole sub-DAG (what parent links record)
    size: int  # content bytes (what a parent file's blocksizes record)


async def _store(blocks: Blocks, node: Node, child_tsize: int, size: int) -> Added:
    block = node.encode()
    cid = Cid.of_block(block)
    await blocks.put(cid, block)
    return Added(cid, len(block) + child_tsize, size)


async def _leaf(blocks: Blocks, chunk: bytes) -> Added:
    return await _store(blocks, Node((), UnixFSData.file(chunk).encode()), 0, len(chunk))


async def _parent(blocks: Blocks, children: list[Added]) -> Added:
    links = tuple(Link(c.cid, "", c.tsize) for c in children)
    data = UnixFSData.file(b"", tuple(c.size for c in children))
    return await _store(
        blocks, Node(links, data.encode()), sum(c.tsize for c in children), data.size
    )


def _read_chunk(stream: BinaryIO) -> bytes:
    """Exactly CHUNK_SIZE bytes unless the stream ends first (short reads are refilled)."""
    chunk = stream.read(CHUNK_SIZE)
    while chunk and len(chunk) < CHUNK_SIZE:
        more = stream.read(CHUNK_SIZE - len(chunk))
        if not more:
            break
        chunk += more
    return chunk


async def add_stream(blocks: Blocks, stream: BinaryIO, progress: Progress | None = None) -> Added:
    """One file: fixed-size chunks, then a balanced tree of parents, bottom up.

    Grouping each level in runs of 174 gives exactly the balanced builder's
    shape: every subtree full except the last, all leaves at one depth, and a
    single chunk is its own root.
    """
    level: list[Added] = []
    while chunk := _read_chunk(stream):
        level.append(await _leaf(blocks, chunk))
        if progress is not None:
            progress(len(chunk))
    if not level:
        level.append(await _leaf(blocks, b""))
    while len(level) > 1:
        level = [
            await _parent(blocks, level[i : i + MAX_LINKS]) for i in range(0, len(level), MAX_LINKS)
        ]
    return level[0]


async def add_bytes(blocks: Blocks, data: bytes) -> Added:
    return await add_stream(blocks, io.BytesIO(data))


async def add_directory(blocks: Blocks, entries: dict[str, Added]) -> Added:
    """A plain directory node, or a HAMT shard once its links pass Kubo's threshold."""
    links = tuple(Link(entries[name].cid, name, entries[name].tsize) for name in _sorted(entries))
    if hamt.should_shard(links):

        async def store(node: Node, child_tsize: int) -> tuple[Cid, int]:
            added = await _store(blocks, node, child_tsize, 0)
            return added.cid, added.tsize

        cid, tsize = await hamt.build(links, store)
        return Added(cid, tsize, 0)
    node = Node(links, UnixFSData.directory().encode())
    return await _store(blocks, node, sum(link.tsize for link in links), 0)


def _sorted(names: dict[str, Added]) -> list[str]:
    return sorted(names, key=lambda name: name.encode())


async def add_path(
    blocks: Blocks, path: Path, *, hidden: bool = False, progress: Progress | None = None
) -> Added:
    """A file, symlink or directory tree (recursively), as `ipfs add -r` would.

    Every name is checked before the first block is written, so a tree that
    cannot be added leaves nothing behind in the store.
    """
    _check_names(path, hidden)
    return await _add(blocks, path, hidden, progress)


def _check_names(path: Path, hidden: bool) -> None:
    """UnixFS names are UTF-8 (Kubo refuses others too): name the first that is not."""
    for parent, dirs, files in os.walk(path):
        dirs[:] = [name for name in dirs if hidden or not name.startswith(".")]
        for name in [*dirs, *files]:
            try:
                name.encode()
            except UnicodeEncodeError:
                shown = os.fsencode(os.path.join(parent, name)).decode(errors="backslashreplace")
                raise IpfsError(
                    f"cannot add {shown}: its name is not valid UTF-8, which IPFS "
                    "requires; rename it"
                ) from None


async def _add(blocks: Blocks, path: Path, hidden: bool, progress: Progress | None) -> Added:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        data = UnixFSData.symlink(os.readlink(path))
        return await _store(blocks, Node((), data.encode()), 0, data.size)
    if stat.S_ISREG(info.st_mode):
        with open(path, "rb") as stream:
            return await add_stream(blocks, stream, progress)
    if stat.S_ISDIR(info.st_mode):
        entries: dict[str, Added] = {}
        for child in sorted(os.listdir(path)):
            if child.startswith(".") and not hidden:
                log.debug("skipping hidden entry %s", path / child)
                continue
            entries[child] = await _add(blocks, path / child, hidden, progress)
        return await add_directory(blocks, entries)
    raise IpfsError(f"cannot add {path}: only regular files, directories and symlinks can be added")
