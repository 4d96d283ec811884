"""`ww run --stem`: boot on an Atom's head, follow it to the next one (real anvil)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import trio
from node_process import WW, Terminal, ready_line

from tests.support.stem_node import stem_daemon
from wetnode.client import dial

pytestmark = pytest.mark.slow


async def _try(call) -> str:
    try:
        await call
        return "ok"
    except Exception as exc:  # a remote exception's text, for the assertions
        return str(exc)


async def test_new_head_reboots_pid0_on_the_new_base_layer(stem_heads):
    await trio.to_thread.run_sync(stem_heads.deploy, "executor.echo\n")
    with stem_daemon(stem_heads) as node:

        async def calls(caps: Any) -> tuple[str, str]:
            return await _try(caps.executor.echo("x")), await _try(caps.host.id())

        with trio.fail_after(120):
            async with dial(node.peer, graft=True) as remote:
                echo, host_id = await remote.run(calls)
        assert echo == "ok" and "notAllowed: host.id" in host_id, "head 1 exports echo only"

        await trio.to_thread.run_sync(stem_heads.advance, "executor.echo\nhost.id\n")
        again = await trio.to_thread.run_sync(ready_line, node.proc)
        assert again["peer_id"] == node.ready["peer_id"], "the same node, pid0 rebooted"

        with trio.fail_after(120):
            async with dial(node.peer, graft=True) as remote:
                echo, host_id = await remote.run(calls)
        assert (echo, host_id) == ("ok", "ok"), "head 2's allow list is in force"


async def test_the_first_line_typed_after_an_epoch_switch_reaches_the_new_shell(stem_heads):
    await trio.to_thread.run_sync(stem_heads.deploy, "executor.echo\n")
    argv = [*WW, "run", "--port", "0", *stem_heads.run_flags]
    with Terminal(argv, stem_heads.env) as term:
        await trio.to_thread.run_sync(term.expect, "\u276f ")
        peer = re.search(r'"16Uiu\w+"', await trio.to_thread.run_sync(term.send, "(host id)"))
        assert peer, "no peer ID"
        await trio.to_thread.run_sync(stem_heads.advance, "executor.echo\nhost.id\n")
        await trio.to_thread.run_sync(term.expect, "epoch 1 adopted")
        await trio.to_thread.run_sync(term.expect, "\u276f ")  # the new pid0's shell
        again = await trio.to_thread.run_sync(term.send, "(host id)")  # its very first line
        assert peer[0] in again, again
        os.write(term.fd, b"(exit)\n")
        assert await trio.to_thread.run_sync(term.wait) == 0
