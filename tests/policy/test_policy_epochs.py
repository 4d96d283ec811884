"""A grant bound to 2 epochs ends at the node's second head advance (real anvil, real Atom)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import trio

from tests.kernel.node_process import WW, free_port, ready_line, start_node
from tests.support.devchain import Anvil
from wetnode.client import dial
from wetnode.ipfs.cid import Cid
from wetnode.stem import contract

pytestmark = pytest.mark.slow

DEPTH = 2
POLICY = """\
# head {n}
[[export.grant]]
methods = ["executor.echo"]
epochs = 2
"""


def _image(kernel: Path, tmp_path: Path, n: int) -> Path:
    """The kernel with a policy whose grant lasts 2 epochs (`n` only makes each head new)."""
    tree = tmp_path / f"v{n}"
    shutil.copytree(kernel, tree)
    (tree / "etc" / "policy.toml").write_text(POLICY.format(n=n))
    return tree


def _push(tree: Path, env: dict[str, str], *extra: str) -> str:
    result = subprocess.run(
        [*WW, "push", str(tree), *extra], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def _echo(caps: Any) -> str:
    try:
        return str((await caps.executor.echo("x")).response)
    except Exception as exc:  # the remote refusal's text
        return str(exc)


async def test_a_grant_for_two_epochs_stops_after_the_second_head_advance(
    warm_kernel, node_env, tmp_path
):
    with Anvil() as chain:
        first = Cid.parse(_push(_image(warm_kernel, tmp_path, 0), node_env).split()[0])
        key = chain.private_keys[0]
        address = await trio.to_thread.run_sync(contract.deploy, chain.url, key, first.to_bytes())
        port = free_port()
        proc = start_node(
            [
                "--port", str(port), "--stem", address, "--rpc-url", chain.url,
                "--ws-url", chain.ws_url, "--confirmation-depth", str(DEPTH),
            ],
            node_env,
        )  # fmt: skip
        answers = []
        try:
            ready = await trio.to_thread.run_sync(ready_line, proc)
            peer = f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready['peer_id']}"
            for n in (1, 2, 3):
                with trio.fail_after(120):
                    async with dial(peer, graft=True) as remote:
                        answers.append(await remote.run(_echo))
                if n == 3:
                    break
                flags = ["--stem", address, "--rpc-url", chain.url, "--key", key]
                tree = _image(warm_kernel, tmp_path, n)
                pushed = await trio.to_thread.run_sync(_push, tree, node_env, *flags)
                assert f"is now seq {n}" in pushed, pushed
                await trio.to_thread.run_sync(chain.mine, DEPTH)
                await trio.to_thread.run_sync(ready_line, proc)  # pid0 rebooted on the head
        finally:
            proc.kill()
            proc.wait(timeout=30)
    assert answers[:2] == ["x", "x"], answers
    assert "policyDenied: grant for executor.echo expired after 2 epochs" in answers[2], answers
