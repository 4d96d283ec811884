"""Helpers for the runtime tests: the `ww` command and what a node's compile cache holds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

WW = [sys.executable, "-m", "wetnode"]
TIMEOUT = 600  # a first run compiles the ~27 MB runtime: 15-60 s on a busy machine

Ww = Callable[..., subprocess.CompletedProcess[str]]

def compiled_entries(home: Path) -> list[Path]:
    """The compiled components in a data dir's compile cache."""
    return sorted((home / "cache" / "components").glob("*.cwasm"))
