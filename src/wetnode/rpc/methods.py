"""``Interface.method`` for an interface ID and method ordinal, from the schemas pycapnp loaded.

A Cap'n Proto Call names its method by numbers only; the audit log names it
as people read it (``Executor.echo``).  Every schema the process has loaded
(`wetnode.rpc.schema`'s, and any other ``capnp.load``) is indexed on the first
lookup of an interface not yet known, into plain strings, so the lookup itself
touches no pycapnp object and may run on any thread.  An ID no loaded schema
declares reads ``@0x<id>.<ordinal>``: a peer may call what it likes.
"""

from __future__ import annotations

from typing import Any

import capnp.lib.capnp as _capnp

_METHODS: dict[int, tuple[str, tuple[str, ...]]] = {}  # interface ID -> (label, method names)
_indexed = 0  # how many schema modules the index was built from


def method_label(interface_id: int, method_id: int) -> str:
    """``Executor.echo`` for Executor's ID and ordinal 0 (see the module docstring)."""
    known = _METHODS.get(interface_id)
    if known is None and _reindex():
        known = _METHODS.get(interface_id)
    if known is None:
        return f"@{interface_id:#x}.{method_id}"
    label, names = known
    name = names[method_id] if method_id < len(names) else str(method_id)
    return f"{label}.{name}"


def _reindex() -> bool:
    """Index the interfaces of every loaded schema module; False if none was loaded since."""
    global _indexed
    modules = list(_capnp._global_schema_parser.modules_by_id.values())  # one atomic copy
    if len(modules) == _indexed:
        return False
    for module in modules:
        _index(module)
    _indexed = len(modules)
    return True


def _index(holder: Any) -> None:
    """Add ``holder``'s schema if an interface, then everything nested in it."""
    node = holder.schema.node
    if node.which() == "interface" and node.id not in _METHODS:
        label = str(node.displayName).rpartition(":")[2]
        _METHODS[node.id] = (label, tuple(m.name for m in node.interface.methods))
    for nested in node.nestedNodes:
        child = getattr(holder, nested.name, None)
        if child is not None and hasattr(child, "schema"):
            _index(child)
