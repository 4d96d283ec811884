"""Every shell block of README.md and docs/*.md marked runnable runs, against real nodes.

One test per page: its marked blocks run in order (see `runnable` for the
marker, the placeholders and the environment), so the docs cannot drift
from what `ww` does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.docs import runnable
from tests.kernel.node_process import ready_line, start_node
from tests.support.devchain import Anvil
from tests.support.guests import home_sharing_cache

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
MARKED = [page for page in PAGES if runnable.blocks(page)]
BLOCK_TIMEOUT = 300.0


def test_some_pages_have_runnable_blocks():
    names = {page.name for page in MARKED}
    assert {"README.md", "stem.md", "shell.md"} <= names, names


def test_a_marker_off_a_shell_fence_is_an_error(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"{runnable.MARKER}\n\n```sh\nww doctor\n```\n")
    with pytest.raises(runnable.MarkerError, match=r"page\.md:1:"):
        runnable.blocks(page)


def _scratch(tmp_path: Path, kernel_image: Path, ww_home: Path) -> tuple[Path, dict[str, str]]:
    """A directory like the checkout's (images/kernel built), a fresh home, and the env.

    The home's data dir shares the session's compile cache: the kernel compiles once.
    """
    work = tmp_path / "work"
    shutil.copytree(kernel_image, work / "images" / "kernel")
    shutil.copytree(REPO / "images" / "examples", work / "images" / "examples",
                    ignore=shutil.ignore_patterns("*.wasm", "__pycache__"))  # fmt: skip
    home = tmp_path / "home"
    home_sharing_cache(home / ".ww", ww_home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WW_")}
    env |= {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "WW_PORT": "0",  # a free port for every node and `ww doctor`
        "WW_LISTEN": "127.0.0.1",
        "WW_RUNTIME_CACHE": os.environ["WW_RUNTIME_CACHE"],  # the session's one agent runtime
    }
    return work, env


def _kernel_node(stack: ExitStack, kernel_image: Path, env: dict[str, str], home: Path) -> str:
    """A kernel daemon with a data dir of its own; its first listen address."""
    home_sharing_cache(home, Path(env["HOME"]) / ".ww")
    proc = start_node(["--port", "0", str(kernel_image)], {**env, "WW_HOME": str(home)})
    stack.callback(proc.wait, 30)
    stack.callback(proc.kill)
    return ready_line(proc)["addrs"][0]


def _run(block: runnable.Block, text: str, work: Path, env: dict[str, str], log: Path) -> str:
    """Run one block; its own background jobs end with it.  Returns what it printed."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", text], cwd=work, env=env,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            code: int | None = proc.wait(timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # what it left in the background
            proc.wait()
    printed = log.read_text()
    assert code is not None, f"{block.where} ran over {BLOCK_TIMEOUT:g} s:\n{printed}"
    assert code == 0, f"{block.where} exited {code}:\n{text}\n--- it printed:\n{printed}"
    assert "Traceback" not in printed, f"{block.where} printed a traceback:\n{printed}"
    return printed


@pytest.mark.parametrize("page", MARKED, ids=[page.name for page in MARKED])
def test_the_runnable_blocks_of_the_page_run(page, kernel_image, ww_home, tmp_path):
    work, env = _scratch(tmp_path, kernel_image, ww_home)
    page_blocks = runnable.blocks(page)
    with ExitStack() as stack:
        address = None
        if any(block.needs_node for block in page_blocks):
            address = _kernel_node(stack, kernel_image, env, tmp_path / "node-home")
        if any(block.needs_chain for block in page_blocks):
            anvil = stack.enter_context(Anvil())
            env |= {"WW_RPC_URL": anvil.url, "WW_WS_URL": anvil.ws_url}
        for number, block in enumerate(page_blocks):
            text = runnable.script(block, address)
            _run(block, text, work, env, tmp_path / f"block-{number}.log")
