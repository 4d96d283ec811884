"""Capabilities a parent hands its child by name (`Binary.spawnWith`).

The reference node's `Export` list: each entry binds a capability the
parent holds to a name, here the name of a graft result (``executor``,
``ipfs``, ``host``...).  The child's graft then returns its own identity and
exactly these: the parent decides what its child may do (pid0 wraps them in
its policy), and the host adds nothing of its own.  The capabilities are the
parent's: a child's call on one goes to the parent, which answers or
refuses it.
"""

from __future__ import annotations

from typing import Any

from wetnode.membrane.errors import CapabilityError
from wetnode.membrane.session import Passed
from wetnode.schemas import ipfs as _ipfs
from wetnode.schemas import stem as _stem
from wetnode.schemas import system as _system

# The graft results a parent may fill, with the interface each one is.  `identity`
# is not one: a child's identity is its own key's, which only the host can serve.
HANDED: dict[str, Any] = {
    "host": _system.Host,
    "executor": _system.Executor,
    "ipfs": _ipfs.Client,
    "mcp": _system.Mcp,
    "exports": _stem.Exports,
    "finder": _system.Finder,
    "announcer": _system.Announcer,
    "approvals": _stem.Approvals,
}


def read_exports(exports: Any) -> Passed:
    """A `spawnWith`'s ``caps`` (pycapnp `Export` readers) as typed clients by name.

    A name that is not a graft result, or that comes twice, and an entry
    without a capability are refused with a reason naming the entry.
    """
    caps: dict[str, Any] = {}
    for index, export in enumerate(exports):
        name = str(export.name)
        where = f"spawnWith: caps[{index}] ({name!r})"
        interface = HANDED.get(name)
        if interface is None:
            raise CapabilityError(
                f"{where} is not a capability a child's graft returns "
                f"(one of {', '.join(HANDED)})"
            )
        if name in caps:
            raise CapabilityError(f"{where} is named twice")
        if not export._has("cap"):
            raise CapabilityError(f"{where} carries no capability")
        caps[name] = export.cap.as_interface(interface)
    return Passed(caps)


def hand_out(passed: Passed, results: Any) -> None:
    """Set a graft's ``results`` to what the parent passed."""
    for name, cap in passed.caps.items():
        setattr(results, name, cap)
