"""Attenuation: only the calls a gate allows reach the capability, results included."""

from __future__ import annotations

from typing import Any

import pytest
from guest_peers import Wire

from wetnode.capnproto import Failed, NotAllowed, RpcError, attenuate


class OnlyMethods:
    """A gate allowing the named methods of the interfaces it is given."""

    def __init__(self, *allowed: tuple[Any, str]) -> None:
        self.allowed = {
            (iface.ID, m.ordinal)
            for iface, name in allowed
            for m in iface.METHODS
            if m.name == name
        }

    def check(self, interface_id: int, method_id: int) -> None:
        if (interface_id, method_id) not in self.allowed:
            raise NotAllowed(f"method {method_id} of 0x{interface_id:x}")


def servers(py_schema: Any) -> Any:
    class Echo(py_schema.Echo.Server):
        async def echo(self, message: str) -> str:
            return message

        async def blob(self, data: bytes) -> bytes:
            return data

    class Root(py_schema.Root.Server):
        async def echo(self) -> Any:
            return Echo()

        async def live(self) -> int:
            return 1

    return Root()


@pytest.fixture
def wire(py_schema: Any) -> Any:
    made: list[Wire] = []

    def make(gate: Any) -> Any:
        w = Wire(b_bootstrap=attenuate(servers(py_schema), gate))
        made.append(w)
        return w, py_schema.Root.Client(w.a.bootstrap())

    yield make
    for w in made:
        w.close()


def test_an_allowed_call_goes_through(py_schema: Any, wire: Any) -> None:
    w, root = wire(OnlyMethods((py_schema.Root, "live")))

    async def main() -> int:
        return (await root.live()).count

    assert w.run(main()) == 1


def test_a_refused_call_fails_with_the_gates_reason(py_schema: Any, wire: Any) -> None:
    w, root = wire(OnlyMethods((py_schema.Root, "live")))

    async def main() -> RpcError:
        with pytest.raises(Failed) as caught:
            await root.echo()
        return caught.value

    error = w.run(main())
    assert error.reason == f"notAllowed: method 0 of 0x{py_schema.Root.ID:x}"


def test_capabilities_in_results_are_behind_the_same_gate(py_schema: Any, wire: Any) -> None:
    w, root = wire(OnlyMethods((py_schema.Root, "echo"), (py_schema.Echo, "echo")))

    async def main() -> tuple[str, str]:
        echo = (await root.echo()).echo
        allowed = (await echo.echo("hi")).response
        with pytest.raises(Failed) as caught:
            await echo.blob(b"x")
        return allowed, caught.value.reason

    allowed, refused = w.run(main())
    assert allowed == "hi"
    assert refused.startswith("notAllowed: method 1 of")


def test_attenuating_a_client_gives_a_client_of_the_same_interface(py_schema: Any) -> None:
    client = py_schema.Echo.Client(attenuate(servers(py_schema), OnlyMethods()))
    assert isinstance(attenuate(client, OnlyMethods()), py_schema.Echo.Client)


def test_a_refusal_owns_its_word() -> None:
    error = NotAllowed("x.y is not exported")
    assert str(error) == error.reason == "notAllowed: x.y is not exported"
    assert error.detail == "x.y is not exported" and isinstance(error, Failed)
