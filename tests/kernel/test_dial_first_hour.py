"""`ww dial` against the default kernel (issue 15): a peer ID printed as one, and
`--shell` editing lines as `ww run`'s shell does (on a pty)."""

from __future__ import annotations

import os
import subprocess

import pytest
from node_process import WW, ServingNode, Terminal

pytestmark = pytest.mark.slow

PROMPT = "\u276f "


def test_host_id_prints_the_peer_id_as_text(kernel_node: ServingNode, node_env):
    done = subprocess.run(
        [*WW, "dial", kernel_node.address, "host.id"], env=node_env, capture_output=True,
        text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"{kernel_node.peer_id}\n"), done.stderr


def test_the_remote_shell_edits_lines_keeps_history_and_ctrl_c_drops_a_line(
    kernel_image, kernel_node: ServingNode, node_env
):
    shell = [*WW, "dial", kernel_node.address, "--shell", "--layer", str(kernel_image)]
    with Terminal(shell, node_env) as term:
        term.expect(PROMPT)
        assert '"one"' in term.send('(executor echo "one")')
        os.write(term.fd, b"\x1b[A\r")  # up: the last line again
        assert '"one"' in term.expect(PROMPT)
        os.write(term.fd, b'(executor echo "tw")\x1b[D\x1b[Do\r')  # left twice, insert
        assert '"two"' in term.expect(PROMPT)
        term.wait_for_mode(raw=True)  # the editor has the keys: Ctrl-C is one of them
        os.write(term.fd, b"(host half-typed\x03")  # Ctrl-C at the prompt: the line goes
        assert "^C" in term.expect(PROMPT)
        assert '"still"' in term.send('(executor echo "still")'), "Ctrl-C kept the shell"
        term.wait_for_mode(raw=True)
        os.write(term.fd, b"\x04")  # Ctrl-D on an empty line: the shell ends
        code = term.wait()
        shown = term.buffer.decode("utf-8", "replace")
    assert code == 0, shown
    assert "Traceback" not in shown, shown
