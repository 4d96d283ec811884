"""What a finished `ww` run shows: its one-line error, and the files it left behind."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

Ww = Callable[..., subprocess.CompletedProcess[str]]


def files_under(root: Path) -> set[Path]:
    """Every file and symlink below `root` (directories left out)."""
    return {p for p in root.rglob("*") if p.is_symlink() or not p.is_dir()}


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The error `ww` printed, checked to be one line and no traceback."""
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]
