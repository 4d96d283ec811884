"""Approvals.request through a real membrane, signed by the real `ww approve` in subprocesses."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import capnp
import pytest
import trio
from eth_account import Account
from eth_account.messages import encode_defunct

from tests.approvals.approvers import Approvers
from wetnode.approvals.desk import open_approval_desk
from wetnode.approvals.proposal import message
from wetnode.audit.log import open_audit_log
from wetnode.audit.store import AuditStore, log_path
from wetnode.keys import NodeKey
from wetnode.membrane import OfflineNetwork, open_membrane_host
from wetnode.rpc import schema
from wetnode.rpc.reasons import remote_reason
from wetnode.rpc.vat import Vat, open_vat

NODE_KEY = NodeKey.generate()
TTL = 3600  # longer than any run: only the test of expiry lets a proposal expire


async def _request(vat: Vat, pid0_end: socket.socket, approvers: list[str], **fields: Any) -> Any:
    async def call() -> Any:
        client = await vat.connect(pid0_end)
        membrane = client.bootstrap().cast_as(schema.stem().GuestMembrane)
        caps = await membrane.graft((await membrane.signer()).signer)
        request = caps.approvals.request_request()
        proposal = request.init("proposal")
        proposal.intent = "run the payment job"
        proposal.action = "executor.runBytes"
        proposal.parameters = '{"amount": 5}'
        proposal.risk = "high"
        proposal.approvers = approvers
        proposal.threshold = fields.get("threshold", 2)
        proposal.ttlSeconds = fields.get("ttl", TTL)
        try:
            answer = (await request.send()).approval
        except capnp.KjException as exc:
            return remote_reason(exc)
        return answer.id, list(answer.approvers), [bytes(s) for s in answer.signatures]

    return await vat.run(call)


async def _scenario(people: Approvers, sign: Any, **fields: Any) -> Any:
    """Serve pid0's membrane, have it request an approval, run ``sign(id)`` (if any) meanwhile."""
    approvers = [people.address(n) for n in ("alice", "bob", "carol")]
    network = OfflineNetwork(NODE_KEY.peer_id_bytes)
    async with (
        open_audit_log(people.home / "audit", NODE_KEY, flush_interval=0.1, sign_every=100) as log,
        open_vat() as vat,
        open_approval_desk(people.home, str(NODE_KEY.peer_id), log) as desk,
        open_membrane_host(
            vat, node_key=NODE_KEY, network=network, approvals=desk, audit=log
        ) as host,
    ):
        host_end, pid0_end = socket.socketpair()
        await host.attach_pid0(host_end)
        answer: list[Any] = []

        async def ask() -> None:
            answer.append(await _request(vat, pid0_end, approvers, **fields))

        with trio.fail_after(300):  # several `ww` starts on a loaded machine
            async with trio.open_nursery() as nursery:
                nursery.start_soon(ask)
                if sign is not None:
                    await sign(await people.pending())
        return answer[0]


@pytest.mark.slow
async def test_two_of_three_approvers_sign_and_the_waiting_call_returns(tmp_path: Path):
    people = Approvers(tmp_path)
    seen: dict[str, Any] = {}

    async def sign(pid: str) -> None:
        seen["id"] = pid
        first = await people.ww("sign", pid, "--key", str(people.files["alice"]))
        assert first.returncode == 0, first.stderr
        assert "1 of 2 approvals" in first.stdout
        seen["replay"] = await people.ww("sign", pid, "--key", str(people.files["alice"]))
        seen["outsider"] = await people.ww("sign", pid, "--key", str(people.files["outsider"]))
        shown = await people.ww("show", pid)
        assert message(pid, "approve") in shown.stdout
        # Bob signs in a wallet: eth_account's sign_message is personal_sign.
        bob = NodeKey.load(people.files["bob"]).secret
        wallet = Account.sign_message(encode_defunct(text=message(pid, "approve")), bob)
        second = await people.ww("sign", pid, "--signature", "0x" + bytes(wallet.signature).hex())
        assert second.returncode == 0, second.stderr

    pid, approved_by, signatures = await _scenario(people, sign)
    assert pid == seen["id"]
    # One signature was not enough: the answer came with both, in signing order.
    assert approved_by == [people.address("alice"), people.address("bob")]
    assert len(signatures) == 2 and all(len(s) == 65 for s in signatures)
    for refused, reason in (
        (seen["replay"], "already signed proposal"),
        (seen["outsider"], f"{people.address('outsider')} is not an approver of proposal"),
    ):
        assert refused.returncode == 1 and reason in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    late = await people.ww("sign", pid, "--key", str(people.files["carol"]))
    assert late.returncode == 1
    assert "was already approved and used: approvals are single-use" in late.stderr
    listed = await people.ww("list")
    assert f"{pid}  approved" in listed.stdout
    store = AuditStore.read(log_path(people.home / "audit", str(NODE_KEY.peer_id)))
    details = [e["detail"] for r in store.rows() if (e := r.event())["kind"] == "approval"]
    assert [d.split()[0] for d in details] == ["requested", "approve", "approve", "approved"]
    assert f"approve {pid} signed by {people.address('bob')}" in details
    calls = [e for r in store.rows() if (e := r.event())["kind"] == "call"]
    assert [(e["caller"], e["method"], e["outcome"]) for e in calls] == [
        ("pid0", "Approvals.request", "returned")
    ]


@pytest.mark.slow
async def test_an_expired_proposal_fails_the_waiting_call_and_takes_no_signature(tmp_path: Path):
    people = Approvers(tmp_path)

    reason = await _scenario(people, None, ttl=1)  # nobody signs within the second
    assert reason.startswith("approvalExpired: proposal 0x")
    pid = reason.split()[2]
    late = await people.ww("sign", pid, "--key", str(people.files["alice"]))
    assert late.returncode == 1 and f"proposal {pid} was expired" in late.stderr


@pytest.mark.slow
async def test_a_denial_by_one_approver_fails_the_waiting_call(tmp_path: Path):
    people = Approvers(tmp_path)

    async def deny(pid: str) -> None:
        done = await people.ww("deny", pid, "--key", str(people.files["carol"]))
        assert done.returncode == 0, done.stderr

    reason = await _scenario(people, deny)
    assert reason.startswith("approvalDenied: proposal 0x") and "was denied" in reason
