"""The node's desk: a proposal whose waiting call goes away is withdrawn."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trio
from eth_account import Account

from tests.approvals.approvers import Approvers
from wetnode.approvals.desk import open_approval_desk
from wetnode.approvals.errors import SignatureRefused
from wetnode.approvals.proposal import sign
from wetnode.approvals.store import ApprovalStore, approvals_path


async def test_a_cancelled_request_withdraws_its_proposal(tmp_path: Path):
    people = Approvers(tmp_path)
    alice = Account.create()
    async with (
        open_approval_desk(people.home, "node", None) as desk,
        trio.open_nursery() as nursery,
    ):

        async def ask() -> None:
            await desk.request(
                intent="i", action="a", parameters="{}", risk="low", ttl=60,
                approvers=[alice.address], threshold=1, caller="pid0",
            )  # fmt: skip

        nursery.start_soon(ask)
        pid = await people.pending()
        nursery.cancel_scope.cancel()
    store = ApprovalStore(approvals_path(people.home))
    try:
        assert store.get(pid)[1] == "withdrawn"
        with pytest.raises(SignatureRefused, match="was withdrawn"):
            store.sign(pid, "approve", sign(pid, "approve", bytes(alice.key)), time.time())
    finally:
        store.close()
