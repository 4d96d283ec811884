"""One epoch check, and one audit record, for every method of every capability a graft hands out.

Subclass ``Guarded`` together with a pycapnp ``Interface.Server``: at class
creation each method of the interface (defined there or inherited) is wrapped
so that ``self.guard.check()`` runs before its body.  No server writes the check by
hand, so no method can forget it.

The same wrapper is the audit log's seam for local guests: when the guard
carries a tap (`EpochGuard.tap`), each call is recorded with its method, its
outcome (a failed check included), the sizes of its parameters and results
and how long it took.  Recording is a deque append (`wetnode.audit.log`).
Sizes are the Cap'n Proto payloads (words x 8), without RPC framing.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from capnp.lib.capnp import fill_context

from wetnode.membrane.epoch import EpochGuard
from wetnode.rpc.reasons import wire_reason


class Guarded:
    """Mixin for epoch-scoped capability servers; pass the issuing guard."""

    def __init__(self, guard: EpochGuard) -> None:
        self.guard = guard

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        interface = getattr(cls, "schema", None)
        if interface is None:
            return
        label = interface_label(interface)
        for name in interface.method_names_inherited:
            method = getattr(cls, name, None)
            if method is not None and not getattr(method, "epoch_checked", False):
                setattr(cls, name, _checked(method, name, f"{label}.{name}"))


def interface_label(interface: Any) -> str:
    """``Executor`` for the schema ``system.capnp:Executor``: how the log names it."""
    return str(interface.node.displayName).rpartition(":")[2]


def payload_size(message: Any) -> int:
    """Bytes of a pycapnp params or results struct (its words, caps not counted)."""
    return int(message.total_size.word_count) * 8


def _checked(
    method: Callable[..., Awaitable[Any]], name: str, label: str
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def checked(self: Guarded, *args: Any, **kwargs: Any) -> Any:
        guard = self.guard
        if guard.tap is None:
            guard.check()
            return await method(self, *args, **kwargs)
        started = time.perf_counter_ns()
        context = kwargs.get("_context")
        size_in = payload_size(context.params) if context is not None else 0
        try:
            guard.check()
            result = await method(self, *args, **kwargs)
            if context is not None:  # fill the results now, to know their size
                fill_context(name, context, result)
                result = None
        except BaseException as exc:
            guard.tap.call(guard.issued_seq, label, wire_reason(exc), size_in, 0, started)
            raise
        size_out = payload_size(context.results) if context is not None else 0
        guard.tap.call(guard.issued_seq, label, None, size_in, size_out, started)
        return result

    checked.epoch_checked = True  # type: ignore[attr-defined]
    return checked
