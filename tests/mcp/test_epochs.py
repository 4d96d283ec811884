"""`ww mcp serve` across an epoch change of a `ww run --stem` node (real anvil)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import trio

from tests.kernel.node_process import WW, free_port, ready_line, start_node
from tests.mcp.conftest import mcp_session
from tests.support.devchain import Anvil
from wetnode.ipfs.cid import Cid
from wetnode.stem import contract

pytestmark = pytest.mark.slow

DEPTH = 2


def _push(kernel_image, tmp_path, name: str, allow: str, env, *extra: str) -> str:
    """The kernel with ``allow`` as its allow list, pushed into the node's store; the output."""
    tree = tmp_path / name
    shutil.copytree(kernel_image, tree)
    (tree / "etc" / "membrane.allow").write_text(allow)
    result = subprocess.run(
        [*WW, "push", str(tree), *extra], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_after_an_epoch_change_the_session_grafts_again_and_reads_the_new_tools(
    kernel_image, node_env, tmp_path
):
    with Anvil() as chain:
        first = _push(kernel_image, tmp_path, "v1", "executor.echo\n", node_env)
        head = Cid.parse(first.split()[0]).to_bytes()
        key = chain.private_keys[0]
        address = await trio.to_thread.run_sync(contract.deploy, chain.url, key, head)
        port = free_port()
        proc = start_node(
            [
                "--port", str(port), "--stem", address, "--rpc-url", chain.url,
                "--ws-url", chain.ws_url, "--confirmation-depth", str(DEPTH),
            ],
            node_env,
        )  # fmt: skip
        try:
            ready = await trio.to_thread.run_sync(ready_line, proc)
            peer = f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready['peer_id']}"
            with trio.fail_after(240):
                async with mcp_session(peer, node_env) as session:
                    before = await session.call_tool("executor.echo", {"message": "epoch 0"})
                    assert before.structured_content == {"response": "epoch 0"}
                    assert [t.name for t in (await session.list_tools()).tools] == ["executor.echo"]

                    stem = ["--stem", address, "--rpc-url", chain.url, "--key", key]
                    allow = "executor.echo\nhost.id\n"
                    pushed = await trio.to_thread.run_sync(
                        _push, kernel_image, tmp_path, "v2", allow, node_env, *stem
                    )
                    assert "is now seq 1" in pushed, pushed
                    await trio.to_thread.run_sync(chain.mine, DEPTH)
                    await trio.to_thread.run_sync(ready_line, proc)  # pid0 booted on head 2

                    # The old graft died with the old pid0: this call grafts again by itself.
                    after = await session.call_tool("executor.echo", {"message": "epoch 1"})
                    assert not after.is_error, after.content
                    assert after.structured_content == {"response": "epoch 1"}
                    names = [t.name for t in (await session.list_tools()).tools]
                    assert names == ["executor.echo", "host.id"]
                    host_id = await session.call_tool("host.id", {})
                    assert not host_id.is_error, host_id.content
        finally:
            proc.kill()
            proc.wait(timeout=30)
