"""A recording forwarder: the audit log's seam for calls from remote peers.

pid0's export answers remote peers with capabilities pid0 serves itself, so
the host would see none of those calls (and none that pid0 refuses).  With
the audit log on, `ExportedMembrane` hands the remote a `forwarder` for each
capability instead: one call in, one call on to pid0's capability, and one
event recorded with the peer as caller.

Every capability that crosses in either direction is forwarded the same way,
wherever it sits in the message: a result field, a struct or group inside
the results, a list of capabilities or of structs holding them.  Those
returned are recorded under the same caller; those the remote passes in as
parameters are called by pid0 (or whatever pid0 hands them to), so calls on
them are recorded under the tap facing the other way (`Tap.facing`).  The one
untyped capability in the schemas, ``Host.dial``'s ``cap :Capability``, is a
Membrane by the /ww protocol (`HostServer.dial` casts it so) and is forwarded
as one.  Lists of lists are copied as they are: no schema has capabilities in
one.

A forwarder for an interface is a class made once from the schema, and how
to copy each struct (`_Plan`) is worked out once per struct type, so
capability servers other code adds are recorded without knowing it, and a
call whose messages hold no capability costs one loop over its fields.  A
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
from wetnode.schemas import stem as _stem

if TYPE_CHECKING:
    from wetnode.audit.log import Tap

UNTYPED = _stem.Membrane.schema  # what an AnyPointer capability is forwarded as (see above)


class _Forwarder:
    """Base of the generated forwarders: the capability called and the taps recording.

    ``tap`` records the calls made on this forwarder; ``back`` the calls made
    on capabilities passed in through its parameters (the other direction).
    """

    def __init__(self, target: Any, tap: Tap, back: Tap, epoch: int) -> None:
        self._target = target
        self._tap = tap
        self._back = back
        self._epoch = epoch

    def _wrap_on(self, cap: Any, interface: Any) -> Any:
        """A returned capability: called by the same caller as this forwarder."""
        return forwarder(cap, interface, self._tap, self._back, self._epoch)

    def _wrap_back(self, cap: Any, interface: Any) -> Any:
        """A capability passed in: called the other way, so the taps swap."""
        return forwarder(cap, interface, self._back, self._tap, self._epoch)


def forwarder(target: Any, interface: Any, tap: Tap, back: Tap, epoch: int) -> Any:
    """A server for ``interface`` that forwards to ``target`` and records each call."""
    made = _CLASSES.get(interface.node.id)
    if made is None:
        made = _CLASSES[interface.node.id] = _forwarder_class(interface)
    return made(target, tap, back, epoch)


_CLASSES: dict[int, type[_Forwarder]] = {}  # by interface ID (schema objects are not reused)


def _forwarder_class(interface: Any) -> type[_Forwarder]:
    label = interface_label(interface)
    methods = {
        f"{name}_context": _forward(name, f"{label}.{name}", _plan(method.param_type),
                                    _plan(method.result_type))
        for name, method in interface.methods_inherited.items()
    }  # fmt: skip
    # pycapnp's own way to make the Server base class of an interface schema.
    base = capnp.lib.capnp._InterfaceModule(interface, label).Server
    return type(f"Audited{label}", (_Forwarder, base), methods)


Wrap = Callable[[Any, Any], Any]  # (capability, its interface schema) -> its forwarder

# What a field needs when copied: its value as it is, or its capabilities forwarded.
_VALUE, _CAP, _ANY, _STRUCT, _GROUP, _CAPS, _STRUCTS = range(7)


class _Plan:
    """How to copy one struct type field by field, worked out once from its schema.

    Only the active member of a union is copied.  ``carries`` says whether a
    capability can sit anywhere inside; fields that cannot hold one are set
    as they are (pycapnp copies a struct or list reader into the builder).
    """

    def __init__(self) -> None:
        self.has_union = False
        self.carries = False
        self.names: tuple[str, ...] = ()  # every field, when nothing needs forwarding
        self.steps: list[tuple[str, bool, int, Any]] = []  # (name, in a union, what, schema/plan)
        self.pending = False  # its fields are being worked out (a type that contains itself)

    def fill(self, struct: Any) -> None:
        self.pending = True
        self.has_union = bool(struct.union_fields)
        for field in struct.node.struct.fields:
            name = field.name
            what, detail = _step(field, struct.fields[name])
            self.steps.append((name, field.discriminantValue != 0xFFFF, what, detail))
            self.carries = self.carries or what != _VALUE
        self.names = tuple(name for name, *_ in self.steps)
        self.pending = False

    @property
    def may_carry(self) -> bool:
        """Whether a field of this type needs copying by the plan (unknown yet counts)."""
        return self.carries or self.pending

    def copy(self, source: Any, target: Any, wrap: Wrap) -> None:
        if not self.carries and not self.has_union:
            for name in self.names:
                setattr(target, name, getattr(source, name))
            return
        active = source.which() if self.has_union else None
        for name, in_union, what, detail in self.steps:
            if in_union and name != active:
                continue
            if what == _VALUE:
                setattr(target, name, getattr(source, name))
            elif what == _GROUP:
                detail.copy(getattr(source, name), target.init(name), wrap)
            elif not source._has(name):
                continue  # a null pointer: nothing to forward, the default reads the same
            elif what == _CAP:
                setattr(target, name, wrap(getattr(source, name), detail))
            elif what == _ANY:
                setattr(target, name, wrap(getattr(source, name).as_interface(detail), detail))
            elif what == _STRUCT:
                detail.copy(getattr(source, name), target.init(name), wrap)
            else:
                items = getattr(source, name)
                copies = target.init(name, len(items))
                for i, item in enumerate(items):
                    if what == _CAPS:
                        copies[i] = wrap(item, detail)
                    else:
                        detail.copy(item, copies[i], wrap)


def _step(field: Any, schema_field: Any) -> tuple[int, Any]:
    """What copying ``field`` takes (`_VALUE`, `_CAP`, ...) and the schema or plan it needs."""
    if field.which() == "group":
        plan = _plan(schema_field.schema)
        return (_GROUP, plan) if plan.may_carry else (_VALUE, None)
    kind = field.slot.type
    which = kind.which()
    if which == "interface":
        return _CAP, schema_field.schema
    if which == "anyPointer" and _is_capability(kind.anyPointer):
        return _ANY, UNTYPED
    if which == "struct":
        plan = _plan(schema_field.schema)
        return (_STRUCT, plan) if plan.may_carry else (_VALUE, None)
    if which == "list":
        element = kind.list.elementType
        if element.which() == "interface":
            return _CAPS, schema_field.schema.elementType
        if element.which() == "struct":
            plan = _plan(schema_field.schema.elementType)
            return (_STRUCTS, plan) if plan.may_carry else (_VALUE, None)
    return _VALUE, None


def _is_capability(any_pointer: Any) -> bool:
    return bool(
        any_pointer.which() == "unconstrained" and any_pointer.unconstrained.which() == "capability"
    )


_PLANS: dict[int, _Plan] = {}  # by struct type ID


def _plan(struct: Any) -> _Plan:
    """The copy plan of a struct type, made once (a field of the type being planned recurses)."""
    plan = _PLANS.get(struct.node.id)
    if plan is None:
        plan = _PLANS[struct.node.id] = _Plan()
        plan.fill(struct)
    return plan


def _forward(
    name: str, label: str, params: _Plan, results: _Plan
) -> Callable[[_Forwarder, Any], Awaitable[None]]:
    async def forward(self: _Forwarder, context: Any) -> None:
        started = time.perf_counter_ns()
        given = context.params
        size_in = payload_size(given)
        request = self._target._request(name)
        params.copy(given, request, self._wrap_back)
        try:
            response = await request.send()
        except capnp.KjException as exc:
            # No local may hold the refusal: its traceback holds this frame, and a
            # cycle through the request would wait for the collector (see rpc/vat.py).
            self._tap.call(self._epoch, label, str(_refusal(exc)), size_in, 0, started)
            raise _refusal(exc) from None
        answer = context.results
        results.copy(response, answer, self._wrap_on)
        self._tap.call(self._epoch, label, None, size_in, payload_size(answer), started)

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
