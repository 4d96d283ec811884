"""A Python child on the shared runtime: started from its image, it compiles nothing."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from agents import Ww, compiled_entries

pytestmark = pytest.mark.slow

Agent = Callable[..., Path]

PARENT = textwrap.dedent(
    """
    import wetnode.guest as ww


    async def drain(stream):
        chunks = []
        while data := (await stream.read(65536)).data:
            chunks.append(bytes(data))
        return b"".join(chunks)


    async def main():
        membrane = await ww.connect()
        caps = await membrane.graft(membrane.signer().signer)
        binary = caps.executor.loadPath("/bin/shout/boot/main.wasm").binary
        process = (await binary.spawn(["child", "says", "hi"], [])).process
        out = await drain(process.stdout().stream)
        code = (await process.wait()).exitCode
        print(f"parent got {out.decode().strip()!r}, exit {code}")
    """
)

CHILD = "import sys\nimport words\n\nprint(words.shout(sys.argv[1:]))\nsys.exit(4)\n"


def test_a_python_child_from_its_image_runs_and_compiles_nothing(
    agent: Agent, ww: Ww, agents_home: Path
) -> None:
    parent = agent("parent", PARENT)
    child = agent("shout", CHILD, words="def shout(words):\n    return ' '.join(words).upper()\n")
    for project in (parent, child):
        assert ww("build", str(project)).returncode == 0
    shutil.copytree(child, parent / "bin" / "shout")  # a PATH tool is an agent image in bin/
    ran = ww("run", str(parent))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "parent got 'CHILD SAYS HI', exit 4\n"
    # One compile at most (the parent's, if this home had none yet); the
    # elapsed-time line a slow compile adds is not a second one.
    assert ran.stderr.count("(one-time, cached)") <= 1, ran.stderr
    assert len(compiled_entries(agents_home)) == 1  # parent and child: one compiled runtime


FROM_BYTES = textwrap.dedent(
    """
    import wetnode.guest as ww


    async def main():
        membrane = await ww.connect()
        caps = await membrane.graft(membrane.signer().signer)
        with open("/boot/main.wasm", "rb") as runtime:  # the shared runtime: no agent inside
            binary = caps.executor.load(runtime.read()).binary
        process = (await binary.spawn([], [])).process
        stream = process.stderr().stream
        err = b""
        while data := (await stream.read(65536)).data:
            err += bytes(data)
        code = (await process.wait()).exitCode
        print(f"exit {code}: {err.decode().strip()}")
    """
)


def test_a_runtime_child_from_bytes_alone_says_in_one_line_it_has_no_agent(
    agent: Agent, ww: Ww
) -> None:
    parent = agent("from-bytes", FROM_BYTES)
    assert ww("build", str(parent)).returncode == 0
    ran = ww("run", str(parent))
    assert ran.returncode == 0, ran.stderr
    line = ran.stdout.strip()
    assert "\n" not in line, line
    assert line.startswith("exit 1: no agent: this child was started from the shared runtime's "
                           "bytes alone"), line  # fmt: skip
    assert "ww build --standalone" in line and "loadPath" in line, line
