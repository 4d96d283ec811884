from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest

WW = [sys.executable, "-m", "wetnode"]


def _ww(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
) -> CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*WW, *args], capture_output=True, text=True, timeout=timeout, env=full_env, cwd=cwd
    )


@pytest.fixture
def ww():
    """Run the real `ww` CLI in a subprocess: ww("keygen", ...)."""
    return _ww


@pytest.fixture
def make_tree(tmp_path: Path):
    """make_tree("name", {"rel/path": "content"}) -> the layer directory."""

    def make(name: str, files: dict[str, str]) -> Path:
        root = tmp_path / name
        root.mkdir()
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        return root

    return make
