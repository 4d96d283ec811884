"""Mount specs from the command line: `SOURCE` or `SOURCE:/guest/path`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from wetnode.errors import ConfigError


@dataclass(frozen=True)
class Mount:
    source: str  # a directory, or /ipfs/<cid>[/path]
    target: str  # "" for the image root, else a relative guest path like "etc/app"

    def __str__(self) -> str:
        return self.source if not self.target else f"{self.source}:/{self.target}"


def parse_mount(spec: str) -> Mount:
    """Split at the first colon: the left side is the source, the right the target."""
    source, sep, target = spec.partition(":")
    if not source:
        raise ConfigError(f"mount {spec!r} has no source: use DIR or DIR:/guest/path")
    if not sep:
        return Mount(source, "")
    if not target.startswith("/"):
        raise ConfigError(
            f"mount {spec!r}: the target must be an absolute guest path like /etc/app"
        )
    parts = PurePosixPath(target).parts[1:]
    if ".." in parts:
        raise ConfigError(f"mount {spec!r}: '..' is not allowed in a target path")
    return Mount(source, "/".join(p for p in parts if p != "."))
