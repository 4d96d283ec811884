"""Reading UnixFS DAGs: resolve `/ipfs/<cid>/sub/path`, cat files, list and export directories.

Every block comes through `Blocks.get`, which verifies it, so whatever served
the blocks is not trusted.  Names and symlink targets from a DAG are checked
before anything touches the local file system: an entry named `..`, two
entries of one name, a name too long for a file system, or a symlink pointing
outside the exported tree is refused.  Symlinks are checked once more after
the whole tree is written, on the real files, because a chain of symlinks that
each look inside (`d/up -> ..`, then `x -> d/up/../secret`) can still lead out.
An export counts against a `LayerBudget`: sizes a DAG states are never trusted.
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

from wetnode.errors import WetnodeError
from wetnode.image.names import printable
from wetnode.ipfs import hamt
from wetnode.ipfs.blocks import Blocks
from wetnode.ipfs.budget import ResultBudget
from wetnode.ipfs.cid import DAG_PB, RAW, Cid
from wetnode.ipfs.dagpb import Link, Node
from wetnode.ipfs.errors import CorruptBlock, IpfsError, PathNotFound, TooLarge
from wetnode.ipfs.importer import Progress
from wetnode.ipfs.paths import split_path
from wetnode.ipfs.unixfs import Kind, UnixFSData
from wetnode.layer_limits import DEFAULT_LIMITS, LayerBudget

log = logging.getLogger(__name__)

BATCH = 16  # blocks fetched concurrently while reading a node's links
MAX_DEPTH = 128  # nesting refused beyond this (files need ~4 levels for a TiB)
MAX_NAME = 255  # bytes in one entry name: what Linux file systems take
CAT_MAX = (1 << 29) - 1  # bytes: the most one Cap'n Proto Data field (a cat's result) holds

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
    and raised in link order, so callers see the plain `IpfsError` (or the
    layer limit a block broke), not an exception group from the nursery.
    """
    for start in range(0, len(links), BATCH):
        batch = links[start : start + BATCH]
        results: list[Loaded | WetnodeError | None] = [None] * len(batch)
        async with trio.open_nursery() as nursery:
            for i, link in enumerate(batch):
                nursery.start_soon(_load_into, blocks, link.cid, results, i)
        for result in results:
            if isinstance(result, WetnodeError):
                raise result
            assert result is not None
            yield result


async def _load_into(
    blocks: Blocks, cid: Cid, out: list[Loaded | WetnodeError | None], i: int
) -> None:
    try:
        out[i] = await load(blocks, cid)
    except WetnodeError as exc:  # an IpfsError, or a layer limit (ImageError)
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


async def cat(
    blocks: Blocks, path: str, max_bytes: int = CAT_MAX, budget: ResultBudget | None = None
) -> bytes:
    """The file's bytes in one piece, at most ``max_bytes`` of them, counted in ``budget``
    (the caller's) while they are read.

    A DAG of a few KiB can link one chunk a million times, so the bytes are
    counted as they are read, and a file whose stated size alone is over the
    bound is refused before a chunk is read.
    """
    loaded = await resolve(blocks, path)
    bound = f"the {max_bytes:,} bytes a cat returns in one piece; use it as an image layer instead"
    if loaded.fs.size > max_bytes:
        raise TooLarge(f"{path} states {loaded.fs.size:,} bytes, more than {bound}")
    budget = budget if budget is not None else ResultBudget(None)
    chunks, total = [], 0
    async with budget.turn:
        try:
            async for chunk in file_chunks(blocks, loaded):
                budget.take(len(chunk), path)
                total += len(chunk)
                if total > max_bytes:
                    raise TooLarge(f"{path} holds more than {bound}")
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            budget.give(total)


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


