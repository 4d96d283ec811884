"""`ww mcp serve` across an epoch change of a `ww run --stem` node (real anvil)."""

from __future__ import annotations

import pytest
import trio

from tests.kernel.node_process import ready_line
from tests.mcp.conftest import mcp_session
from tests.support.stem_node import stem_daemon

pytestmark = pytest.mark.slow


async def test_after_an_epoch_change_the_session_grafts_again_and_reads_the_new_tools(
    stem_heads,
):
    await trio.to_thread.run_sync(stem_heads.deploy, "executor.echo\n")
    with stem_daemon(stem_heads) as node, trio.fail_after(240):
        async with mcp_session(node.peer, stem_heads.env) as session:
            before = await session.call_tool("executor.echo", {"message": "epoch 0"})
            assert before.structured_content == {"response": "epoch 0"}
            assert [t.name for t in (await session.list_tools()).tools] == ["executor.echo"]

            await trio.to_thread.run_sync(stem_heads.advance, "executor.echo\nhost.id\n")
            await trio.to_thread.run_sync(ready_line, node.proc)  # pid0 booted on head 2

            # The old graft died with the old pid0: this call grafts again by itself.
            after = await session.call_tool("executor.echo", {"message": "epoch 1"})
            assert not after.is_error, after.content
            assert after.structured_content == {"response": "epoch 1"}
            names = [t.name for t in (await session.list_tools()).tools]
            assert names == ["executor.echo", "host.id"]
            host_id = await session.call_tool("host.id", {})
            assert not host_id.is_error, host_id.content
