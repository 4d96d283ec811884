"""`ww run --stem`: boot on an Atom's head, follow it to the next one (real anvil)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import trio
from node_process import WW, Terminal, ready_line, wait_for_stderr

from tests.support.stem_node import DEPTH, stem_daemon
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


async def test_after_a_reorg_deeper_than_the_depth_running_and_fresh_nodes_run_one_head(stem_heads):
    """Issue 12, attack 14: the adopted head's block is replaced, then seq 1 is set again."""
    await trio.to_thread.run_sync(stem_heads.deploy, "executor.echo\n")
    stem_heads.chain.mine(DEPTH + 3)  # the reorg below must not reach the deployment
    with stem_daemon(stem_heads) as running:
        await trio.to_thread.run_sync(stem_heads.advance, "executor.echo\nhost.id\n")
        await trio.to_thread.run_sync(wait_for_stderr, running.proc, "epoch 1 adopted")
        await trio.to_thread.run_sync(ready_line, running.proc)

        # Replace the setHead's block, the depth above it and one below with empty blocks.
        stem_heads.chain.rpc("anvil_reorg", [DEPTH + 2, []])
        await trio.to_thread.run_sync(wait_for_stderr, running.proc, "epoch 2 adopted")
        await trio.to_thread.run_sync(ready_line, running.proc)  # back on the first head

        pushed = await trio.to_thread.run_sync(stem_heads.push_head, "executor.echo\nhost.peers\n")
        assert "is now seq 1" in pushed, pushed  # the same seq as the orphaned head
        await trio.to_thread.run_sync(wait_for_stderr, running.proc, "epoch 3 adopted")
        await trio.to_thread.run_sync(ready_line, running.proc)

        with stem_daemon(stem_heads) as fresh:
            for node in (running, fresh):
                with trio.fail_after(120):
                    async with dial(node.peer, graft=True) as remote:
                        peers, host_id = await remote.run(
                            lambda caps: _both(caps.host.peers(), caps.host.id())
                        )
                assert peers == "ok" and "notAllowed: host.id" in host_id, node.peer


async def _both(first, second) -> tuple[str, str]:
    return await _try(first), await _try(second)
