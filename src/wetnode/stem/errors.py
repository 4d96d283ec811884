"""The one error type of the stem package."""

from wetnode.errors import WetnodeError


class StemError(WetnodeError):
    """A stem operation failed for a reason the operator can act on (one line)."""
