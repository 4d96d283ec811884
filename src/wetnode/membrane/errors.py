"""Errors capability servers raise.

Each is a ``WireReason``: its message alone is what the caller reads (see
``wetnode.rpc.reasons``).  A refusal that callers match on has a stable word,
owned by its class (``word``) and put first by the class, never retyped in
a message: ``StaleEpoch("...")`` reads ``staleEpoch: ...`` on the wire.
"""

from __future__ import annotations

from typing import ClassVar

from wetnode.rpc.reasons import WireReason


class CapabilityError(WireReason):
    """A refusal meant for the caller: its message is the whole wire reason."""

    word: ClassVar[str | None] = None

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.word}: {detail}" if self.word else detail)


class StaleEpoch(CapabilityError):
    """The capability was issued under an epoch the node has left."""

    word = "staleEpoch"


class GraftRefused(CapabilityError):
    """The graft's challenge-response failed."""

    word = "graftRefused"


class HookTimeout(CapabilityError):
    """A hook child did not answer a check within its time budget."""

    word = "hookTimeout"


class NotAvailable(CapabilityError):
    """The node lacks the backend this call needs (IPFS, a guest runtime...)."""


class ApprovalExpired(CapabilityError):
    """The proposal expired before enough approvers signed it."""

    word = "approvalExpired"


class ApprovalDenied(CapabilityError):
    """An approver denied the proposal."""

    word = "approvalDenied"
