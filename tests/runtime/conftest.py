"""Agents on the shared runtime, driven through the real `ww` CLI.

Every node these tests start shares one data dir, so its compile cache holds
the runtime compiled once: an agent that compiles anything else shows up as a
second entry there.  That one entry is the session's own compile of the
runtime (the kernel is an agent on it), linked in, not a second compile.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from agents import TIMEOUT, WW, Ww

from tests.kernel.node_process import ServingNode
from tests.support.guests import home_with_compiled


@pytest.fixture(scope="session")
def agents_home(
    tmp_path_factory: pytest.TempPathFactory,
    kernel_image: Path,
    kernel_node: ServingNode,
    ww_home: Path,
) -> Path:
    """The data dir (compile cache) of every node these tests start: the compiled runtime.

    `kernel_node` booted the kernel, whose boot/main.wasm is the runtime, on
    `ww_home`'s cache.
    """
    home = tmp_path_factory.mktemp("agents") / "home"
    return home_with_compiled(home, ww_home, kernel_image / "boot" / "main.wasm")


@pytest.fixture
def ww(agents_home: Path) -> Ww:
    """`ww(*args)`: the real CLI in a subprocess, on loopback, with the shared data dir."""

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WW_")}
        env["WW_HOME"] = str(agents_home)
        env["WW_LISTEN"] = "127.0.0.1"
        env["WW_RUNTIME_CACHE"] = os.environ["WW_RUNTIME_CACHE"]  # the session's runtime
        return subprocess.run(
            [*WW, *args], capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
            stdin=subprocess.DEVNULL, env=env, check=False,
        )

    return run


@pytest.fixture
def agent(tmp_path: Path, ww: Ww) -> Callable[..., Path]:
    """`agent(name, main_py, **lib_files)`: an agent scaffolded by `ww init`, then edited."""

    def make(name: str, main_py: str | None = None, **lib_files: str) -> Path:
        project = tmp_path / name
        assert ww("init", str(project)).returncode == 0
        if main_py is not None:
            (project / "boot" / "main.py").write_text(main_py)
        for module, source in lib_files.items():
            (project / "lib" / "python" / f"{module}.py").write_text(source)
        return project

    return make
