"""One IPFS backend interface for the node, with the UnixFS work done locally.

Both backends (the embedded block store and a Kubo daemon) only move blocks;
resolving paths, reading files and listing directories happen here, on blocks
that `Blocks.get` has verified.  So a remote daemon is never trusted for
content, and both backends give the same CIDs and the same errors.
The membrane's `Ipfs.Client` server calls these methods (all trio-side).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from wetnode.ipfs import importer, reader
from wetnode.ipfs.blocks import Blocks
from wetnode.ipfs.budget import ResultBudget
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.importer import Progress
from wetnode.ipfs.reader import Entry
from wetnode.layer_limits import LayerBudget

__all__ = ["Entry", "IpfsBackend"]


class IpfsBackend(ABC):
    blocks: Blocks
    name: str  # for messages: "embedded block store at ...", "IPFS API at ..."

    async def cat(self, path: str, budget: ResultBudget | None = None) -> bytes:
        """The bytes of the file at ``path`` (`/ipfs/<cid>[/sub/path]`), counted in the
        caller's ``budget`` while they are read."""
        return await reader.cat(self.blocks, path, budget=budget)

    async def ls(self, path: str) -> list[Entry]:
        """The entries of the directory at ``path``, in link (name) order."""
        return await reader.ls(self.blocks, path)

    async def resolve_path(self, path: str) -> tuple[str, list[str]]:
        """(`/ipfs/<cid>` of the node ``path`` names, remainder); UnixFS leaves no remainder."""
        loaded = await reader.resolve(self.blocks, path)
        return f"/ipfs/{loaded.cid}", []

    async def add_path(
        self, path: Path, *, hidden: bool = False, progress: Progress | None = None
    ) -> Cid:
        """Import a file or tree (as `ipfs add -r`), pin it, return its root CID."""
        added = await importer.add_path(self.blocks, path, hidden=hidden, progress=progress)
        await self.pin_imported(added.cid)
        return added.cid

    async def pin_imported(self, cid: Cid) -> None:
        """Pin a DAG this backend has just stored in full (a backend may skip re-reading it)."""
        await self.pin_add(f"/ipfs/{cid}")

    async def export(
        self,
        path: str,
        dest: Path,
        progress: Progress | None = None,
        budget: LayerBudget | None = None,
    ) -> None:
        """Write the file or tree at ``path`` to ``dest`` (which must not exist), within
        ``budget`` (else the default layer limits)."""
        await reader.export(self.blocks, path, dest, progress, budget)

    async def block_get(self, cid: str) -> bytes:
        return await self.blocks.get(Cid.parse(cid))

    async def block_put(self, block: bytes) -> Cid:
        """Store a dag-pb block; its CIDv0."""
        cid = Cid.of_block(block)
        await self.blocks.put(cid, block)
        return cid

    @abstractmethod
    async def pin_add(self, path: str) -> Cid:
        """Keep the whole DAG under ``path`` (fetching what is missing)."""

    @abstractmethod
    async def pin_rm(self, path: str) -> Cid: ...

    @abstractmethod
    async def pin_ls(self) -> list[Cid]:
        """Recursively pinned roots."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing
        """Release connections, if any."""


async def walk(blocks: Blocks, cid: Cid) -> int:
    """Fetch (and so verify) every block of a DAG; the number of blocks."""
    loaded = await reader.load(blocks, cid)
    count = 1
    for link in loaded.node.links:
        count += await walk(blocks, link.cid)
    return count
