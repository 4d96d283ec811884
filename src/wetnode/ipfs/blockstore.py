"""Blocks on disk under the node data dir, checked against their CID on the way in and out.

One file per block, named by the base58 multihash and sharded into
directories by its last two characters (like Kubo's flatfs), written to a
temporary name and renamed, so a crash never leaves a half-written block under
a real name.  Every `get` re-hashes: a block altered on disk is refused.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import ContentNotFound

log = logging.getLogger(__name__)

# The empty UnixFS directory: every store has it without storing it (Kubo's
# does too).  It is a fresh stem's head, so a node follows one with no peer.
EMPTY_DIRECTORY = Cid.parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
EMPTY_DIRECTORY_BLOCK = b"\x0a\x02\x08\x01"  # dag-pb: Data = unixfs {Type: Directory}


class BlockStore:
    """Local blocks.  Async methods so it fits the same `Blocks` shape as a
    remote source; blocks are at most a few hundred KiB, so the disk I/O is
    done inline rather than through a worker thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._shards: set[str] = set()  # shard dirs known to exist (saves a mkdir per put)

    def path_of(self, cid: Cid) -> Path:
        key = cid.key()
        return self.root / key[-3:-1] / key

    def has(self, cid: Cid) -> bool:
        return is_empty_directory(cid) or self.path_of(cid).is_file()

    async def get(self, cid: Cid) -> bytes:
        if is_empty_directory(cid):
            return EMPTY_DIRECTORY_BLOCK
        try:
            block = self.path_of(cid).read_bytes()
        except FileNotFoundError:
            raise ContentNotFound(
                f"block {cid} is not in the local block store {self.root}; "
                "add the content first or fetch it from a peer"
            ) from None
        return cid.verify(block)

    async def put(self, cid: Cid, block: bytes) -> None:
        cid.verify(block)
        target = self.path_of(cid)
        if target.is_file():
            return
        if target.parent.name not in self._shards:
            target.parent.mkdir(exist_ok=True)
            self._shards.add(target.parent.name)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(block)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, cid: Cid) -> None:
        self.path_of(cid).unlink(missing_ok=True)

    def multihashes(self) -> Iterator[str]:
        """Base58 multihashes of every stored block."""
        for shard in self.root.iterdir():
            if shard.is_dir():
                yield from (p.name for p in shard.iterdir() if not p.name.startswith("."))


def is_empty_directory(cid: Cid) -> bool:
    """Whether `cid` names the empty directory (in either CID version)."""
    return (cid.codec, cid.multihash) == (EMPTY_DIRECTORY.codec, EMPTY_DIRECTORY.multihash)
