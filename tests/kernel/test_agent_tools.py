"""The kernel shell runs a PATH tool kept as an agent image on the shared runtime."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from node_process import WW, Terminal

pytestmark = pytest.mark.slow

ECHO_ARGS = Path(__file__).resolve().parents[2] / "images" / "examples" / "echo-args"


def test_the_shell_runs_a_tool_that_is_an_agent_image_in_bin(
    kernel_image: Path, node_env: dict[str, str], tmp_path: Path
) -> None:
    layer = tmp_path / "tools"
    tool = layer / "bin" / "echo-args"
    shutil.copytree(ECHO_ARGS, tool, ignore=shutil.ignore_patterns("*.wasm", "__pycache__"))
    # The shared runtime, which finds the tool's boot/main.py in its image.
    built = subprocess.run([*WW, "build", str(tool)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    with Terminal([*WW, "run", "--port", "0", str(kernel_image), str(layer)], node_env) as term:
        term.expect("\u276f ")
        assert "from an agent image" in term.send('(echo-args "from an agent image")')
        failing = term.send('(echo-args --exit 5 "y")')
        assert "echo-args: exited with code 5" in failing
        os.write(term.fd, b"(exit)\n")
        assert term.wait() == 0
