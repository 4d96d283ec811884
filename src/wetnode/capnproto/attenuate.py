"""Attenuation: a capability that passes on only the calls a gate lets through.

A membrane hands out narrower authority than it holds by wrapping each
capability: a call the gate refuses fails with the gate's reason, an allowed
call goes to the wrapped capability, and every capability in its results is
wrapped by the same gate, so nothing reachable escapes it.
"""

from __future__ import annotations

from typing import Any, Protocol

from wetnode.capnproto.caps import Cap, Delivery, Pending, as_cap
from wetnode.capnproto.errors import Refusal, as_rpc_error
from wetnode.capnproto.schema import TypedClient


class NotAllowed(Refusal):
    """The call is outside what the capability was attenuated to."""

    word = "notAllowed"


class Gate(Protocol):
    def check(self, interface_id: int, method_id: int) -> None:
        """Return to let the call through; raise (an `RpcError`, say `NotAllowed`) to refuse."""


class Attenuated(Cap):
    """`inner` behind `gate` (see `attenuate`)."""

    def __init__(self, inner: Cap, gate: Gate) -> None:
        self.inner = inner
        self.gate = gate

    def deliver(self, d: Delivery) -> None:
        try:
            self.gate.check(d.interface_id, d.method_id)
        except Exception as exc:
            d.answer.set_exception(as_rpc_error(exc))
            return
        relay = Pending()
        self.inner.deliver(Delivery(d.interface_id, d.method_id, d.params, relay))

        def finish(_: Any) -> None:
            error = relay.exception()
            if error is not None:
                d.answer.set_exception(error)
                return
            result = relay.result()
            result.msg.caps = [Attenuated(c, self.gate) for c in result.msg.caps]
            d.answer.set_result(result)

        relay.add_done_callback(finish)

    def __repr__(self) -> str:
        return f"<attenuated {self.inner!r}>"


def attenuate(target: Any, gate: Gate) -> Any:
    """`target` (a client, a server or a capability) with only the calls `gate` allows.

    A client comes back as a client of the same interface; anything else as a
    capability, which a result field or a call's params accept alike.
    """
    cap = Attenuated(as_cap(target), gate)
    if isinstance(target, TypedClient):
        return type(target)(cap)
    return cap
