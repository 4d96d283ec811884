"""The node side of approvals: record a proposal, wait (bounded) for its signatures.

`ww approve sign` runs in another process and writes its signature to the
shared file; SQLite tells no other process when a row is added, so the desk
looks every `POLL` seconds until the proposal is approved, denied or expires
(its expiry bounds the wait).  Every step goes into the audit log as an
``approval`` event: requested, each signature seen, and how it ended.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from wetnode.approvals.proposal import Proposal, Signature, outcome
from wetnode.approvals.store import ApprovalStore, approvals_path
from wetnode.membrane.errors import ApprovalDenied, ApprovalExpired

if TYPE_CHECKING:
    from wetnode.audit.log import AuditLog

T = TypeVar("T")
POLL = 0.25  # seconds between looks for new signatures


class ApprovalDesk:
    """Proposals of one node; `request` returns the approving signatures."""

    def __init__(self, path: Path, node: str, audit: AuditLog | None = None) -> None:
        self._path = path
        self._node = node
        self._audit = audit
        self._store: ApprovalStore | None = None
        self._lock = trio.Lock()  # one store call at a time: they share one connection

    async def request(
        self, *, intent: str, action: str, parameters: str, risk: str, ttl: int,
        approvers: Sequence[str], threshold: int, caller: str,
    ) -> tuple[Proposal, list[Signature]]:  # fmt: skip
        """Wait until ``threshold`` approvers signed; `ApprovalExpired` / `ApprovalDenied`.

        ``ValueError`` when the proposal itself is not valid.
        """
        proposal = Proposal.new(
            intent=intent, action=action, parameters=parameters, risk=risk, ttl=ttl,
            approvers=approvers, threshold=threshold, node=self._node, now=time.time(),
        )  # fmt: skip
        await self._call(ApprovalStore.add, proposal)
        pid = proposal.id
        self._record(caller, f"requested {pid}: {action} ({risk}), {threshold} of "
                     f"{', '.join(proposal.approvers)}")  # fmt: skip
        try:
            return await self._wait(proposal, caller)
        except trio.Cancelled:  # the caller went away: nobody waits for this proposal now
            with trio.CancelScope(shield=True):
                await self._call(ApprovalStore.settle, pid, "withdrawn")
            self._record(caller, f"withdrawn {pid}")
            raise

    async def _wait(self, proposal: Proposal, caller: str) -> tuple[Proposal, list[Signature]]:
        pid, threshold = proposal.id, proposal.threshold
        seen = 0
        with trio.move_on_at(trio.current_time() + proposal.expires - time.time()):
            while True:
                _, _, signatures = await self._call(ApprovalStore.get, pid)
                for counted in signatures[seen:]:
                    self._record(caller, f"{counted.decision} {pid} signed by {counted.address}")
                seen = len(signatures)
                state = outcome(proposal, signatures)
                if state != "pending":
                    await self._call(ApprovalStore.settle, pid, state)
                    self._record(caller, f"{state} {pid}")
                    if state == "denied":
                        raise ApprovalDenied(f"proposal {pid} was denied by an approver")
                    return proposal, [s for s in signatures if s.decision == "approve"]
                await trio.sleep(POLL)
        with trio.CancelScope(shield=True):
            await self._call(ApprovalStore.settle, pid, "expired")
        self._record(caller, f"expired {pid}")
        raise ApprovalExpired(f"proposal {pid} expired before {threshold} approvers signed it")

    async def _call(self, method: Callable[..., T], *args: Any) -> T:
        """``method(store, *args)`` in a worker thread (the file opened on first use)."""
        async with self._lock:
            if self._store is None:
                self._store = await trio.to_thread.run_sync(ApprovalStore, self._path)
            return await trio.to_thread.run_sync(method, self._store, *args)

    def _record(self, caller: str, detail: str) -> None:
        if self._audit is not None:
            self._audit.node_event("approval", 0, detail, caller=caller)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


@asynccontextmanager
async def open_approval_desk(
    home: Path, node: str, audit: AuditLog | None
) -> AsyncIterator[ApprovalDesk]:
    """The node's desk for the block, over ``home``'s approvals file (opened on first use)."""
    desk = ApprovalDesk(approvals_path(home), node, audit)
    try:
        yield desk
    finally:
        desk.close()
