"""pycapnp (C++) client against a pure-Python server (wetnode.guest) over a socket pair."""

from __future__ import annotations

from typing import Any

import pytest
from guest_peers import PycapnpPeer, VatThread

from wetnode.capnproto import Disconnected, Failed, Overloaded, Unimplemented
from wetnode.capnproto.imported import ImportCap


@pytest.fixture
def served(socket_pair: Any, py_schema: Any, capnp_schema: Any) -> Any:
    """(pycapnp peer, Root client on the pycapnp side, vat thread serving a Python Root)."""
    s = py_schema
    failures = {0: Failed, 1: Overloaded, 2: Disconnected, 3: Unimplemented}

    class Echo(s.Echo.Server):
        async def echo(self, message: str) -> str:
            return message

        async def blob(self, data: bytes) -> bytes:
            return data

        async def shapes(self, s: Any) -> Any:
            return s

        async def fail(self, kind: int, reason: str) -> None:
            raise failures[kind](reason)

    class Root(s.Root.Server):
        def __init__(self) -> None:
            self.kept: Any = None

        def echo(self) -> Any:  # a plain def works too
            return Echo()

        async def live(self) -> int:
            exports = vat_thread.vat.conn.exports.values()
            return sum(1 for cap, _ in exports if isinstance(getattr(cap, "server", None), Echo))

        async def callBack(self, cap: Any, message: str) -> str:
            return (await cap.echo(message)).response

        async def keep(self, cap: Any) -> None:
            self.kept = cap

        async def drop(self) -> None:
            self.kept = None

        async def give(self) -> Any:
            return self.kept

    vat_thread = VatThread(socket_pair[0], Root())
    peer = PycapnpPeer(socket_pair[1])
    root = peer.bootstrap(capnp_schema.Root)
    yield peer, root, vat_thread
    del root
    peer.close()
    socket_pair[1].close()
    vat_thread.join()
    assert vat_thread.error is None or isinstance(vat_thread.error, Disconnected)


def test_pycapnp_calls_and_pipelines_into_python(served: Any) -> None:
    peer, root, _ = served

    async def calls() -> tuple[str, str, Any]:
        direct = (await (await root.echo()).echo.echo("direct")).response
        piped = (await root.echo().echo.echo("pipelined")).response
        shapes = (await root.echo().echo.shapes({"name": "n", "ints": [1, 2], "pos": {"x": 0.5}})).s
        return direct, piped, (shapes.name, list(shapes.ints), shapes.pos.x, shapes.small)

    assert peer.submit(calls) == ("direct", "pipelined", ("n", [1, 2], 0.5, -3))


def test_capabilities_pass_both_ways_with_pycapnp_client(served: Any, capnp_schema: Any) -> None:
    peer, root, _ = served

    class Shout(capnp_schema.Echo.Server):
        async def echo(self, message: str, **kwargs: Any) -> str:
            return message.upper()

    async def calls() -> tuple[str, str, str]:
        mine = Shout()
        back = (await root.callBack(mine, "back")).response
        await root.keep(mine)
        home = (await (await root.give()).cap.echo("home")).response
        theirs = (await root.echo()).echo
        await root.keep(theirs)
        python = (await (await root.give()).cap.echo("python")).response
        return back, home, python

    assert peer.submit(calls) == ("BACK", "HOME", "python")


def test_python_server_exports_are_released_when_pycapnp_drops_them(served: Any) -> None:
    peer, root, vat_thread = served

    async def calls() -> tuple[int, int]:
        echoes = [(await root.echo()).echo for _ in range(3)]
        for e in echoes:
            await e.echo("x")
        held = (await root.live()).count
        del echoes, e
        count = held
        for _ in range(50):
            count = (await root.live()).count
            if count == 0:
                break
        return held, count

    assert peer.submit(calls) == (3, 0)
    imports = [c for c in vat_thread.vat.conn.imports.values() if isinstance(c(), ImportCap)]
    assert imports == []


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(0, "FAILED"), (1, "OVERLOADED"), (2, "DISCONNECTED"), (3, "UNIMPLEMENTED")],
)
def test_python_exceptions_reach_pycapnp_with_their_type(
    served: Any, kind: int, expected: str
) -> None:
    peer, root, _ = served

    async def call() -> tuple[str, str]:
        try:
            await root.echo().echo.fail(kind, f"reason {kind}")
        except Exception as exc:
            return exc.type, str(exc)
        return "none", ""

    error_type, message = peer.submit(call)
    assert error_type == expected and f"reason {kind}" in message


def test_unknown_method_is_unimplemented_for_pycapnp(served: Any, capnp_schema: Any) -> None:
    peer, root, _ = served

    async def call() -> str:
        try:
            await root.cast_as(capnp_schema.Echo).blob(b"Root has no method 1 with these params")
        except Exception as exc:
            return exc.type
        return "none"

    # Root's ordinal 1 exists (live) but is a different interface ID here.
    assert peer.submit(call) == "UNIMPLEMENTED"


def test_pycapnp_thousand_concurrent_calls_and_a_mebibyte(served: Any) -> None:
    peer, root, _ = served
    payload = bytes(range(256)) * 4096

    async def calls() -> tuple[list[str], bytes]:
        import asyncio

        echo = (await root.echo()).echo
        replies = await asyncio.gather(*(echo.echo(f"m{i}") for i in range(1000)))
        blob = (await echo.blob(payload)).data
        return [r.response for r in replies], blob

    replies, blob = peer.submit(calls)
    assert replies == [f"m{i}" for i in range(1000)] and blob == payload
