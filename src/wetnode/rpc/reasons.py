"""How a capability server's failure reads on the wire, for every pycapnp server.

pycapnp turns an exception raised in a server method into a Cap'n Proto
``failed`` exception whose reason is the formatted Python traceback: host file
paths and code lines go to whoever called, untrusted guests and remote peers
included, and the reason no longer starts with a stable word such as
``staleEpoch``.  ``install`` (called once by ``open_vat``) replaces that
formatting with one line: the message alone for a ``WireReason``,
``Type: message`` for anything else; full tracebacks go to the host's debug log.

pycapnp still puts its fixed ``message = `` before the text (a KJ macro), and
the receiving side adds ``remote exception: ``; ``remote_reason`` strips both.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

import capnp

from wetnode.capnproto import server_reason

log = logging.getLogger(__name__)


class WireReason(Exception):
    """A refusal meant for the caller: its message is the whole wire reason."""


class _WireFormatter:
    """Stands in for the ``traceback`` module inside pycapnp (one function)."""

    @staticmethod
    def format_exception(
        etype: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> list[str]:
        if not isinstance(exc, WireReason):
            # The caller gets one line (the shell prints it); the traceback is for
            # whoever debugs the host, not for the operator's terminal.
            log.debug(
                "capability server failed:\n%s", "".join(traceback.format_exception(etype, exc, tb))
            )
        return [wire_reason(exc)]


def wire_reason(exc: BaseException) -> str:
    """The one line a caller reads when a server fails with ``exc``.

    A ``WireReason`` is its message; anything else is ``Type: message``.
    """
    if isinstance(exc, WireReason):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def install() -> None:
    """Make server exceptions travel as one clean line (idempotent, process-wide)."""
    capnp.lib.capnp._traceback = _WireFormatter


def remote_reason(exc: capnp.KjException) -> str:
    """The reason a remote server gave, without the transport's prefixes."""
    return server_reason(exc.description)
