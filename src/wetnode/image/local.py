"""Reading a layer directory from the host filesystem into a `Listing`.

A layer may hold regular files, directories and symlinks that stay inside
the layer (followed, so the guest sees their targets).  Anything else is
refused with the path named: a symlink leaving the layer would hand the
guest a host file, and fifos or devices have no place in a read-only image.
A hardlink whose file has a name outside the layer is refused like a symlink
out.  Each file's inode is recorded (`Stamp`), so the materialiser can tell a
file swapped after the scan, and the merge can tell two names for one file.
A layer that changes under the scan is a one-line error, not a traceback.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from wetnode.errors import ImageError
from wetnode.image.names import printable
from wetnode.image.union import Kind, Listing, Stamp
from wetnode.layer_limits import LayerBudget


def scan(root: Path, target: str, budget: LayerBudget, *, linkable: bool = False) -> Listing:
    """List every file and directory under `root` (relative POSIX paths), within `budget`.

    `linkable` marks a tree the node wrote itself (its IPFS cache), whose
    files may be hard-linked into a root instead of copied.
    """
    real_root = Path(os.path.realpath(root))
    found = _Found([], {}, {}, {})
    _walk(real_root, real_root, "", found, {real_root}, budget)
    if not linkable:  # the node's cache trees are linked into its roots: more names, all its own
        _refuse_names_outside(found, real_root)
    return Listing(target, found.entries, found.stamps, linkable)


@dataclass
class _Found:
    entries: list[tuple[str, Kind, Path | None]]
    stamps: dict[str, Stamp]
    names: dict[Stamp, set[Path]]  # the real paths found in the layer for each file
    links: dict[Stamp, int]  # how many names the file system says each file has


def _refuse_names_outside(found: _Found, layer: Path) -> None:
    """A hardlink to a file outside the layer would hand the guest a host file, as a symlink
    out would: refused the same way (a file with more names than the layer holds)."""
    for stamp, names in found.names.items():
        if found.links[stamp] > len(names):
            raise ImageError(
                f"{printable(str(min(names)))} has another name outside its layer "
                f"{printable(str(layer))} (a hardlink): copy the file into the layer instead"
            )


def _walk(
    layer: Path,
    directory: Path,
    prefix: str,
    found: _Found,
    seen: set[Path],
    budget: LayerBudget,
) -> None:
    try:
        children = list(os.scandir(directory))
    except OSError as exc:
        raise _unreadable(directory, layer, exc) from None
    depth = prefix.count("/") + 1
    for child in children:
        budget.entry(depth)
        rel = f"{prefix}{child.name}"
        path, info = _follow(layer, Path(child.path))
        if stat.S_ISDIR(info.st_mode):
            if path in seen:
                raise ImageError(
                    f"{printable(child.path)} makes a directory loop: remove the symlink"
                )
            found.entries.append((rel, "dir", None))
            _walk(layer, path, rel + "/", found, seen | {path}, budget)
        elif stat.S_ISREG(info.st_mode):
            budget.add(info.st_size)
            found.entries.append((rel, "file", path))
            stamp = found.stamps[rel] = Stamp(info.st_dev, info.st_ino)
            found.names.setdefault(stamp, set()).add(path)
            found.links[stamp] = info.st_nlink
        else:
            raise ImageError(
                f"{printable(child.path)} is a special file (fifo, socket or device): "
                "images may hold only regular files, directories and symlinks inside the layer"
            )


def _follow(layer: Path, path: Path) -> tuple[Path, os.stat_result]:
    """The file `path` names (a symlink followed, if it stays in the layer) and its stat."""
    try:
        if not path.is_symlink():
            return path, os.stat(path)
        real = Path(os.path.realpath(path))
        if real != layer and layer not in real.parents:
            raise ImageError(
                f"{printable(str(path))} is a symlink to {printable(os.readlink(path))}, "
                f"outside its layer {printable(str(layer))}: copy the file into the layer instead"
            )
        if not real.exists():
            raise ImageError(
                f"{printable(str(path))} is a dangling symlink: remove it or fix its target"
            )
        return real, os.stat(real)
    except OSError as exc:
        raise _unreadable(path, layer, exc) from None


def _unreadable(path: Path, layer: Path, exc: OSError) -> ImageError:
    if isinstance(exc, FileNotFoundError):
        return ImageError(
            f"layer {printable(str(layer))} changed while it was read "
            f"({printable(str(path))} is gone): try again once it is complete"
        )
    return ImageError(f"cannot read layer directory {printable(str(path))}: {exc.strerror}")
