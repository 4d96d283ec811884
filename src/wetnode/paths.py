"""The node's data dir: `$WW_HOME`, else `~/.ww` (one rule for every package)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "WW_HOME"


def data_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    return Path(home).expanduser() if home else Path.home() / ".ww"
