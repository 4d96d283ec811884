"""Real guests for the kernel tests: `ww build` once per session, one shared cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WW = [sys.executable, "-m", "wetnode"]


def _build(project: Path, *flags: str) -> Path:
    result = subprocess.run(
        [*WW, "build", *flags, str(project)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return project / "boot" / "main.wasm"


@pytest.fixture(scope="session")
def ww_home(tmp_path_factory) -> Path:
    """One data dir (compile cache) for every node the kernel tests start."""
    return tmp_path_factory.mktemp("ww-home")


@pytest.fixture(scope="session")
def kernel_image(tmp_path_factory) -> Path:
    """A copy of images/kernel, built by the real `ww build` (the shared agent runtime)."""
    image = tmp_path_factory.mktemp("img") / "kernel"
    shutil.copytree(
        REPO / "images" / "kernel", image, ignore=shutil.ignore_patterns("*.wasm", "__pycache__")
    )
    _build(image)
    return image


@pytest.fixture(scope="session")
def tools_layer(tmp_path_factory) -> Path:
    """A layer with bin/echo-args.wasm (images/examples/echo-args, built) and an allow list.

    Standalone: `ww dial --shell` sends the tool to the remote node as bytes alone.
    """
    project = tmp_path_factory.mktemp("src") / "echo-args"
    shutil.copytree(REPO / "images" / "examples" / "echo-args", project,
                    ignore=shutil.ignore_patterns("*.wasm", "__pycache__"))
    wasm = _build(project, "--standalone")
    layer = tmp_path_factory.mktemp("tools")
    (layer / "bin").mkdir()
    shutil.copy(wasm, layer / "bin" / "echo-args.wasm")
    (layer / "etc").mkdir()
    (layer / "etc" / "membrane.allow").write_text("# exported to peers\nexecutor.echo\n")
    return layer


@pytest.fixture
def node_env(ww_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WW_")}
    env["WW_HOME"] = str(ww_home)
    env["WW_LISTEN"] = "127.0.0.1"  # test nodes stay on loopback
    return env
