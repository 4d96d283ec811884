"""A fresh `ww` data dir per test, the real CLI run against it, and what it leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli_outcome import Ww
from tests.support.dags import Dags

WW = [sys.executable, "-m", "wetnode"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "ww-home"
    path.mkdir()
    return path


@pytest.fixture
def ww(home: Path) -> Ww:
    """ww("run", "--dry-run", ...): the CLI in a subprocess on `home`, embedded IPFS."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "WW_HOME": str(home)}
        for name in [n for n in env if n.startswith("WW_") and n != "WW_HOME"]:
            del env[name]
        return subprocess.run(
            [*WW, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def dags(home: Path) -> Dags:
    return Dags(home)
