"""The node's data dir (`$WW_HOME`, else `~/.ww`) and the user's build cache: one rule each."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "WW_HOME"


def data_dir() -> Path:
    home = os.environ.get(ENV_HOME)
    return Path(home).expanduser() if home else Path.home() / ".ww"


ENV_RUNTIME_CACHE = "WW_RUNTIME_CACHE"


def user_cache_dir() -> Path:
    """Where `ww build` caches what it builds once for every agent (the shared runtime).

    `$WW_RUNTIME_CACHE`, else `$XDG_CACHE_HOME/wetnode`, else `~/.cache/wetnode`:
    a user's cache, not one node's data dir, since one runtime serves every
    node and every project of the user.
    """
    chosen = os.environ.get(ENV_RUNTIME_CACHE)
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "wetnode"
