"""Helpers for the runtime tests: the `ww` command, a node's compile cache, wheels."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

WW = [sys.executable, "-m", "wetnode"]
TIMEOUT = 600  # a first run compiles the ~27 MB runtime: 15-60 s on a busy machine

Ww = Callable[..., subprocess.CompletedProcess[str]]


def compiled_entries(home: Path) -> list[Path]:
    """The compiled components in a data dir's compile cache."""
    return sorted((home / "cache" / "components").glob("*.cwasm"))


def write_wheel(directory: Path, name: str, tag: str, files: dict[str, str]) -> Path:
    """A minimal wheel `name-1.0-<tag>.whl` holding `files`, as pip reads them (PEP 427).

    Made here, not downloaded: the tests need no index, and a wheel tagged for
    a C-extension platform is as real to pip as numpy's.
    """
    version = "1.0"
    info = f"{name}-{version}.dist-info"
    pure = tag.endswith("-none-any")
    contents = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: wetnode-tests\n"
                          f"Root-Is-Purelib: {str(pure).lower()}\nTag: {tag}\n"),
    }
    record = [f"{path},sha256={_digest(text)},{len(text.encode())}"
              for path, text in contents.items()]
    contents[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = directory / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in contents.items():
            archive.writestr(path, text)
    return wheel


def _digest(text: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
