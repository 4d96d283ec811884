"""Ctrl-C stops the one-time compile at once (issue 15, item 9).

Through the real `ww run` on a pseudo-terminal, with a compile cache of its
own so the kernel really compiles (5-50 s: on an idle machine it can end
before its first "… 5 s" note, so Ctrl-C follows the note that it started).
That the compile says how long it has taken is `tests/foundation/test_notice.py`.
"""

from __future__ import annotations

import os
import time

import pytest
import trio
from node_process import WW, Terminal

pytestmark = pytest.mark.slow


async def test_ctrl_c_during_the_first_compile_exits_130_at_once(kernel_image, node_env, tmp_path):
    env = {**node_env, "WW_HOME": str(tmp_path / "cold-home")}  # an empty compile cache
    with Terminal([*WW, "run", "--port", "0", str(kernel_image)], env) as term:
        await trio.to_thread.run_sync(term.expect, "compiling guest pid0 (one-time, cached)", 120)
        os.write(term.fd, b"\x03")
        pressed = time.monotonic()
        code = await trio.to_thread.run_sync(term.wait)
        took = time.monotonic() - pressed
        shown = term.buffer.decode("utf-8", "replace")
    assert code == 130, (code, shown)
    assert took < 5, f"exited {took:.1f} s after Ctrl-C: it waited for the compile"
    assert "Traceback" not in shown, shown
