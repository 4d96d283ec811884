"""Hostile UnixFS DAGs, built block by block with the node's own dag-pb and UnixFS code.

Each lands in the embedded block store of a `ww` data dir, as bitswap would
have stored it, so a real `ww` process reads it like any other layer.  The
blocks are small; what they claim, or how often they link the same block, is
what makes them hostile.
"""

from __future__ import annotations

from pathlib import Path

import trio

from wetnode.ipfs import importer
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.dagpb import Link, Node
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.unixfs import Kind, UnixFSData

CHUNK = 256 * 1024


class Dags:
    """Builds DAGs into the block store under `home` (a `WW_HOME`)."""

    def __init__(self, home: Path) -> None:
        self._backend = EmbeddedBackend(home / "ipfs")

    def _put(self, node: Node) -> Cid:
        return trio.run(self._backend.block_put, node.encode())

    def file(self, content: bytes) -> Cid:
        return trio.run(importer.add_bytes, self._backend.blocks, content).cid

    def claiming_file(self, claimed: int, leaves: int) -> Cid:
        """A file stating `claimed` bytes: one 256 KiB chunk, linked `leaves` times."""
        leaf = self.file(b"x" * CHUNK)
        share = claimed // leaves
        data = UnixFSData(Kind.FILE, b"", claimed, (share,) * leaves)
        return self._put(Node(tuple(Link(leaf, "", CHUNK) for _ in range(leaves)), data.encode()))

    def directory(self, entries: list[tuple[str, Cid]]) -> Cid:
        """A directory with these links, in this order (duplicates and all)."""
        links = tuple(Link(cid, name, 100) for name, cid in entries)
        return self._put(Node(links, UnixFSData.directory().encode()))

    def symlink(self, target: str) -> Cid:
        return self._put(Node((), UnixFSData.symlink(target).encode()))

    def raw_block_file(self, size: int) -> Cid:
        """A file that is one dag-pb block of `size` content bytes."""
        return self._put(Node((), UnixFSData.file(b"y" * size).encode()))
