"""Reading UnixFS DAGs: resolve `/ipfs/<cid>/sub/path`, cat files, list and export directories.

Every block comes through `Blocks.get`, which verifies it, so whatever served
the blocks is not trusted.  Names and symlink targets from a DAG are checked
before anything touches the local file system: an entry named `..` or a
symlink pointing outside the exported tree is refused.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import trio

from wetnode.ipfs import hamt
from wetnode.ipfs.blocks import Blocks
from wetnode.ipfs.cid import DAG_PB, RAW, Cid
from wetnode.ipfs.dagpb import Link, Node
from wetnode.ipfs.errors import CorruptBlock, IpfsError, PathNotFound
from wetnode.ipfs.importer import Progress
from wetnode.ipfs.paths import split_path
from wetnode.ipfs.unixfs import Kind, UnixFSData

log = logging.getLogger(__name__)

BATCH = 16  # blocks fetched concurrently while reading a node's links
MAX_DEPTH = 128  # nesting refused beyond this (files need ~4 levels for a TiB)

EntryType = Literal["file", "directory", "symlink"]


@dataclass(frozen=True)
class Entry:
    """One directory entry, shaped like the `UnixFS.Entry` capnp struct."""

    name: str
    size: int  # content bytes for files and symlinks, 0 for directories
    type: EntryType
    cid: bytes  # binary CID


@dataclass(frozen=True)
class Loaded:
    cid: Cid
    node: Node  # for a raw block: no links, the bytes as data
    fs: UnixFSData

    @property
    def type(self) -> EntryType:
        if self.fs.kind == Kind.DIRECTORY:
            return "directory"
        if self.fs.kind == Kind.SYMLINK:
            return "symlink"
        return "file"


async def load(blocks: Blocks, cid: Cid) -> Loaded:
    """The node at ``cid``; a HAMT-sharded directory comes back as the plain
    directory it stands for (every entry, through its sub-shards)."""
    node, fs = await _decode(blocks, cid)
    if fs.kind == Kind.HAMT_SHARD:
        links = await hamt.entries(node, fs, cid, partial(_decode, blocks))
        return Loaded(cid, Node(tuple(links), node.data), UnixFSData.directory())
    return Loaded(cid, node, fs)


async def _decode(blocks: Blocks, cid: Cid) -> tuple[Node, UnixFSData]:
    block = await blocks.get(cid)
    if cid.codec == RAW:
        return Node((), block), UnixFSData(Kind.RAW, block, len(block))
    assert cid.codec == DAG_PB
    node = Node.decode(block, cid)
    try:
        return node, UnixFSData.decode(node.data or b"")
    except ValueError as exc:
        raise CorruptBlock(f"block {cid} carries no valid UnixFS data: {exc}") from None


async def load_links(blocks: Blocks, links: Sequence[Link]) -> AsyncIterator[Loaded]:
    """The linked nodes in order, fetched BATCH at a time concurrently.

    A remote backend answers one block per round trip; overlapping them is
    what makes fetching a tree from a daemon fast.  Batches (not an unbounded
    fan-out) cap memory at BATCH blocks.  A failed fetch is kept as a value
    and raised in link order, so callers see the plain `IpfsError`, not an
    exception group from the nursery.
    """
    for start in range(0, len(links), BATCH):
        batch = links[start : start + BATCH]
        results: list[Loaded | IpfsError | None] = [None] * len(batch)
        async with trio.open_nursery() as nursery:
            for i, link in enumerate(batch):
                nursery.start_soon(_load_into, blocks, link.cid, results, i)
        for result in results:
            if isinstance(result, IpfsError):
                raise result
            assert result is not None
            yield result


async def _load_into(
    blocks: Blocks, cid: Cid, out: list[Loaded | IpfsError | None], i: int
) -> None:
    try:
        out[i] = await load(blocks, cid)
    except IpfsError as exc:
        out[i] = exc


async def resolve(blocks: Blocks, path: str) -> Loaded:
    """The node at an IPFS path, walking directory links one segment at a time."""
    root, segments = split_path(path)
    current = await load(blocks, root)
    walked = f"/ipfs/{root}"
    for segment in segments:
        if current.fs.kind != Kind.DIRECTORY:
            raise PathNotFound(f"{walked} is a {current.type}, so {path} does not exist")
        link = next((lk for lk in current.node.links if lk.name == segment), None)
        if link is None:
            raise PathNotFound(f"no entry {segment!r} in {walked}; check the path ({path})")
        current = await load(blocks, link.cid)
        walked += f"/{segment}"
    return current


async def file_chunks(blocks: Blocks, loaded: Loaded, depth: int = 0) -> AsyncIterator[bytes]:
    """The file's content in order, depth first through its chunk links."""
    if loaded.fs.kind == Kind.DIRECTORY:
        raise PathNotFound(f"/ipfs/{loaded.cid} is a directory, not a file; use ls")
    _check_depth(depth, loaded.cid)
    if loaded.fs.data:
        yield loaded.fs.data
    async for child in load_links(blocks, loaded.node.links):
        async for chunk in file_chunks(blocks, child, depth + 1):
            yield chunk


