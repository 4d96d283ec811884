"""The one path every layer takes: local now, `/ipfs/` through the node's IPFS.

`ww run`, `ww run --dry-run` and `ww image ls` resolve their layers here.  A
local layer is checked when the command starts (`parse_layers`), so mistakes
are one-line errors before any network or guest starts; an `/ipfs/` layer is
fetched later through the IPFS backend the caller opened (with the embedded
store, that is bitswap from the node's `--peer`s), and fetched trees are
cached on disk by CID (see `wetnode.ipfs.layer`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from wetnode.errors import ConfigError, ImageError
from wetnode.image import Layer, merge
from wetnode.image.materialize import materialize
from wetnode.image.mounts import Mount, parse_mount
from wetnode.image.sources import IPFS_PREFIX, resolve_source
from wetnode.layer_limits import LayerLimits

if TYPE_CHECKING:
    from wetnode.ipfs.backend import IpfsBackend
    from wetnode.membrane.epoch import Epoch

log = logging.getLogger(__name__)

Pending = Layer | Mount  # a local layer, or an /ipfs/ mount still to fetch


def parse_layers(specs: Sequence[str]) -> list[Pending]:
    """Each mount checked now: a local layer resolved, an `/ipfs/` path parsed."""
    return [_local_or_remote(parse_mount(spec)) for spec in specs]


def _local_or_remote(mount: Mount) -> Pending:
    if not mount.source.startswith(IPFS_PREFIX):
        return Layer(mount, resolve_source(mount.source))
    from wetnode.ipfs.errors import IpfsError
    from wetnode.ipfs.paths import split_path

    try:
        split_path(mount.source)
    except IpfsError as exc:
        raise ConfigError(f"layer {mount.source}: {exc}") from None
    return mount


def remote(layers: Sequence[Pending]) -> bool:
    """True when some layer is still to be fetched (the caller needs an IPFS backend)."""
    return any(isinstance(layer, Mount) for layer in layers)


async def resolve_layers(
    layers: Sequence[Pending], ipfs: IpfsBackend | None, limits: LayerLimits
) -> list[Layer]:
    """The layers as local directories, fetching each `/ipfs/` one through ``ipfs``."""
    resolved = []
    for layer in layers:
        if isinstance(layer, Mount):
            if ipfs is None:
                raise ImageError(f"layer {layer.source} is on IPFS and this command has no IPFS")
            layer = await fetch(layer, ipfs, f"layer {layer.source}", limits)
        resolved.append(layer)
    return resolved


async def fetch(mount: Mount, ipfs: IpfsBackend, what: str, limits: LayerLimits) -> Layer:
    """One `/ipfs/` mount as a local layer, within `limits`; a failed fetch is one line."""
    from wetnode.ipfs.errors import IpfsError
    from wetnode.ipfs.layer import IpfsLayerSource

    try:
        return Layer(mount, await IpfsLayerSource(ipfs, limits=limits).fetch(mount.source))
    except (IpfsError, ValueError) as exc:
        raise ImageError(f"cannot fetch {what}: {exc}") from None


class ImageRoots:
    """Builds pid0's root from the layers, once per epoch (once in all without a stem).

    With a stem, the epoch's head is the base layer beneath all the given
    ones.  Each new root replaces the last on disk.
    """

    def __init__(
        self, layers: Sequence[Pending], work: Path, *, stem: bool, limits: LayerLimits
    ) -> None:
        self._layers = list(layers)
        self._work = work
        self._stem = stem
        self._limits = limits
        self._current: Path | None = None

    async def root_for(self, epoch: Epoch | None, ipfs: IpfsBackend) -> Path:
        from wetnode.ipfs.blockstore import is_empty_directory
        from wetnode.ipfs.cid import Cid

        stack: list[Layer] = []
        if self._stem:
            assert epoch is not None
            head_cid = Cid.from_bytes(epoch.head)
            if is_empty_directory(head_cid) and not self._layers:
                raise ImageError(
                    f"the head of epoch {epoch.seq} is the empty directory (nothing published "
                    "yet): publish an image with `ww push --stem ADDRESS IMAGE`, or run one "
                    "over it (`ww run --stem ADDRESS images/kernel`)"
                )
            spec = f"{IPFS_PREFIX}{head_cid}"
            head = f"the head of epoch {epoch.seq} ({spec})"
            stack.append(await fetch(Mount(spec, ""), ipfs, head, self._limits))
            log.info("epoch %d: base layer %s", epoch.seq, spec)
        stack.extend(await resolve_layers(self._layers, ipfs, self._limits))
        merged = await trio.to_thread.run_sync(partial(merge, stack, limits=self._limits))
        name = f"root-{epoch.seq}" if epoch is not None else "root"
        root = await trio.to_thread.run_sync(materialize, merged.files, self._work / name)
        if self._current is not None:
            shutil.rmtree(self._current, ignore_errors=True)
        self._current = root
        return root
