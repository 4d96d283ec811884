"""`require_approval` in a real kernel's allow list: a remote call waits for k signatures."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from eth_account import Account
from eth_account.messages import encode_defunct

from tests.approvals.approvers import Approvers
from tests.kernel.node_process import free_port, ready_line, start_node
from wetnode.approvals.proposal import message
from wetnode.client import dial
from wetnode.keys import NodeKey

pytestmark = pytest.mark.slow


async def test_a_remote_call_under_require_approval_k2_waits_for_two_approvers(
    kernel_image, node_env, tmp_path
):
    people = Approvers(tmp_path, node_env)
    a, b, c = (people.address(n) for n in ("alice", "bob", "carol"))
    layer = tmp_path / "allow"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "membrane.allow").write_text(
        f"executor.echo require_approval({a}, {b}, {c}, k=2)\n"
        f"host.id require_approval({a}, k=1, ttl=2)\n"
    )
    node_key = NodeKey.generate()
    node_key.save(tmp_path / "node")
    port = free_port()
    argv = [
        "--port",
        str(port),
        "--identity",
        str(tmp_path / "node"),
        str(kernel_image),
        str(layer),
    ]
    proc = start_node(argv, node_env)
    node = str(node_key.peer_id)
    try:
        await trio.to_thread.run_sync(ready_line, proc)
        address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{node}"
        client = NodeKey.generate()
        answers: list[Any] = []

        async def echo(caps: Any) -> str:
            return str((await caps.executor.echo("approved")).response)

        async def host_id(caps: Any) -> str:
            try:
                await caps.host.id()
            except Exception as exc:  # the approval's refusal, as a remote exception
                return str(exc)
            return "returned"

        with trio.fail_after(300):
            async with dial(address, graft=True, secret=client.secret) as remote:
                async with trio.open_nursery() as nursery:

                    async def call() -> None:
                        answers.append(await remote.run(echo))

                    nursery.start_soon(call)
                    first = await people.pending(node)
                    shown = await people.ww("show", first)
                    # The approver sees the call's own arguments, in the signed proposal.
                    called = f'{{"arguments":{{"message":"approved"}},"peer":"{client.peer_id}"}}'
                    assert f"parameters {called}" in shown.stdout, shown.stdout
                    signed = await people.ww("sign", first, "--key", str(people.files["alice"]))
                    assert "1 of 2 approvals" in signed.stdout, signed.stderr
                    outsider = await people.ww(
                        "sign", first, "--key", str(people.files["outsider"])
                    )
                    assert outsider.returncode == 1
                    assert "is not an approver of proposal" in outsider.stderr
                    assert answers == []  # one approver is not enough: the call still waits
                    bob = NodeKey.load(people.files["bob"]).secret
                    wallet = Account.sign_message(
                        encode_defunct(text=message(first, "approve")), bob
                    )
                    second = await people.ww(
                        "sign", first, "--signature", "0x" + bytes(wallet.signature).hex()
                    )
                    assert second.returncode == 0, second.stderr
                assert answers == ["approved"]
                reuse = await people.ww("sign", first, "--key", str(people.files["carol"]))
                assert reuse.returncode == 1
                assert "already approved and used: approvals are single-use" in reuse.stderr
                expired = await remote.run(host_id)  # nobody signs within its 2 s
        assert "approvalExpired: proposal 0x" in expired, expired
    finally:
        proc.kill()
        proc.wait(timeout=30)