def _check_depth(depth: int, cid: Cid) -> None:
    """A hostile DAG could nest without end; real ones stay far below MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise CorruptBlock(f"{cid} is nested more than {MAX_DEPTH} levels deep; refusing it")


async def cat(blocks: Blocks, path: str) -> bytes:
    loaded = await resolve(blocks, path)
    return b"".join([chunk async for chunk in file_chunks(blocks, loaded)])


async def ls(blocks: Blocks, path: str) -> list[Entry]:
    loaded = await resolve(blocks, path)
    if loaded.fs.kind != Kind.DIRECTORY:
        raise PathNotFound(f"{path} is a {loaded.type}, not a directory; use cat")
    entries = []
    children = load_links(blocks, loaded.node.links)
    for link in loaded.node.links:
        child = await anext(children)
        size = 0 if child.fs.kind == Kind.DIRECTORY else child.fs.size
        entries.append(Entry(link.name, size, child.type, link.cid.to_bytes()))
    return entries


async def export(blocks: Blocks, path: str, dest: Path, progress: Progress | None = None) -> None:
    """Materialise the file, symlink or directory tree at ``path`` as ``dest`` (must not exist)."""
    await _export(blocks, await resolve(blocks, path), dest, dest, progress, 0)


async def _export(
    blocks: Blocks,
    loaded: Loaded,
    dest: Path,
    top: Path,
    progress: Progress | None,
    depth: int,
) -> None:
    _check_depth(depth, loaded.cid)
    if loaded.fs.kind == Kind.DIRECTORY:
        dest.mkdir()
        for link in loaded.node.links:
            _check_name(link.name, loaded.cid)
        children = load_links(blocks, loaded.node.links)
        for link in loaded.node.links:
            child = await anext(children)
            await _export(blocks, child, dest / link.name, top, progress, depth + 1)
    elif loaded.fs.kind == Kind.SYMLINK:
        target = loaded.fs.data.decode(errors="replace")
        _check_symlink(target, dest, top, loaded.cid)
        dest.symlink_to(target)
    else:
        with open(dest, "xb") as out:
            async for chunk in file_chunks(blocks, loaded):
                out.write(chunk)
                if progress is not None:
                    progress(len(chunk))


def _check_name(name: str, parent: Cid) -> None:
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise CorruptBlock(f"directory {parent} has an unsafe entry name {name!r}; refusing it")


def _check_symlink(target: str, link: Path, top: Path, cid: Cid) -> None:
    """Only relative targets that stay inside the exported tree."""
    inside = posixpath.normpath(posixpath.join(link.parent.relative_to(top).as_posix(), target))
    if os.path.isabs(target) or inside == ".." or inside.startswith("../"):
        raise CorruptBlock(
            f"symlink {cid} points outside the tree ({target!r}); refusing to export it"
        )
