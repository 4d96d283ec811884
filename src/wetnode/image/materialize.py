"""Turning a merged union into the real directory a guest sees at `/`.

WASI preopens a real directory (read-only: the guest cannot write through
to any file in it) and refuses symlinks that leave it.  The root holds only
regular files and directories the union chose, never a symlink:

- files the node wrote into its own IPFS cache are hard-linked (fast, and
  the inode is the node's); files of a user's local layer are copied (a
  reflink where the filesystem offers one), so no host inode is shared;
- every file placed is checked to be the regular file its layer's scan saw
  (same inode), so one swapped for a symlink or another file since is refused;
- `etc/identity` is left out, and so is any other name for it (a hardlink or
  a symlink in any layer): a node key baked into an image is for the host,
  and must never be readable by a guest.

A failed build removes the partial root.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from wetnode.errors import ImageError
from wetnode.image.names import printable
from wetnode.image.union import Entry, Listing, Stamp
from wetnode.keys import IMAGE_IDENTITY

HIDDEN = frozenset({IMAGE_IDENTITY})

_NO_LINK = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP)
_NO_KERNEL_COPY = (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)


def refuse_hidden_aliases(
    listings: Sequence[Listing], files: Mapping[str, Entry], names: Sequence[str]
) -> None:
    """Refuse a merged file that is another name for a hidden file of any layer.

    Every layer's hidden files count, not only the ones the union kept: the
    node key may come from a layer another one overrides in the root.
    """
    hidden: dict[Stamp, str] = {}
    for listing in listings:
        for rel, stamp in listing.stamps.items():
            if listing.image_path(rel) in HIDDEN:
                hidden[stamp] = listing.image_path(rel)
    for path, entry in files.items():
        if path not in HIDDEN and entry.stamp in hidden:
            raise ImageError(
                f"layer {names[entry.layer]}: /{printable(path)} is another name for "
                f"/{hidden[entry.stamp]} (a hardlink or symlink), which guests must not read: "
                "remove it from the layer"
            )


def materialize(files: Mapping[str, Entry], dest: Path) -> Path:
    """Build the tree at `dest` (which must not exist yet); returns `dest`."""
    dest.mkdir(parents=True)
    try:
        for path in sorted(files):  # parents sort before their children
            entry = files[path]
            if path in HIDDEN:
                continue
            target = dest / path
            if entry.kind == "dir":
                target.mkdir()
            else:
                _place(entry, path, target)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def _place(entry: Entry, path: str, target: Path) -> None:
    assert entry.origin is not None
    if entry.linkable:
        try:
            os.link(entry.origin, target, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise ImageError(
                    f"cannot add {printable(str(entry.origin))} to the image: {exc.strerror}"
                ) from None
        else:
            _check(os.lstat(target), entry, path)
            return
    _copy(entry, path, target)


def _copy(entry: Entry, path: str, target: Path) -> None:
    """Copy from the origin opened without following a symlink, once it is checked."""
    assert entry.origin is not None
    try:
        source = os.open(entry.origin, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        why = "it is a symlink now" if exc.errno == errno.ELOOP else exc.strerror
        raise _swapped(path, entry, why) from None
    try:
        info = os.fstat(source)
        _check(info, entry, path)
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        try:
            _copy_data(source, out, info.st_size)
        finally:
            os.close(out)
    finally:
        os.close(source)


def _copy_data(source: int, out: int, size: int) -> None:
    """`size` bytes in the kernel: `copy_file_range` (a reflink where extents can be shared),
    else `sendfile`; both carry on from the file offsets the other left."""
    done = 0
    try:
        while done < size and (n := os.copy_file_range(source, out, size - done)):
            done += n
        return
    except OSError as exc:
        if exc.errno not in _NO_KERNEL_COPY:
            raise
    while done < size and (n := os.sendfile(out, source, None, size - done)):
        done += n


def _check(info: os.stat_result, entry: Entry, path: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise _swapped(path, entry, "it is no longer a regular file")
    if entry.stamp is not None and Stamp(info.st_dev, info.st_ino) != entry.stamp:
        raise _swapped(path, entry, "it is another file now")


def _swapped(path: str, entry: Entry, why: str | None) -> ImageError:
    return ImageError(
        f"/{printable(path)} changed after its layer was read "
        f"({printable(str(entry.origin))}: {why}): run again once the layer is complete"
    )
