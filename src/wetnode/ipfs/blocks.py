"""The one thing the UnixFS importer and reader need: somewhere to get and put blocks."""

from __future__ import annotations

from typing import Protocol

from wetnode.ipfs.cid import Cid


class Blocks(Protocol):
    async def get(self, cid: Cid) -> bytes:
        """The block's bytes, verified against ``cid``; `ContentNotFound` if unavailable."""
        ...

    async def put(self, cid: Cid, block: bytes) -> None:
        """Store ``block`` under ``cid`` (the caller computed it; it is checked again)."""
        ...