async def export(
    blocks: Blocks,
    path: str,
    dest: Path,
    progress: Progress | None = None,
    budget: LayerBudget | None = None,
) -> None:
    """Materialise the file, symlink or directory tree at ``path`` as ``dest`` (must not exist).

    Within ``budget`` (the default layer limits if none); on an error the caller
    removes ``dest``, which may be partly written.
    """
    budget = budget if budget is not None else LayerBudget(DEFAULT_LIMITS, path)
    counted = _CountedBlocks(blocks, budget)
    symlinks: list[tuple[Path, Cid]] = []
    try:
        await _export(counted, await resolve(counted, path), dest, dest, progress, budget, symlinks)
    except OSError as exc:  # the names are checked: this is the local disk (full, read-only)
        raise IpfsError(f"cannot export {path} to {dest}: {exc.strerror}") from None
    _check_symlinks_resolved(dest, symlinks)


class _CountedBlocks:
    """Blocks whose sizes count against an export's budget."""

    def __init__(self, blocks: Blocks, budget: LayerBudget) -> None:
        self._blocks = blocks
        self._budget = budget

    async def get(self, cid: Cid) -> bytes:
        block = await self._blocks.get(cid)
        self._budget.block(len(block))
        return block

    async def put(self, cid: Cid, block: bytes) -> None:
        await self._blocks.put(cid, block)


async def _export(
    blocks: Blocks,
    loaded: Loaded,
    dest: Path,
    top: Path,
    progress: Progress | None,
    budget: LayerBudget,
    symlinks: list[tuple[Path, Cid]],
    depth: int = 0,
) -> None:
    _check_depth(depth, loaded.cid)
    if depth:
        budget.entry(depth)
    if loaded.fs.kind == Kind.DIRECTORY:
        dest.mkdir()
        _check_names(loaded)
        children = load_links(blocks, loaded.node.links)
        for link in loaded.node.links:
            child = await anext(children)
            await _export(
                blocks, child, dest / link.name, top, progress, budget, symlinks, depth + 1
            )
    elif loaded.fs.kind == Kind.SYMLINK:
        target = loaded.fs.data.decode(errors="replace")
        _check_symlink(target, dest, top, loaded.cid)
        dest.symlink_to(target)
        symlinks.append((dest, loaded.cid))
    else:
        budget.claim(loaded.fs.size)
        with open(dest, "xb") as out:
            async for chunk in file_chunks(blocks, loaded):
                budget.add(len(chunk))
                out.write(chunk)
                if progress is not None:
                    progress(len(chunk))


def _check_names(directory: Loaded) -> None:
    seen: set[str] = set()
    for link in directory.node.links:
        _check_name(link.name, directory.cid)
        if link.name in seen:
            raise CorruptBlock(
                f"directory {directory.cid} has two entries named {link.name!r}; refusing it"
            )
        seen.add(link.name)


def _check_name(name: str, parent: Cid) -> None:
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise CorruptBlock(f"directory {parent} has an unsafe entry name {name!r}; refusing it")
    if len(name.encode()) > MAX_NAME:
        raise CorruptBlock(
            f"directory {parent} has an entry name of {len(name.encode())} bytes "
            f"(at most {MAX_NAME}): {name[:40]!r}...; refusing it"
        )


def _check_symlink(target: str, link: Path, top: Path, cid: Cid) -> None:
    """Only relative targets that stay inside the exported tree."""
    inside = posixpath.normpath(posixpath.join(link.parent.relative_to(top).as_posix(), target))
    if os.path.isabs(target) or inside == ".." or inside.startswith("../"):
        raise CorruptBlock(
            f"symlink {cid} points outside the tree ({target!r}); refusing to export it"
        )


def _check_symlinks_resolved(top: Path, symlinks: Sequence[tuple[Path, Cid]]) -> None:
    """Each symlink, followed on the written tree (through other symlinks), stays inside."""
    real_top = Path(os.path.realpath(top))
    for link, cid in symlinks:
        real = Path(os.path.realpath(link))
        if real != real_top and real_top not in real.parents:
            raise CorruptBlock(
                f"symlink {cid} at {printable(str(link.relative_to(top)))} leads outside the "
                "tree through other symlinks; refusing to export it"
            )
