"""A recording forwarder: the audit log's seam for calls from remote peers.

pid0's export answers remote peers with capabilities pid0 serves itself, so
the host would see none of those calls (and none that pid0 refuses).  With
the audit log on, `ExportedMembrane` hands the remote a `forwarder` for each
capability instead: one call in, one call on to pid0's capability, and one
event recorded with the peer as caller.  Results that are capabilities are
forwarded the same way, so a `Process` a remote obtained is recorded too
(capabilities nested in lists or structs are passed on unrecorded).

A forwarder for an interface is a class made once from the schema, so
capability servers other code adds are recorded without knowing it.  A
failure travels back as its reason alone, as every host server's does.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import capnp

from wetnode.membrane.errors import StaleEpoch
from wetnode.membrane.guarded import interface_label, payload_size
from wetnode.rpc.reasons import WireReason, remote_reason

if TYPE_CHECKING:
    from wetnode.audit.log import Tap


class _Forwarder:
    """Base of the generated forwarders: the capability called and the tap recording."""

    def __init__(self, target: Any, tap: Tap, epoch: int) -> None:
        self._target = target
        self._tap = tap
        self._epoch = epoch


def forwarder(target: Any, interface: Any, tap: Tap, epoch: int) -> Any:
    """A server for ``interface`` that forwards to ``target`` and records each call."""
    made = _CLASSES.get(interface.node.id)
    if made is None:
        made = _CLASSES[interface.node.id] = _forwarder_class(interface)
    return made(target, tap, epoch)


_CLASSES: dict[int, type[_Forwarder]] = {}  # by interface ID (schema objects are not reused)


def _forwarder_class(interface: Any) -> type[_Forwarder]:
    label = interface_label(interface)
    methods = {
        f"{name}_context": _forward(name, f"{label}.{name}", _Fields(method.param_type),
                                    _Fields(method.result_type))
        for name, method in interface.methods_inherited.items()
    }  # fmt: skip
    # pycapnp's own way to make the Server base class of an interface schema.
    base = capnp.lib.capnp._InterfaceModule(interface, label).Server
    return type(f"Audited{label}", (_Forwarder, base), methods)


class _Fields:
    """How to copy one struct type field by field, worked out once from its schema.

    Only the active member of a union is copied; capability fields are
    wrapped in forwarders when copying results (`copy` with ``wrap_for``).
    """

    def __init__(self, struct: Any) -> None:
        self.has_union = bool(struct.union_fields)
        self.fields: list[tuple[str, bool, Any]] = []  # (name, in a union, interface or None)
        for field in struct.node.struct.fields:
            capability = field.which() == "slot" and field.slot.type.which() == "interface"
            interface = struct.fields[field.name].schema if capability else None
            self.fields.append((field.name, field.discriminantValue != 0xFFFF, interface))

    def copy(self, source: Any, target: Any, wrap_for: _Forwarder | None = None) -> None:
        active = source.which() if self.has_union else None
        for name, in_union, interface in self.fields:
            if in_union and name != active:
                continue
            value = getattr(source, name)
            if wrap_for is not None and interface is not None and source._has(name):
                value = forwarder(value, interface, wrap_for._tap, wrap_for._epoch)
            setattr(target, name, value)


def _forward(
    name: str, label: str, params_fields: _Fields, results_fields: _Fields
) -> Callable[[_Forwarder, Any], Awaitable[None]]:
    async def forward(self: _Forwarder, context: Any) -> None:
        started = time.perf_counter_ns()
        params = context.params
        size_in = payload_size(params)
        request = self._target._request(name)
        params_fields.copy(params, request)
        try:
            response = await request.send()
        except capnp.KjException as exc:
            # No local may hold the refusal: its traceback holds this frame, and a
            # cycle through the request would wait for the collector (see rpc/vat.py).
            self._tap.call(self._epoch, label, str(_refusal(exc)), size_in, 0, started)
            raise _refusal(exc) from None
        results = context.results
        results_fields.copy(response, results, self)
        self._tap.call(self._epoch, label, None, size_in, payload_size(results), started)

    return forward


def _refusal(exc: capnp.KjException) -> WireReason:
    """What the remote is told when pid0's capability failed.

    A Python server's failure always reaches its caller as ``failed``
    (pycapnp), so a ``disconnected`` one (pid0 rebooted on a new epoch, or
    stopped) would lose the type callers reconnect on; it is told as
    ``staleEpoch`` instead, the word that says "graft again".
    """
    reason = remote_reason(exc)
    if exc.type == "DISCONNECTED":
        return StaleEpoch(f"pid0's export is gone ({reason}): graft again")
    return WireReason(reason)
