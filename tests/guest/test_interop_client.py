"""Pure-Python client (wetnode.guest) against a pycapnp (C++) server over a socket pair."""

from __future__ import annotations

from typing import Any

import capnp
import pytest
from guest_peers import PycapnpPeer, pycapnp_servers, run_vat

from wetnode.capnproto import Disconnected, Failed, RpcError, Unimplemented, current_vat, gather


def shapes_value() -> dict[str, Any]:
    return {
        "small": -100,
        "word": 0,
        "big": -(2**62),
        "real": 2.5,
        "flag": False,
        "name": "héllo",
        "blob": bytes(range(256)),
        "ints": [1, -2, 2**31 - 1],
        "bools": [True, False, True, True, False, False, False, False, True],
        "texts": ["a", "", "ccc"],
        "nested": [{"name": "inner", "small": 5, "ints": [7]}, {}],
        "choice": {"label": "union member"},
        "pos": {"x": 1.5, "y": -2.0},
        "matrix": [[1, 2, 3], [], [255]],
        "wide": [2**64 - 1, 0],
    }


@pytest.fixture
def server_classes(capnp_schema: Any) -> dict[str, Any]:
    return pycapnp_servers(capnp_schema)


@pytest.fixture
def peer(socket_pair: Any, server_classes: dict[str, Any]) -> Any:
    p = PycapnpPeer(socket_pair[1], server_classes["Root"])
    yield p
    p.close()


def client_run(socket_pair: Any, py_schema: Any, body: Any) -> Any:
    async def main() -> Any:
        root = py_schema.Root.Client(current_vat().bootstrap())
        return await body(root)

    return run_vat(socket_pair[0], main())


def test_calls_carry_text_and_every_field_kind(peer: Any, socket_pair: Any, py_schema: Any) -> None:
    async def body(root: Any) -> Any:
        echo = (await root.echo()).echo
        text = (await echo.echo("grüß dich")).response
        shapes = (await echo.shapes(shapes_value())).s
        defaults = (await echo.shapes({})).s
        return text, shapes.to_dict(), shapes.choice.which(), defaults.to_dict()

    text, shapes, which, defaults = client_run(socket_pair, py_schema, body)
    assert text == "grüß dich"
    expected = shapes_value()
    assert which == "label" and shapes["choice"] == {"label": "union member"}
    for key, value in expected.items():
        if key == "nested":
            assert shapes[key][0]["name"] == "inner" and shapes[key][0]["ints"] == [7]
            assert shapes[key][1]["small"] == -3  # default seen through XOR
        else:
            assert shapes[key] == value, key
    assert defaults["small"] == -3 and defaults["word"] == 7 and defaults["flag"] is True
    assert defaults["choice"] == {"none": None}


def test_pipelined_call_reaches_capability_before_its_promise_resolves(
    peer: Any, socket_pair: Any, py_schema: Any
) -> None:
    async def body(root: Any) -> str:
        return (await root.echo().echo.echo("through the pipe")).response

    assert client_run(socket_pair, py_schema, body) == "through the pipe"


def test_capabilities_pass_both_ways(peer: Any, socket_pair: Any, py_schema: Any) -> None:
    class Shout(py_schema.Echo.Server):
        async def echo(self, message: str) -> str:
            return message.upper()

    async def body(root: Any) -> tuple[str, str, str]:
        mine = Shout()
        called_back = (await root.callBack(mine, "called back")).response
        await root.keep(mine)
        returned = (await root.give()).cap  # our own object, coming home
        local = (await returned.echo("home")).response
        theirs = (await root.echo()).echo
        await root.keep(theirs)
        again = (await (await root.give()).cap.echo("theirs")).response
        return called_back, local, again

    assert client_run(socket_pair, py_schema, body) == ("CALLED BACK", "HOME", "theirs")


def test_dropped_references_are_released(
    peer: Any, socket_pair: Any, py_schema: Any, server_classes: dict[str, Any]
) -> None:
    async def body(root: Any) -> tuple[int, int]:
        echoes = [(await root.echo()).echo for _ in range(3)]
        held = (await root.live()).count
        echoes[0].release()  # explicit
        del echoes  # and by garbage collection
        for _ in range(50):  # each call is one round trip; releases go out before it
            if (await root.live()).count == 0:
                break
        return held, (await root.live()).count

    assert client_run(socket_pair, py_schema, body) == (3, 0)


