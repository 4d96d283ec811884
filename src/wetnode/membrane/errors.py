"""Errors capability servers raise.

Each is a ``WireReason``: its message alone is what the caller reads (see
``wetnode.rpc.reasons``), so reasons start with a stable word such as
``staleEpoch`` or ``graftRefused``.
"""

from __future__ import annotations

from wetnode.rpc.reasons import WireReason


class CapabilityError(WireReason):
    """A refusal meant for the caller: its message is the whole wire reason."""


class StaleEpoch(CapabilityError):
    """The capability was issued under an epoch the node has left."""


class GraftRefused(CapabilityError):
    """The graft's challenge-response failed."""


class NotAvailable(CapabilityError):
    """The node lacks the backend this call needs (IPFS, a guest runtime...)."""
