"""Where a layer's files are: a local directory now, or an `/ipfs/` path to fetch.

Local directories are checked here, synchronously, when a command starts.
`/ipfs/<cid>[/path]` layers are fetched through the node's IPFS by
`wetnode.image.roots`, the one path for layers that are not on this disk.
"""

from __future__ import annotations

from pathlib import Path

from wetnode.errors import ImageError

IPFS_PREFIX = "/ipfs/"


def resolve_source(source: str) -> Path:
    """The local directory holding the layer named by `source`."""
    if source.startswith(IPFS_PREFIX):
        raise ImageError(
            f"layer {source} is on IPFS: only local directories are accepted here"
        )
    path = Path(source).expanduser()
    if not path.exists():
        raise ImageError(f"layer {source} does not exist: pass a directory or /ipfs/<cid>")
    if not path.is_dir():
        raise ImageError(f"layer {source} is not a directory: an image layer is a directory tree")
    return path
