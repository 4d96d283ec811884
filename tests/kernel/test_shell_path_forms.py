"""A PATH tool named like a shell built-in: the name is the built-in, the path is the tool."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from node_process import WW, Terminal

pytestmark = pytest.mark.slow

PROMPT = "\u276f "


def test_a_tool_called_find_runs_by_its_path_and_find_stays_the_routing_built_in(
    kernel_image: Path, tools_layer: Path, node_env: dict[str, str], tmp_path: Path
) -> None:
    layer = tmp_path / "find-tool"
    (layer / "bin").mkdir(parents=True)
    shutil.copy(tools_layer / "bin" / "echo-args.wasm", layer / "bin" / "find.wasm")
    with Terminal([*WW, "run", "--port", "0", str(kernel_image), str(layer)], node_env) as term:
        term.expect(PROMPT)
        assert "announced own-name" in term.send('(announce "own-name")')
        # The built-in: this node, which provides the name (the tool would print the name).
        shown = term.send('(find "own-name")')
        found = [line for line in shown.splitlines() if "16Uiu2" in line]
        assert found and not any("own-name" in line for line in found), shown
        # The tool, by its absolute path and by one relative to the working directory.
        assert "by its path" in term.send('(/bin/find "by" "its" "path")')
        assert "relative" in term.send('(bin/find "relative")')
        missing = term.send('(/bin/nothing "x")')
        assert "error: /bin/nothing: no such tool" in missing, missing
        os.write(term.fd, b"(exit)\n")
        assert term.wait() == 0
