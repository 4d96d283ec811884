"""One module per `ww` subcommand: `configure(parser)` and `run(args) -> int`."""

from wetnode.errors import UsageError


def arrives_with(feature: str) -> UsageError:
    """The error for a subcommand whose feature has not landed yet (exit 2)."""
    return UsageError(f"this command arrives with {feature}; it is not available in this build")
