"""Exceptions that cross the wire: a remote failure keeps its Cap'n Proto type and reason."""

from __future__ import annotations

from typing import ClassVar

# rpc.capnp Exception.Type ordinals.
TYPES = ("failed", "overloaded", "disconnected", "unimplemented")
_TRANSPORT_PREFIXES = ("remote exception: ", "message = ")  # outermost first


def server_reason(reason: str) -> str:
    """A wire reason as the server wrote it, without the prefixes pycapnp adds.

    pycapnp prefixes a server's reason with ``message = `` and, when it passes
    on a reason it received, with ``remote exception: ``; both are dropped, so
    a reason starts with the server's own word (``staleEpoch``,
    ``notAllowed``...).  The one place that knows them: the host's
    ``wetnode.rpc.reasons.remote_reason`` calls this too.
    """
    for prefix in _TRANSPORT_PREFIXES:
        reason = reason.removeprefix(prefix)
    return reason


class RpcError(Exception):
    """A call failed; `type` is failed, overloaded, disconnected or unimplemented."""

    type = "failed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @staticmethod
    def of_type(type_ordinal: int, reason: str) -> RpcError:
        """The exception for a wire ``Exception``, its reason as the server wrote it
        (see `server_reason`)."""
        cls = _BY_TYPE.get(type_ordinal, Failed)
        return cls(server_reason(reason))

    @property
    def type_ordinal(self) -> int:
        return TYPES.index(self.type)


class Failed(RpcError):
    type = "failed"


class Overloaded(RpcError):
    type = "overloaded"


class Disconnected(RpcError):
    type = "disconnected"


class Unimplemented(RpcError):
    type = "unimplemented"


class Refusal(Failed):
    """A refusal whose reason starts with a stable word callers match on.

    Each subclass owns one word (its class attribute `word`), so the word is
    written once and never retyped in messages: ``NotAllowed("x.y is not
    exported")`` reads on the wire as ``notAllowed: x.y is not exported``.
    """

    word: ClassVar[str]

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.word}: {detail}")
        self.detail = detail


_BY_TYPE = {0: Failed, 1: Overloaded, 2: Disconnected, 3: Unimplemented}


def as_rpc_error(exc: BaseException) -> RpcError:
    """What a local failure looks like to the remote caller."""
    if isinstance(exc, RpcError):
        return exc
    return Failed(f"{type(exc).__name__}: {exc}")
