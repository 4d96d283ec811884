"""Image layers: resolve mounts, merge them per file, materialise the root.

    layers = resolve_mounts(["./base", "./conf:/etc/app"])
    image = merge(layers)              # fails unless boot/main.wasm is there
    print(render_tree(image))
    root = materialize(image.files, workdir / "root")

`/ipfs/` layers are fetched through the node's IPFS by `wetnode.image.roots`.
See docs/images.md for the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wetnode.errors import ImageError
from wetnode.image.local import scan
from wetnode.image.materialize import HIDDEN, materialize, refuse_hidden_aliases
from wetnode.image.mounts import Mount, parse_mount
from wetnode.image.names import printable
from wetnode.image.sources import IPFS_PREFIX, resolve_source
from wetnode.image.union import Entry, union
from wetnode.layer_limits import DEFAULT_LIMITS, LayerBudget, LayerLimits

BOOT = "boot/main.wasm"

__all__ = [
    "BOOT",
    "Entry",
    "Layer",
    "LayerLimits",
    "MergedImage",
    "Mount",
    "materialize",
    "merge",
    "parse_mount",
    "render_tree",
    "resolve_mounts",
]


@dataclass(frozen=True)
class Layer:
    mount: Mount
    path: Path  # local directory holding the layer's files


@dataclass(frozen=True)
class MergedImage:
    layers: Sequence[Layer]
    files: dict[str, Entry]

    @property
    def host_paths(self) -> dict[str, Path]:
        """Image path -> host file, for the files (not directories)."""
        return {p: e.origin for p, e in self.files.items() if e.origin is not None}


def resolve_mounts(specs: Sequence[str]) -> list[Layer]:
    """Parse each mount of a local directory (see `wetnode.image.roots` for `/ipfs/`)."""
    mounts = [parse_mount(spec) for spec in specs]
    return [Layer(m, resolve_source(m.source)) for m in mounts]


def merge(
    layers: Sequence[Layer], *, require_boot: bool = True, limits: LayerLimits = DEFAULT_LIMITS
) -> MergedImage:
    """The union of `layers`, each scanned within `limits`; no name for a hidden file survives."""
    listings = [
        scan(
            layer.path,
            layer.mount.target,
            LayerBudget(limits, str(layer.mount)),
            linkable=layer.mount.source.startswith(IPFS_PREFIX),  # the node's own export cache
        )
        for layer in layers
    ]
    files = union(listings)
    refuse_hidden_aliases(listings, files, [str(layer.mount) for layer in layers])
    if require_boot and files.get(BOOT, Entry("dir", -1, None)).kind != "file":
        names = ", ".join(str(layer.mount) for layer in layers) or "(none)"
        raise ImageError(
            f"no layer provides {BOOT} (layers: {names}): add a layer with the agent, "
            "e.g. images/kernel, or build one with `ww build`"
        )
    return MergedImage(layers, files)


def render_tree(image: MergedImage) -> str:
    """The merged tree, one path per line, with the layer each file came from.

    Names are a stranger's text, so control characters print escaped.
    """
    lines = []
    for path in sorted(image.files):
        entry = image.files[path]
        depth = path.count("/")
        name = printable(path.rsplit("/", 1)[-1])
        if entry.kind == "dir":
            lines.append(f"{'  ' * depth}{name}/")
            continue
        origin = printable(str(image.layers[entry.layer].mount))
        note = "  (hidden from guests)" if path in HIDDEN else ""
        lines.append(f"{'  ' * depth}{name}  <- {origin}{note}")
    return "\n".join(lines) + "\n"

