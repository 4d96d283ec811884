"""How much one image layer may hold, and the running count that enforces it.

(Outside `wetnode.image`, whose package pulls in the key code: node config
carries `LayerLimits` and must stay cheap to import.)

A layer is often a stranger's: an `/ipfs/` CID or a stem head.  A DAG of a
few KiB can claim a terabyte, or a million files, by linking the same blocks
again and again, so sizes a DAG states are never trusted: every layer is read
against a `LayerBudget` that counts what is actually written (and refuses a
file up front whose stated size alone is over the limit).  Local layers are
counted the same way while they are scanned.  Past a limit the read stops with
one line naming the layer and the limit; the caller removes what it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from wetnode.errors import ImageError

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class LayerLimits:
    """Per layer; the defaults fit real images with room to spare (node config may change them)."""

    max_bytes: int = GIB  # file content, summed over the layer
    max_files: int = 100_000  # files, directories and symlinks
    max_depth: int = 64  # directory nesting below the layer's top
    max_block: int = 2 * MIB  # one IPFS block (bitswap's own hard limit is 2 MiB)
    max_seconds: float = 600.0  # reading (fetching) the whole layer


DEFAULT_LIMITS = LayerLimits()


class LayerBudget:
    """The running count for one layer; each method raises `ImageError` past its limit."""

    def __init__(
        self,
        limits: LayerLimits,
        layer: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.layer = layer
        self._clock = clock
        self._deadline = clock() + limits.max_seconds
        self._bytes = 0
        self._files = 0

    def entry(self, depth: int) -> None:
        """One more file, directory or symlink, `depth` directories below the top."""
        self._files += 1
        if self._files > self.limits.max_files:
            raise self._exceeded(f"more than {self.limits.max_files:,} entries", "files")
        if depth > self.limits.max_depth:
            raise self._exceeded(
                f"directories nested more than {self.limits.max_depth} deep", "depth"
            )
        if self._clock() > self._deadline:
            raise self.timed_out()

    def claim(self, size: int) -> None:
        """A file states it holds `size` bytes: refused now if that alone is too many."""
        if self._bytes + size > self.limits.max_bytes:
            raise self._too_many_bytes()

    def add(self, size: int) -> None:
        """`size` bytes of file content were read or written."""
        self._bytes += size
        if self._bytes > self.limits.max_bytes:
            raise self._too_many_bytes()

    def block(self, size: int) -> None:
        if size > self.limits.max_block:
            raise self._exceeded(
                f"a block of {size:,} bytes (more than {self.limits.max_block:,})", "block"
            )

    def timed_out(self) -> ImageError:
        return self._exceeded(
            f"not read within {self.limits.max_seconds:g} s", "seconds", flag="--layer-timeout"
        )

    def _too_many_bytes(self) -> ImageError:
        return self._exceeded(f"more than {self.limits.max_bytes:,} bytes of files", "bytes")

    def _exceeded(self, what: str, limit: str, *, flag: str | None = None) -> ImageError:
        flag = flag or f"--layer-max-{limit}"
        return ImageError(f"layer {self.layer}: {what}, over the layer limit ({flag})")
