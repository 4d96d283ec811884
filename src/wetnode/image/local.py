"""Reading a layer directory from the host filesystem into a `Listing`.

A layer may hold regular files, directories and symlinks that stay inside
the layer (followed, so the guest sees their targets).  Anything else is
refused with the path named: a symlink leaving the layer would hand the
guest a host file, and fifos or devices have no place in a read-only image.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wetnode.errors import ImageError
from wetnode.image.union import Kind, Listing


def scan(root: Path, target: str = "") -> Listing:
    """List every file and directory under `root` (relative POSIX paths)."""
    real_root = Path(os.path.realpath(root))
    entries: list[tuple[str, Kind, Path | None]] = []
    _walk(real_root, real_root, "", entries, {real_root})
    return Listing(target, entries)


def _walk(
    layer: Path,
    directory: Path,
    prefix: str,
    entries: list[tuple[str, Kind, Path | None]],
    seen: set[Path],
) -> None:
    try:
        children = list(os.scandir(directory))
    except OSError as exc:
        raise ImageError(f"cannot read layer directory {directory}: {exc.strerror}") from None
    for child in children:
        rel = f"{prefix}{child.name}"
        path = Path(child.path)
        if child.is_symlink():
            real = Path(os.path.realpath(path))
            if real != layer and layer not in real.parents:
                raise ImageError(
                    f"{path} is a symlink to {os.readlink(path)}, outside its layer {layer}: "
                    "copy the file into the layer instead"
                )
            if not real.exists():
                raise ImageError(f"{path} is a dangling symlink: remove it or fix its target")
            path = real
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            if path in seen:
                raise ImageError(f"{child.path} makes a directory loop: remove the symlink")
            entries.append((rel, "dir", None))
            _walk(layer, path, rel + "/", entries, seen | {path})
        elif stat.S_ISREG(mode):
            entries.append((rel, "file", path))
        else:
            raise ImageError(
                f"{child.path} is a special file (fifo, socket or device): "
                "images may hold only regular files, directories and symlinks inside the layer"
            )
