"""Real guests for the tests: `ww build` in a subprocess, and data dirs sharing compiled code.

Compiling the agent runtime (27 MB) takes wasmtime tens of seconds; loading
the compiled artifact takes milliseconds.  The compile cache is keyed on the
component's bytes and the engine's settings, and its entries are written
atomically, so every node of a session can share one: a node that needs a
data dir of its own (an empty block store, its own audit log) links its
``cache`` to the session's instead of compiling the kernel again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WW = [sys.executable, "-m", "wetnode"]
BUILD_TIMEOUT = 600.0  # a --standalone build runs componentize-py (about a minute)


def ww_build(project: Path, *flags: str) -> Path:
    """`ww build FLAGS .` in ``project``, as its author would, asserted to succeed;
    the built boot/main.wasm."""
    result = subprocess.run(
        [*WW, "build", *flags, "."], cwd=project, capture_output=True, text=True,
        timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return project / "boot" / "main.wasm"


def agent(project: Path, main_py: str | None = None, template: str = "agent") -> None:
    """A project scaffolded by `ww init --template` (its `boot/main.py` replaced when
    given), built by `ww build`."""
    made = subprocess.run(
        [*WW, "init", "--template", template, str(project)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    if main_py is not None:
        (project / "boot" / "main.py").write_text(main_py)
    ww_build(project)


def home_sharing_cache(path: Path, shared: Path) -> Path:
    """A new data dir at ``path`` whose compile cache is the data dir ``shared``'s."""
    (shared / "cache").mkdir(parents=True, exist_ok=True)
    path.mkdir(parents=True)
    (path / "cache").symlink_to(shared / "cache")
    return path


def home_with_compiled(path: Path, shared: Path, wasm: Path) -> Path:
    """A new data dir at ``path`` whose compile cache holds only the data dir ``shared``'s
    compiled ``wasm`` (hard links: the artifact and its checksum).

    For tests that count what their own nodes compile: the count starts at that
    one entry, without compiling it again.
    """
    from wetnode.cell.cache import cache_key
    from wetnode.cell.engine import ENGINE_FINGERPRINT

    key = cache_key(wasm.read_bytes(), ENGINE_FINGERPRINT)
    components = path / "cache" / "components"
    components.mkdir(parents=True)
    for suffix in (".cwasm", ".crc32"):
        os.link(shared / "cache" / "components" / f"{key}{suffix}", components / f"{key}{suffix}")
    return path


def loopback_env(home: Path, **settings: object) -> dict[str, str]:
    """This environment without its ``WW_*`` settings, on data dir ``home`` and loopback,
    plus ``settings`` (``NET_IDLE=1`` sets ``WW_NET_IDLE``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WW_")}
    env.update(WW_HOME=str(home), WW_LISTEN="127.0.0.1")  # test nodes stay on loopback
    env.update({f"WW_{name}": str(value) for name, value in settings.items()})
    return env
