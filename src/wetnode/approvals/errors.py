"""Approval errors a signer is told, one line each (the wire refusals of a waiting
call, ``approvalExpired`` and ``approvalDenied``, are in `wetnode.membrane.errors`)."""

from __future__ import annotations

from wetnode.errors import WetnodeError


class ApprovalError(WetnodeError):
    """A proposal cannot be found or read, or the approvals file cannot be opened."""


class SignatureRefused(ApprovalError):
    """A signature does not count: expired, not an approver, a replay, already decided."""
