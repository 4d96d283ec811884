"""Audit log errors a user can act on: each names the log file at fault."""

from __future__ import annotations

from wetnode.errors import WetnodeError


class AuditError(WetnodeError):
    """The audit log cannot be opened, read or written, or no log matches the request."""
