"""Exceptions that cross the wire: a remote failure keeps its Cap'n Proto type and reason."""

from __future__ import annotations

# rpc.capnp Exception.Type ordinals.
TYPES = ("failed", "overloaded", "disconnected", "unimplemented")
_TRANSPORT_PREFIXES = ("remote exception: ", "message = ")  # outermost first


class RpcError(Exception):
    """A call failed; `type` is failed, overloaded, disconnected or unimplemented."""

    type = "failed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @staticmethod
    def of_type(type_ordinal: int, reason: str) -> RpcError:
        """The exception for a wire ``Exception``, its reason as the server wrote it.

        pycapnp prefixes a server's reason with ``message = `` and, when it
        passes on a reason it received, with ``remote exception: ``; both are
        dropped, so a reason starts with the server's own word (``staleEpoch``,
        ``notAllowed``...).  The host strips the same two in
        ``wetnode.rpc.reasons.remote_reason``.
        """
        for prefix in _TRANSPORT_PREFIXES:
            reason = reason.removeprefix(prefix)
        cls = _BY_TYPE.get(type_ordinal, Failed)
        return cls(reason)

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


_BY_TYPE = {0: Failed, 1: Overloaded, 2: Disconnected, 3: Unimplemented}


def as_rpc_error(exc: BaseException) -> RpcError:
    """What a local failure looks like to the remote caller."""
    if isinstance(exc, RpcError):
        return exc
    return Failed(f"{type(exc).__name__}: {exc}")