def test_remote_errors_keep_their_type_and_reason(
    peer: Any, socket_pair: Any, py_schema: Any
) -> None:
    async def body(root: Any) -> list[RpcError]:
        echo = (await root.echo()).echo
        errors = []
        for call in (
            lambda: echo.fail(0, "it broke"),
            lambda: root.cast_as(py_schema.Echo).echo(
                "Root has no ordinal-0 echo with these params"
            ),
        ):
            try:
                await call()
            except RpcError as exc:
                errors.append(exc)
        return errors

    failed, unimplemented = client_run(socket_pair, py_schema, body)
    assert isinstance(failed, Failed) and "it broke" in failed.reason
    assert isinstance(unimplemented, Unimplemented)


def test_peer_disconnect_fails_pending_calls_as_disconnected(
    peer: Any, socket_pair: Any, py_schema: Any
) -> None:
    async def body(root: Any) -> RpcError:
        echo = (await root.echo()).echo
        hanging = echo.fail(2, "never answers")
        await echo.echo("the hanging call has arrived")
        peer.close()
        socket_pair[1].close()
        try:
            await hanging
        except RpcError as exc:
            return exc
        raise AssertionError("call did not fail")

    assert isinstance(client_run(socket_pair, py_schema, body), Disconnected)


def test_thousand_concurrent_calls_all_answer(peer: Any, socket_pair: Any, py_schema: Any) -> None:
    async def body(root: Any) -> list[str]:
        echo = (await root.echo()).echo
        promises = [echo.echo(f"call {i}") for i in range(1000)]
        return [r.response for r in await gather(promises)]

    assert client_run(socket_pair, py_schema, body) == [f"call {i}" for i in range(1000)]


def test_one_mebibyte_data_round_trips(peer: Any, socket_pair: Any, py_schema: Any) -> None:
    payload = bytes(range(256)) * 4096

    async def body(root: Any) -> bytes:
        return (await root.echo().echo.blob(payload)).data

    assert client_run(socket_pair, py_schema, body) == payload


def test_pycapnp_reads_what_the_builder_wrote(py_schema: Any, capnp_schema: Any) -> None:
    mb, builder = py_schema.Shapes.new_message()
    for key, value in shapes_value().items():
        if key in ("nested", "pos"):
            continue
        setattr(builder, key, value)
    nested = builder.init("nested", 2)
    nested[1].name = "second"
    with capnp_schema.Shapes.from_bytes(mb.to_bytes()) as r:
        assert r.name == "héllo" and r.small == -100 and r.word == 0 and not r.flag
        assert list(r.bools) == shapes_value()["bools"] and list(r.wide) == [2**64 - 1, 0]
        assert (
            r.choice.which() == "label" and r.nested[1].name == "second" and r.nested[0].small == -3
        )
        assert [list(x) for x in r.matrix] == [[1, 2, 3], [], [255]]


def test_builder_reads_pycapnp_multi_segment_messages(py_schema: Any, capnp_schema: Any) -> None:
    from wetnode.capnproto import wire

    msg = capnp._MallocMessageBuilder(8)  # a tiny first segment forces far pointers
    root = msg.init_root(capnp_schema.Shapes)
    root.name = "x" * 200
    root.blob = b"\x01" * 5000
    root.init("nested", 3)[2].texts = ["far", "away"]
    data = root.to_bytes()
    reader = wire.MessageReader.from_bytes(data)
    assert len(reader.segments) > 1
    r = py_schema.Shapes.read(reader)
    assert r.name == "x" * 200 and r.blob == b"\x01" * 5000 and r.nested[2].texts == ["far", "away"]


def test_promised_capability_can_be_passed_as_an_argument(
    peer: Any, socket_pair: Any, py_schema: Any
) -> None:
    async def body(root: Any) -> str:
        not_yet_returned = root.echo().echo  # sent as a receiverAnswer descriptor
        return (await root.callBack(not_yet_returned, "promised argument")).response

    assert client_run(socket_pair, py_schema, body) == "promised argument"


def test_promise_resolving_back_into_this_vat_keeps_call_order(
    peer: Any, socket_pair: Any, py_schema: Any
) -> None:
    log: list[str] = []

    class Echo(py_schema.Echo.Server):
        async def echo(self, message: str) -> str:
            log.append(message)
            return message

    class Root(py_schema.Root.Server):
        async def echo(self) -> Any:
            return Echo()

    async def body(root: Any) -> list[str]:
        relayed = root.relay(Root())
        calls = [relayed.cap.echo(str(i)) for i in range(5)]  # before any resolution
        cap = (await relayed).cap
        calls += [cap.echo(str(i)) for i in range(5, 10)]
        return [r.response for r in await gather(calls)]

    expected = [str(i) for i in range(10)]
    assert client_run(socket_pair, py_schema, body) == expected
    assert log == expected
