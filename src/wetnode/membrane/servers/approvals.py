"""Approvals as a capability: pid0 asks, a person signs, the call returns.

The server turns the wire `Proposal` into a call on the node's
`ApprovalDesk` (trio side) and waits for it: the answer lists who approved,
with their signatures; an expired or denied proposal fails the call with
``approvalExpired`` / ``approvalDenied``.  pid0 can attenuate it like any
capability (hand a child a wrapper that fixes the approvers, say).
"""

from __future__ import annotations

import functools
from typing import Any

from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.session import Session
from wetnode.schemas import stem as _stem


class ApprovalsServer(Guarded, _stem.Approvals.Server):
    def __init__(self, guard: EpochGuard, session: Session) -> None:
        super().__init__(guard)
        self._session = session

    async def request(self, proposal: Any, _context: Any, **_: Any) -> None:
        session = self._session
        assert session.approvals is not None
        ask = functools.partial(
            session.approvals.request,
            intent=proposal.intent, action=proposal.action, parameters=proposal.parameters,
            risk=proposal.risk, ttl=proposal.ttlSeconds, approvers=list(proposal.approvers),
            threshold=proposal.threshold, caller=session.tap.caller if session.tap else "",
        )  # fmt: skip
        try:
            found, signatures = await session.vat.to_trio(ask)
        except ValueError as exc:
            raise CapabilityError(f"request: {exc}") from None
        approval = _context.results.init("approval")
        approval.id = found.id
        approval.approvers = [s.address for s in signatures]
        approval.signatures = [s.signature for s in signatures]
