"""Errors a user can act on.

A `UserError` carries one line that names the thing at fault and what to do
about it.  The CLI prints that line without a traceback (unless `--debug`)
and exits with the error's code.
"""


class UserError(Exception):
    """A problem with the user's input or environment, not a bug."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(UserError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


def sole_exception(group: BaseExceptionGroup) -> BaseException:
    """The one exception inside nested single-member groups, else the group itself.

    Each trio nursery wraps what escapes it, so an error raised deep in a
    node or a client comes out several groups deep; callers want it as raised.
    """
    inner: BaseException = group
    while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
        inner = inner.exceptions[0]
    return group if isinstance(inner, BaseExceptionGroup) else inner
