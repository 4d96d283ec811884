"""The one error type of the stem package."""

from wetnode.errors import UserError


class StemError(UserError):
    """A stem operation failed for a reason the operator can act on (one line)."""
