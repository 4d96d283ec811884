"""Turning a merged union into the real directory a guest sees at `/`.

WASI preopens a real directory and refuses symlinks that leave it, so the
root is built from hard links (copies where the filesystem will not link).
`etc/identity` is left out: a node key baked into an image is for the host,
and must never be readable by a guest.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from wetnode.errors import ImageError
from wetnode.image.union import Entry
from wetnode.keys import IMAGE_IDENTITY

HIDDEN = frozenset({IMAGE_IDENTITY})


def materialize(files: Mapping[str, Entry], dest: Path) -> Path:
    """Build the tree at `dest` (which must not exist yet); returns `dest`."""
    dest.mkdir(parents=True)
    link = True
    for path in sorted(files):  # parents sort before their children
        entry = files[path]
        if path in HIDDEN:
            continue
        target = dest / path
        if entry.kind == "dir":
            target.mkdir()
            continue
        assert entry.origin is not None
        if link:
            try:
                os.link(entry.origin, target)
                continue
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                    raise ImageError(
                        f"cannot add {entry.origin} to the image: {exc.strerror}"
                    ) from None
                link = False  # another filesystem: copy from here on
        shutil.copyfile(entry.origin, target)
    return dest
