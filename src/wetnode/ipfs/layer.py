"""Image layers from IPFS: `/ipfs/<cid>[/sub/path]` becomes a local directory.

The tree is fetched once (every block verified), exported into a temporary
directory beside the cache and renamed into place, so the cache only ever
holds complete trees, keyed by the CID of the directory the path names.
A cached `/ipfs/<cid>` needs no backend at all; a sub path is resolved again
(a few small directory blocks) to learn which cached tree it names.
Cached trees are treated as read-only layers by the image merge.
A fetch stays within the node's `LayerLimits` (bytes, entries, depth, block
size, time); past one it stops with one line and nothing of it stays in the cache.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from functools import partial
from pathlib import Path

import trio

from wetnode.ipfs import reader
from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.errors import PathNotFound
from wetnode.ipfs.paths import ipfs_dir, split_path
from wetnode.ipfs.progress import MIB, ByteProgress
from wetnode.layer_limits import DEFAULT_LIMITS, LayerBudget, LayerLimits
from wetnode.notice import with_elapsed

log = logging.getLogger(__name__)

class IpfsLayerSource:
    """Resolves `/ipfs/...` layer specs for the image merge (trio side)."""

    def __init__(
        self,
        backend: IpfsBackend,
        cache: Path | None = None,
        limits: LayerLimits = DEFAULT_LIMITS,
    ) -> None:
        self._backend = backend
        self._cache = cache if cache is not None else ipfs_dir() / "trees"
        self._limits = limits

    async def fetch(self, spec: str) -> Path:
        """The tree `spec` names, as a local directory.

        A fetch that takes more than a few seconds notes its elapsed time and
        bytes so far on stderr (waiting on a block nobody has is otherwise a
        blank screen); Ctrl-C cancels it.
        """
        budget = LayerBudget(self._limits, spec)
        progress = ByteProgress(f"fetching {spec}")
        with trio.move_on_after(self._limits.max_seconds):
            return await with_elapsed(
                f"fetching {spec}",
                partial(self._fetch, spec, budget, progress),
                detail=lambda: f"{progress.done / MIB:.1f} MiB",
            )
        raise budget.timed_out()

    async def _fetch(self, spec: str, budget: LayerBudget, progress: ByteProgress) -> Path:
        root, segments = split_path(spec)
        if not segments and (self._cache / str(root)).is_dir():
            log.info("layer %s: cached at %s", spec, self._cache / str(root))
            return self._cache / str(root)  # no round trip at all for a cached root
        log.info("layer %s: fetching…", spec)
        loaded = await reader.resolve(self._backend.blocks, spec)
        if loaded.type != "directory":
            raise PathNotFound(f"layer {spec} is a {loaded.type}; a layer must be a directory")
        target = self._cache / str(loaded.cid)
        if target.is_dir():
            log.info("layer %s: cached at %s", spec, target)
            return target
        self._cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self._cache, prefix=".fetch-"))
        try:
            await self._backend.export(f"/ipfs/{loaded.cid}", staging / "tree", progress, budget)
            try:
                (staging / "tree").rename(target)
            except OSError:
                if not target.is_dir():  # else a concurrent fetch won the race: same tree
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        progress.finish()
        return target
