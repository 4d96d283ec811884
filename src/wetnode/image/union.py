"""The per-file union of image layers, as pure data (no I/O; tested directly).

Rules: layers apply in order, the later wins; root layers first, then the
targeted mounts in their order; directories merge; a file replaces a file;
there are no deletes.  When one layer has a file where an earlier one has a
directory (or the reverse), the later layer's entry replaces the earlier one
with everything beneath it: "later wins" applies to whole paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["file", "dir"]


@dataclass(frozen=True)
class Stamp:
    """Which host inode a file was when its layer was scanned.

    Two names with one stamp are one file (a hardlink, or a symlink followed),
    and an origin whose stamp changed was swapped after the scan.
    """

    dev: int
    ino: int


@dataclass(frozen=True)
class Entry:
    kind: Kind
    layer: int  # index into the layers given to `union`
    origin: Path | None  # host file for a file; None for a directory
    stamp: Stamp | None = None  # the origin's inode at scan time, if scanned
    linkable: bool = False  # the node wrote the origin itself: it may be hard-linked


@dataclass(frozen=True)
class Listing:
    """One layer's entries: paths relative to the layer, mounted at `target`."""

    target: str  # "" for the root
    entries: Sequence[tuple[str, Kind, Path | None]]
    stamps: Mapping[str, Stamp] = field(default_factory=dict)  # by relative path, for files
    linkable: bool = False  # files the node wrote into its own cache (IPFS trees)

    def image_path(self, rel: str) -> str:
        return f"{self.target}/{rel}" if self.target else rel


def union(layers: Sequence[Listing]) -> dict[str, Entry]:
    """Merge listings into {image path: entry}; parents of every entry included."""
    merged: dict[str, Entry] = {}
    order = [i for i, layer in enumerate(layers) if not layer.target]
    order += [i for i, layer in enumerate(layers) if layer.target]
    for index in order:
        layer = layers[index]
        if layer.target:
            _ensure_dirs(merged, [*_parents(layer.target), layer.target], index)
        for rel, kind, origin in layer.entries:
            path = layer.image_path(rel)
            _ensure_dirs(merged, _parents(path), index)
            existing = merged.get(path)
            if existing is not None and existing.kind == "dir" and kind == "dir":
                continue
            if existing is not None and existing.kind != kind:
                _drop_subtree(merged, path)
            merged[path] = Entry(kind, index, origin, layer.stamps.get(rel), layer.linkable)
    return merged


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _ensure_dirs(merged: dict[str, Entry], paths: Iterable[str], index: int) -> None:
    for parent in paths:
        existing = merged.get(parent)
        if existing is None:
            merged[parent] = Entry("dir", index, None)
        elif existing.kind == "file":
            _drop_subtree(merged, parent)
            merged[parent] = Entry("dir", index, None)


def _drop_subtree(merged: dict[str, Entry], path: str) -> None:
    prefix = path + "/"
    for key in [k for k in merged if k == path or k.startswith(prefix)]:
        del merged[key]
