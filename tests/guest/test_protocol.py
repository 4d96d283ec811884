"""The sans-IO RPC state machine, driven directly: bytes in, bytes and futures out."""

from __future__ import annotations

from typing import Any

import pytest
from guest_peers import Wire

from wetnode.capnproto import Disconnected, Failed, Overloaded, RpcError, wire
from wetnode.capnproto.caps import as_cap
from wetnode.capnproto.connection import Connection
from wetnode.capnproto.schemas import rpc as R


@pytest.fixture
def net(py_schema: Any) -> Any:
    made: list[Wire] = []

    def make(**kwargs: Any) -> Wire:
        w = Wire(**kwargs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def echo_server(py_schema: Any, log: list[str] | None = None) -> Any:
    class Echo(py_schema.Echo.Server):
        async def echo(self, message: str) -> str:
            if log is not None:
                log.append(message)
            return message

        async def fail(self, kind: int, reason: str) -> None:
            raise Overloaded(reason)

    return Echo()


def root_server(py_schema: Any) -> Any:
    class Root(py_schema.Root.Server):
        kept: Any = None

        async def keep(self, cap: Any) -> None:
            Root.kept = cap

        async def give(self) -> Any:
            return Root.kept

        async def echo(self) -> Any:
            return echo_server(py_schema)

    return Root()


def frame(build: Any) -> bytes:
    mb, msg = R.Message.new_message()
    build(msg)
    return mb.to_bytes()


def replies(conn: Connection) -> list[Any]:
    return [R.Message.read(m) for m in wire.FrameDecoder().feed(conn.data_to_send())]


def test_bootstrap_is_answered_with_an_export_and_finish_clears_it(
    py_schema: Any, net: Any
) -> None:
    conn = net().b
    conn.bootstrap_cap = as_cap(echo_server(py_schema))
    conn.receive(frame(lambda m: setattr(m.init("bootstrap"), "questionId", 7)))
    (ret,) = replies(conn)
    assert (
        ret.which() == "return" and ret.return_.answerId == 7 if hasattr(ret, "return_") else True
    )
    ret = getattr(ret, "return")
    assert ret.answerId == 7 and ret.which() == "results"
    (desc,) = ret.results.capTable
    assert desc.which() == "senderHosted" and conn.exports[desc.senderHosted][1] == 1
    conn.receive(frame(lambda m: setattr(m.init("finish"), "questionId", 7)))
    assert conn.answers == {}
    assert conn.exports == {}  # Finish released the result caps by default


def test_release_counts_down_exports(py_schema: Any, net: Any) -> None:
    w = net(b_bootstrap=root_server(py_schema))

    async def main() -> None:
        root = py_schema.Root.Client(w.a.bootstrap())
        await root.keep(echo_server(py_schema))  # a now exports one Echo

    w.run(main())
    assert len(w.a.exports) == 1
    type(w.b.bootstrap_cap.server).kept = None  # b drops its only reference
    w.pump()
    assert w.a.exports == {} and ("b", "release") in w.sent


def test_repeated_imports_are_released_with_one_count(py_schema: Any, net: Any) -> None:
    w = net(b_bootstrap=root_server(py_schema))

    async def main() -> Any:
        root = py_schema.Root.Client(w.a.bootstrap())
        echo = (await root.echo()).echo
        await root.keep(echo)
        again = (await root.give()).cap  # the same import, counted twice
        return echo, again

    echo, again = w.run(main())
    assert echo.cap is again.cap and w.a.tables._import_refs[echo.cap.import_id] == 2
    del echo, again
    mb = w.a.data_to_send()
    (rel,) = [
        m.release for m in (R.Message.read(x) for x in wire.FrameDecoder().feed(mb))
    ]
    assert rel.referenceCount == 2


def test_calls_pipelined_onto_a_capability_that_comes_home_keep_their_order(
    py_schema: Any, net: Any
) -> None:
    log: list[str] = []
    w = net(b_bootstrap=root_server(py_schema))

    async def main() -> None:
        root = py_schema.Root.Client(w.a.bootstrap())
        await root.keep(echo_server(py_schema, log))
        promise = root.give()
        first = promise.cap.echo("1")  # travels a -> b -> back to a
        second = promise.cap.echo("2")
        home = (await promise).cap
        third = home.echo("3")  # local now, but must wait for the embargo
        for p in (first, second, third):
            await p

    w.run(main())
    assert log == ["1", "2", "3"]
    assert ("a", "disembargo") in w.sent and ("b", "disembargo") in w.sent


def test_exception_type_survives_the_wire(py_schema: Any, net: Any) -> None:
    w = net(b_bootstrap=echo_server(py_schema))

    async def main() -> Any:
        try:
            await py_schema.Echo.Client(w.a.bootstrap()).fail(1, "too busy")
        except Overloaded as exc:
            return exc.reason
        return None

    assert w.run(main()) == "too busy"


def test_abort_from_peer_fails_pending_questions(py_schema: Any, net: Any) -> None:
    w = net()
    pending = w.a.bootstrap().pending
    w.a.data_to_send()

    def abort(m: Any) -> None:
        ex = m.init("abort")
        ex.reason = "bye"

    w.a.receive(frame(abort))
    assert isinstance(pending.exception(), Disconnected) and "bye" in str(pending.exception())


def test_unknown_message_is_echoed_back_as_unimplemented(net: Any) -> None:
    conn = net().a
    conn.receive(frame(lambda m: m.init("provide")))
    (reply,) = replies(conn)
    assert reply.which() == "unimplemented" and reply.unimplemented.which() == "provide"
    assert conn.error is None


def test_calls_on_a_released_capability_fail_locally(py_schema: Any, net: Any) -> None:
    w = net(b_bootstrap=root_server(py_schema))

    async def main() -> str:
        echo = (await py_schema.Root.Client(w.a.bootstrap()).echo()).echo
        echo.release()
        try:
            await echo.echo("after release")
        except Failed as exc:
            return exc.reason
        return "answered"

    assert w.run(main()) == "the capability was released"
    assert ("a", "release") in w.sent


@pytest.mark.parametrize(
    "wire_reason",
    [
        "staleEpoch: issued under epoch 0",
        "message = staleEpoch: issued under epoch 0",
        "remote exception: message = staleEpoch: issued under epoch 0",
    ],
)
def test_a_received_reason_starts_with_the_servers_own_word(wire_reason: str) -> None:
    """pycapnp's `message = ` and `remote exception: ` are transport, not reason."""
    error = RpcError.of_type(0, wire_reason)
    assert isinstance(error, Failed)
    assert error.reason == "staleEpoch: issued under epoch 0"
