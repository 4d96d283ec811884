"""Where IPFS state lives on disk, and how `/ipfs/<cid>/sub/path` splits."""

from __future__ import annotations

from pathlib import Path

from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import InvalidCid
from wetnode.paths import data_dir


def ipfs_dir() -> Path:
    return data_dir() / "ipfs"


def split_path(path: str) -> tuple[Cid, list[str]]:
    """`/ipfs/<cid>/a/b`, `ipfs/<cid>/a`, or `<cid>/a` -> (CID, ["a", "b"])."""
    text = path.strip()
    parts = [p for p in text.split("/") if p]
    if parts and parts[0] == "ipfs":
        parts = parts[1:]
    elif text.startswith("/") and parts:
        raise InvalidCid(f"invalid IPFS path {path!r}: only /ipfs/<cid>[/sub/path] is supported")
    if not parts:
        raise InvalidCid(f"invalid IPFS path {path!r}: expected /ipfs/<cid>[/sub/path]")
    return Cid.parse(parts[0]), parts[1:]
