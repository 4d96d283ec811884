"""A capability behind a policy: the I/O around `rules.Decider`.

`Policy.wrap(cap, peer)` returns a capability that, per call, reads the
clocks and the message sizes, decodes params or results only when a content
rule needs them, asks the decider, and re-encodes what a redaction changed.
Capabilities in results are wrapped the same way (for the same peer), so
nothing reachable escapes the policy: the membrane property of `attenuate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from wetnode.capnproto import schema, wire
from wetnode.capnproto.caps import Cap, Delivery, Pending, as_cap, reread
from wetnode.capnproto.errors import as_rpc_error
from wetnode.guest.policy.decide import Change, PolicyDenied
from wetnode.guest.policy.rules import Call, Decider, Grant, Rule

Names = Callable[[int, int], str]
NameCall = Callable[[Delivery], "str | None"]


def method_name(interface_id: int, method_id: int) -> str:
    """``interface.method`` from the loaded schemas (``executor.echo``), or the raw IDs."""
    iface = schema.REGISTRY.get(interface_id)
    method = getattr(iface, "BY_ORDINAL", {}).get(method_id)
    if iface is None or method is None:
        return f"0x{interface_id:x}.{method_id}"
    return f"{iface.__name__.lower()}.{method.name}"


def encoded_size(ptr: wire.Ptr) -> int:
    """Bytes of a call's params or results as one Cap'n Proto message would carry them.

    Measured by copying them into a fresh message, not by the size of the
    message that brought them (a Call's or Return's header is not the
    caller's to pay for).  The copy's reads are not charged to the received
    message's traversal budget: the server still reads it in full.
    """
    budget = ptr.msg.budget
    try:
        mb = wire.MessageBuilder()
        wire.PtrBuilder(mb, 0).copy_from(ptr, lambda index: 0)
    finally:
        ptr.msg.budget = budget
    return len(mb.buf) - 8  # less the root pointer


class Policy:
    """Grants and rules over every capability it wraps, with the clocks they are read by.

    ``names`` maps a call to the name rules match (``executor.echo``);
    ``epochs`` says how many epochs the node adopted since the policy began;
    ``on_change`` hears every redaction (a transform says what it changed).
    """

    def __init__(
        self,
        grants: Iterable[Grant] | None = None,
        rules: Iterable[Rule] = (),
        *,
        names: Names = method_name,
        epochs: Callable[[], int] = lambda: 0,
        on_change: Callable[[str, Change], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.decider = Decider(grants, rules)
        self.names = names
        self.epochs = epochs
        self.on_change = on_change
        self.monotonic = monotonic
        self.wall = wall

    def wrap(self, target: Any, peer: str = "", name_call: NameCall | None = None) -> Any:
        """`target` (a client, server or capability) behind this policy for calls from `peer`.

        A client comes back as a client of the same interface, anything else
        as a capability.  ``name_call`` names each call for the rules instead of
        ``names``, from the call itself (`Mcp.call` as ``mcp.SERVER.TOOL``, the
        tool it calls); a call it names None passes unchecked.
        """
        cap = PolicyCap(as_cap(target), self, peer, name_call)
        if isinstance(target, schema.TypedClient):
            return type(target)(cap)
        return cap

    def call(self, d: Delivery, peer: str, method: str | None = None) -> Call:
        return Call(
            method or self.names(d.interface_id, d.method_id),
            peer,
            self.monotonic(),
            self.wall(),
            self.epochs(),
            encoded_size(d.params) if self.decider.reads_sizes else 0,
        )

    def report(self, peer: str, changes: list[Change]) -> None:
        if self.on_change is not None:
            for change in changes:
                self.on_change(peer, change)


def method_of(d: Delivery, rule: str = "content") -> schema.Method:
    """The schema of the method `d` calls; `PolicyDenied` naming ``rule`` when it is unknown."""
    iface = schema.REGISTRY.get(d.interface_id)
    method = getattr(iface, "BY_ORDINAL", {}).get(d.method_id)
    if method is None:  # fail closed: a rule that must read the call cannot
        raise PolicyDenied(f"{rule}: method {d.method_id} of 0x{d.interface_id:x} is unknown")
    return method


def plain(ptr: wire.Ptr, type_id: int) -> Any:
    """Params or results (struct type ``type_id``) as plain values: a dict of fields."""
    cls = schema.struct_class(type_id)
    return cls.Reader(ptr.struct() or schema.empty_struct(ptr.msg)).to_dict()


def encode(values: Any, type_id: int) -> wire.Ptr:
    """Plain values back into a struct of type ``type_id``, as a received pointer."""
    cls = schema.struct_class(type_id)
    mb, builder = cls.new_message()
    schema.fill(builder, values)
    return reread(mb).root()


class PolicyCap(Cap):
    """`inner` behind `policy`, for the calls of one peer (see `Policy.wrap`)."""

    def __init__(
        self, inner: Cap, policy: Policy, peer: str, name_call: NameCall | None = None
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.peer = peer
        self.name_call = name_call

    def deliver(self, d: Delivery) -> None:
        policy, decider = self.policy, self.policy.decider
        try:
            method = self.name_call(d) if self.name_call is not None else ""
        except Exception as exc:
            d.answer.set_exception(as_rpc_error(exc))
            return
        if method is None:  # not the policy's to check
            self.inner.deliver(d)
            return
        try:
            call = policy.call(d, self.peer, method or None)
            params = d.params
            if decider.reads_params(call.method):
                call.params = plain(params, method_of(d).params)
            changed, changes = decider.before(call)
            if changed is not None:
                params = encode(changed, method_of(d).params)
                policy.report(self.peer, changes)
        except Exception as exc:
            d.answer.set_exception(as_rpc_error(exc))
            return
        relay = Pending()
        self.inner.deliver(Delivery(d.interface_id, d.method_id, params, relay))
        relay.add_done_callback(lambda _: self._finish(d, call, relay))

    def _finish(self, d: Delivery, call: Call, relay: Pending) -> None:
        error = relay.exception()
        if error is not None:
            d.answer.set_exception(error)
            return
        result: wire.Ptr = relay.result()
        decider = self.policy.decider
        try:
            values = None
            if decider.reads_results(call.method):
                values = plain(result, method_of(d).results)
            size = encoded_size(result) if decider.reads_sizes else 0
            changed, changes = decider.after(call, size, values)
            if changed is not None:
                result = encode(changed, method_of(d).results)
                self.policy.report(self.peer, changes)
        except Exception as exc:
            d.answer.set_exception(as_rpc_error(exc))
            return
        result.msg.caps = [
            PolicyCap(c, self.policy, self.peer, self.name_call) for c in result.msg.caps
        ]
        d.answer.set_result(result)

    def __repr__(self) -> str:
        return f"<policy {self.inner!r} for {self.peer or 'local'}>"
