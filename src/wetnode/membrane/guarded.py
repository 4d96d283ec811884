"""One epoch check for every method of every capability a graft hands out.

Subclass ``Guarded`` together with a pycapnp ``Interface.Server``: at class
creation each method of the interface (defined there or inherited) is wrapped
so that ``self.guard.check()`` runs before its body.  No server writes the check by
hand, so no method can forget it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from wetnode.membrane.epoch import EpochGuard


class Guarded:
    """Mixin for epoch-scoped capability servers; pass the issuing guard."""

    def __init__(self, guard: EpochGuard) -> None:
        self.guard = guard

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        interface = getattr(cls, "schema", None)
        if interface is None:
            return
        for name in interface.method_names_inherited:
            method = getattr(cls, name, None)
            if method is not None and not getattr(method, "epoch_checked", False):
                setattr(cls, name, _checked(method))


def _checked(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def checked(self: Guarded, *args: Any, **kwargs: Any) -> Any:
        self.guard.check()
        return await method(self, *args, **kwargs)

    checked.epoch_checked = True  # type: ignore[attr-defined]
    return checked
