"""Keys typed before the line editor reads (issue 15): a Ctrl-D is not lost."""

from __future__ import annotations

import os

import pytest
from node_process import WW, Terminal

pytestmark = pytest.mark.slow


def test_ctrl_d_typed_before_the_first_prompt_ends_the_shell(kernel_image, node_env):
    """The terminal is in its own mode until pid0 first reads: its line discipline takes
    the Ctrl-D then, and the editor must still see it as one."""
    with Terminal([*WW, "run", "--port", "0", str(kernel_image)], node_env) as term:
        os.write(term.fd, b"\x04")  # typed while the node boots
        term.expect("\u276f ")
        code = term.wait()
        shown = term.buffer.decode("utf-8", "replace")
    assert code == 0, shown
    assert "Traceback" not in shown, shown
