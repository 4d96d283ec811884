"""The embedded backend: blocks and pins under the node data dir, no daemon needed."""

from __future__ import annotations

import logging
from pathlib import Path

from wetnode.ipfs import reader
from wetnode.ipfs.backend import IpfsBackend, walk
from wetnode.ipfs.blockstore import BlockStore
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import PathNotFound
from wetnode.ipfs.paths import ipfs_dir

log = logging.getLogger(__name__)


class EmbeddedBackend(IpfsBackend):
    """Pins are empty files named by CID under ``<root>/pins`` (recursive pins only)."""

    def __init__(self, root: Path | None = None) -> None:
        root = root if root is not None else ipfs_dir()
        self.blocks = self.store = BlockStore(root / "blocks")
        self._pins = root / "pins"
        self._pins.mkdir(parents=True, exist_ok=True)
        self.name = f"embedded block store at {root}"

    async def pin_add(self, path: str) -> Cid:
        cid = (await reader.resolve(self.blocks, path)).cid
        count = await walk(self.blocks, cid)
        (self._pins / str(cid)).touch()
        log.debug("pinned %s (%d blocks)", cid, count)
        return cid

    async def pin_imported(self, cid: Cid) -> None:
        (self._pins / str(cid)).touch()

    async def pin_rm(self, path: str) -> Cid:
        cid = (await reader.resolve(self.blocks, path)).cid
        pin = self._pins / str(cid)
        if not pin.exists():
            raise PathNotFound(f"{cid} is not pinned in the {self.name}")
        pin.unlink()
        return cid

    async def pin_ls(self) -> list[Cid]:
        return sorted((Cid.parse(p.name) for p in self._pins.iterdir()), key=str)
