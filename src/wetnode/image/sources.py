"""Where layers come from: local directories, and resolvers registered by prefix.

`/ipfs/<cid>[/path]` is resolved by the IPFS package (fetched into the
node's cache); other packages may register more prefixes with `register`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from wetnode.errors import UserError

Resolver = Callable[[str], Path]
_resolvers: dict[str, Resolver] = {}


def register(prefix: str, resolver: Resolver) -> None:
    """Resolve sources starting with `prefix` to a local directory with `resolver`."""
    _resolvers[prefix] = resolver


def resolve_source(source: str, *, ipfs_api: str | None = None) -> Path:
    """A local directory holding the layer named by `source`."""
    for prefix, resolver in _resolvers.items():
        if source.startswith(prefix):
            return resolver(source)
    if source.startswith("/ipfs/"):
        from wetnode.ipfs.layer import fetch_layer  # heavy: only when asked for

        return fetch_layer(source, ipfs_api)
    path = Path(source).expanduser()
    if not path.exists():
        raise UserError(f"layer {source} does not exist: pass a directory or /ipfs/<cid>")
    if not path.is_dir():
        raise UserError(f"layer {source} is not a directory: an image layer is a directory tree")
    return path
