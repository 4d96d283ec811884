"""`ww run --stem`: boot on an Atom's head, follow it to the next one (real anvil)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

import pytest
import trio
from node_process import WW, Terminal, free_port, ready_line, start_node

from tests.support.devchain import Anvil
from wetnode.client import dial
from wetnode.ipfs.cid import Cid
from wetnode.stem import contract

pytestmark = pytest.mark.slow

DEPTH = 2


@pytest.fixture(scope="module")
def chain():
    with Anvil() as anvil:
        yield anvil


def _image(kernel_image, tmp_path, name: str, allow: str):
    """The kernel plus an allow list, as an image tree."""
    tree = tmp_path / name
    shutil.copytree(kernel_image, tree)
    (tree / "etc").mkdir(exist_ok=True)
    (tree / "etc" / "membrane.allow").write_text(allow)
    return tree


def _push(tree, env, *extra: str) -> subprocess.CompletedProcess:
    """`ww push` into the node's embedded store (same WW_HOME as the node)."""
    result = subprocess.run(
        [*WW, "push", str(tree), *extra], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


async def _try(call) -> str:
    try:
        await call
        return "ok"
    except Exception as exc:  # a remote exception's text, for the assertions
        return str(exc)


async def test_new_head_reboots_pid0_on_the_new_base_layer(kernel_image, node_env, chain, tmp_path):
    v1 = _push(_image(kernel_image, tmp_path, "v1", "executor.echo\n"), node_env)
    first = Cid.parse(v1.stdout.split()[0]).to_bytes()
    key = chain.private_keys[0]
    address = await trio.to_thread.run_sync(contract.deploy, chain.url, key, first)
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

        async def calls(caps: Any) -> tuple[str, str]:
            return await _try(caps.executor.echo("x")), await _try(caps.host.id())

        with trio.fail_after(120):
            async with dial(peer, graft=True) as remote:
                echo, host_id = await remote.run(calls)
        assert echo == "ok" and "notAllowed: host.id" in host_id, "head 1 exports echo only"

        v2 = _image(kernel_image, tmp_path, "v2", "executor.echo\nhost.id\n")
        stem_flags = ["--stem", address, "--rpc-url", chain.url, "--key", key]
        pushed = await trio.to_thread.run_sync(_push, v2, node_env, *stem_flags)
        assert "is now seq 1" in pushed.stdout, pushed.stdout
        await trio.to_thread.run_sync(chain.mine, DEPTH)
        again = await trio.to_thread.run_sync(ready_line, proc)
        assert again["peer_id"] == ready["peer_id"], "the same node, pid0 rebooted"

        with trio.fail_after(120):
            async with dial(peer, graft=True) as remote:
                echo, host_id = await remote.run(calls)
        assert (echo, host_id) == ("ok", "ok"), "head 2's allow list is in force"
    finally:
        proc.kill()
        proc.wait(timeout=30)


async def test_the_first_line_typed_after_an_epoch_switch_reaches_the_new_shell(
    kernel_image, node_env, chain, tmp_path
):
    v1 = _push(_image(kernel_image, tmp_path, "v1", "executor.echo\n"), node_env)
    first = Cid.parse(v1.stdout.split()[0]).to_bytes()
    key = chain.private_keys[0]
    address = await trio.to_thread.run_sync(contract.deploy, chain.url, key, first)
    argv = [
        *WW, "run", "--port", "0", "--stem", address, "--rpc-url", chain.url,
        "--ws-url", chain.ws_url, "--confirmation-depth", str(DEPTH),
    ]  # fmt: skip
    with Terminal(argv, node_env) as term:
        await trio.to_thread.run_sync(term.expect, "\u276f ")
        peer = re.search(r'"16Uiu\w+"', await trio.to_thread.run_sync(term.send, "(host id)"))
        assert peer, "no peer ID"
        v2 = _image(kernel_image, tmp_path, "v2", "executor.echo\nhost.id\n")
        stem_flags = ["--stem", address, "--rpc-url", chain.url, "--key", key]
        await trio.to_thread.run_sync(_push, v2, node_env, *stem_flags)
        await trio.to_thread.run_sync(chain.mine, DEPTH)
        await trio.to_thread.run_sync(term.expect, "epoch 1 adopted")
        await trio.to_thread.run_sync(term.expect, "\u276f ")  # the new pid0's shell
        again = await trio.to_thread.run_sync(term.send, "(host id)")  # its very first line
        assert peer[0] in again, again
        os.write(term.fd, b"(exit)\n")
        assert await trio.to_thread.run_sync(term.wait) == 0
