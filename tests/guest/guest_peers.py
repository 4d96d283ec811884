"""Helpers for the Cap'n Proto tests: the test schema, a pycapnp peer, a vat thread, a Wire.

pycapnp only works on its own asyncio loop, so `PycapnpPeer` runs it in a
dedicated thread (the one bridge: `submit` hands a coroutine over and waits
for its result with a bound).  The pure-Python side runs its blocking vat on
the test thread or in `VatThread`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
import types
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import capnp
import pytest

from wetnode.capnproto import Connection, SocketTransport, Vat, loop, wire
from wetnode.capnproto.caps import as_cap
from wetnode.capnproto.schemas import rpc as R

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TIMEOUT = 30.0


def load_generator() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_guest_schemas", ROOT / "scripts" / "gen_guest_schemas.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> types.ModuleType:
    return load_generator()


@pytest.fixture(scope="session")
def py_schema(generator: types.ModuleType) -> types.ModuleType:
    """The pure-Python typed module generated from tests/guest/interop.capnp."""
    files = generator.generate({"interop": (HERE / "interop.capnp", [HERE])})
    module = types.ModuleType("interop_generated")
    exec(compile(files["interop.py"], "interop_generated.py", "exec"), module.__dict__)
    return module


@pytest.fixture(scope="session")
def capnp_schema() -> Any:
    # Same arguments as the generator, so pycapnp reuses the parsed file.
    return capnp.load(str(HERE / "interop.capnp"), imports=[str(HERE)])


class PycapnpPeer:
    """pycapnp serving `bootstrap` over one end of a socket pair, on its own thread."""

    def __init__(self, sock: socket.socket, bootstrap: Callable[[], Any] | None = None) -> None:
        self.sock = sock
        self._bootstrap = bootstrap
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="pycapnp", daemon=True)
        self._thread.start()
        if not self._ready.wait(TIMEOUT):
            raise TimeoutError("pycapnp peer did not start")
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            asyncio.run(capnp.run(self._main()))
        except BaseException as exc:
            self.error = exc
            self._ready.set()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        stream = await capnp.AsyncIoStream.create_connection(sock=self.sock)
        if self._bootstrap is not None:
            self.server = capnp.TwoPartyServer(stream, bootstrap=self._bootstrap())
        else:  # a TwoPartyServer insists on a bootstrap; a client can only call
            self.server = capnp.TwoPartyClient(stream)
        self._ready.set()
        await self._stop.wait()
        del self.server

    def submit(self, make: Callable[[], Coroutine[Any, Any, Any]], timeout: float = TIMEOUT) -> Any:
        """Run `make()` on the pycapnp thread; returns its result (bounded)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout)

    def bootstrap(self, interface: Any) -> Any:
        async def get() -> Any:
            return self.server.bootstrap().cast_as(interface)

        return self.submit(get)

    def close(self) -> None:
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(TIMEOUT)


class VatThread:
    """A pure-Python vat serving `bootstrap` until its socket closes, in a thread."""

    def __init__(self, sock: socket.socket, bootstrap: Any) -> None:
        sock.settimeout(TIMEOUT)
        self.vat = Vat(SocketTransport(sock), bootstrap)
        self.sock = sock
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="vat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        async def serve() -> None:
            await self.vat.closed

        try:
            self.vat.run(serve())
        except BaseException as exc:
            self.error = exc

    def join(self) -> None:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "vat thread did not stop"


@pytest.fixture
def socket_pair() -> Any:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def run_vat(sock: socket.socket, main: Coroutine[Any, Any, Any], bootstrap: Any = None) -> Any:
    """Run a pure-Python client coroutine on this thread against the peer on `sock`."""
    sock.settimeout(TIMEOUT)
    return Vat(SocketTransport(sock), bootstrap).run(main)


def pycapnp_servers(capnp_schema: Any) -> dict[str, Any]:
    """pycapnp implementations of the test schema's Echo and Root (fresh classes per call)."""
    s = capnp_schema

    class Echo(s.Echo.Server):
        live = 0

        def __init__(self) -> None:
            Echo.live += 1

        def __del__(self) -> None:
            Echo.live -= 1

        async def echo(self, message: str, **kwargs: Any) -> str:
            return message

        async def blob(self, data: bytes, **kwargs: Any) -> bytes:
            return data

        async def shapes(self, s: Any, **kwargs: Any) -> Any:
            return s

        async def fail(self, kind: int, reason: str, **kwargs: Any) -> None:
            if kind == 2:
                await asyncio.Event().wait()  # hangs until the connection drops
            raise ValueError(reason)

    class Root(s.Root.Server):
        def __init__(self) -> None:
            self.kept: Any = None

        async def echo(self, **kwargs: Any) -> Any:
            return Echo()

        async def live(self, **kwargs: Any) -> int:
            return Echo.live

        async def callBack(self, cap: Any, message: str, **kwargs: Any) -> str:
            return (await cap.echo(message)).response

        async def keep(self, cap: Any, **kwargs: Any) -> None:
            self.kept = cap

        async def drop(self, **kwargs: Any) -> None:
            self.kept = None

        async def give(self, **kwargs: Any) -> Any:
            return self.kept

        async def relay(self, root: Any, **kwargs: Any) -> Any:
            return root.echo().echo

    return {"Echo": Echo, "Root": Root}


class Wire:
    """Two connections joined in memory, one shared loop, every message recorded."""

    def __init__(self, a_bootstrap: Any = None, b_bootstrap: Any = None) -> None:
        self.loop = loop.Loop()
        self.previous = loop.set_current_loop(self.loop)
        self.a = Connection(as_cap(a_bootstrap) if a_bootstrap else None)
        self.b = Connection(as_cap(b_bootstrap) if b_bootstrap else None)
        self.sent: list[tuple[str, str]] = []

    def pump(self) -> None:
        for _ in range(1000):
            self.loop.run_ready()
            moved = False
            for src, dst, name in ((self.a, self.b, "a"), (self.b, self.a, "b")):
                data = src.data_to_send()
                if data:
                    moved = True
                    for msg in wire.FrameDecoder().feed(data):
                        self.sent.append((name, R.Message.read(msg).which()))
                    dst.receive(data)
            if not moved and not self.loop.has_ready():
                return
        raise AssertionError("connections did not go quiet")

    def run(self, coro: Any) -> Any:
        task = self.loop.spawn(coro)
        self.pump()
        assert task.done(), "task is still waiting"
        return task.result()

    def close(self) -> None:
        loop.set_current_loop(self.previous)
