"""Guest SDK RPC: the pure-Python Cap'n Proto (wetnode.guest) against pycapnp (C++).

Each scenario makes trivial `Executor.echo` calls (capnp/system.capnp) over a
socket pair: the median round trip of sequential calls, and calls/s with 1000
calls in flight.  The baseline, measured in the same run, is pycapnp at both
ends.  Scenarios:
- pycapnp client -> pycapnp server (baseline)
- wetnode.guest client -> pycapnp server (native)
- pycapnp client -> wetnode.guest server (native)
- wetnode.guest client inside a `ww build` guest -> pycapnp server in the host
- pycapnp client in the host -> wetnode.guest server inside a `ww build` guest
  (how pid0's export answers)

    python -m bench guest_rpc
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import capnp
import trio

from bench.guests import built_guest, printed_json
from tests.support.echo import Echo
from wetnode.capnproto import SocketTransport, Vat, gather
from wetnode.guest.schemas import system as guest_system
from wetnode.rpc import schema

SEQUENTIAL = 500
IN_FLIGHT = 1000
REPEATS = 5

GUEST_APP = f'''
"""Benchmark guest: times Executor.echo calls to the host and prints JSON."""
import json
import time

import wit_world

import wetnode.guest as ww
from wetnode.guest.schemas import system


async def main():
    executor = await ww.connect(system.Executor)
    rtts, rates = [], []
    for _ in range({REPEATS}):
        start = time.perf_counter()
        for _ in range({SEQUENTIAL}):
            await executor.echo("x")
        rtts.append((time.perf_counter() - start) / {SEQUENTIAL})
        start = time.perf_counter()
        await ww.gather([executor.echo("x") for _ in range({IN_FLIGHT})])
        rates.append({IN_FLIGHT} / (time.perf_counter() - start))
    print(json.dumps({{"rtts": rtts, "rates": rates}}))
    return 0


class WitWorld(wit_world.WitWorld):
    def run(self) -> int:
        return ww.run(main)
'''


SERVER_APP = '''
"""Benchmark guest: serves Executor.echo to the host until it closes the channel."""
import wit_world

import wetnode.guest as ww
from wetnode.guest.schemas import system


class Echo(system.Executor.Server):
    async def echo(self, message):
        return message


async def main():
    ww.export(Echo())
    await ww.serve_forever()
    return 0


class WitWorld(wit_world.WitWorld):
    def run(self) -> int:
        return ww.run(main)
'''


class PycapnpThread:
    """pycapnp on its own asyncio loop in a thread: serve on `sock`, run coroutines there."""

    def __init__(self, sock: socket.socket | None = None) -> None:
        self._sock = sock
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(capnp.run(self._main())))
        self._thread.start()
        self._ready.wait(30)

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._sock is not None:
            stream = await capnp.AsyncIoStream.create_connection(sock=self._sock)
            self.server = capnp.TwoPartyServer(stream, bootstrap=Echo())
        self._ready.set()
        await self._stop.wait()

    def submit(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(300)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


async def pycapnp_measure(executor: Any) -> tuple[list[float], list[float]]:
    rtts, rates = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(SEQUENTIAL):
            await executor.echo("x")
        rtts.append((time.perf_counter() - start) / SEQUENTIAL)
        start = time.perf_counter()
        await asyncio.gather(*(executor.echo("x") for _ in range(IN_FLIGHT)))
        rates.append(IN_FLIGHT / (time.perf_counter() - start))
    return rtts, rates


def baseline() -> tuple[list[float], list[float]]:
    a, b = socket.socketpair()
    peer = PycapnpThread(b)

    async def run() -> Any:
        stream = await capnp.AsyncIoStream.create_connection(sock=a)
        client = capnp.TwoPartyClient(stream)
        return await pycapnp_measure(client.bootstrap().cast_as(schema.system().Executor))

    try:
        return peer.submit(run)
    finally:
        peer.close()


def guest_client_native() -> tuple[list[float], list[float]]:
    a, b = socket.socketpair()
    peer = PycapnpThread(b)

    async def run() -> tuple[list[float], list[float]]:
        executor = guest_system.Executor.Client(vat.bootstrap())
        rtts, rates = [], []
        for _ in range(REPEATS):
            start = time.perf_counter()
            for _ in range(SEQUENTIAL):
                await executor.echo("x")
            rtts.append((time.perf_counter() - start) / SEQUENTIAL)
            start = time.perf_counter()
            await gather([executor.echo("x") for _ in range(IN_FLIGHT)])
            rates.append(IN_FLIGHT / (time.perf_counter() - start))
        return rtts, rates

    vat = Vat(SocketTransport(a))
    try:
        return vat.run(run())
    finally:
        peer.close()
        a.close()


class GuestEcho(guest_system.Executor.Server):
    """``Executor.echo`` served by the pure-Python RPC (``wetnode.capnproto``)."""

    async def echo(self, message: str) -> str:
        return message


def guest_server_native() -> tuple[list[float], list[float]]:
    a, b = socket.socketpair()
    vat = Vat(SocketTransport(a), GuestEcho())
    server = threading.Thread(target=lambda: _serve(vat))
    server.start()
    client = PycapnpThread()

    async def run() -> Any:
        stream = await capnp.AsyncIoStream.create_connection(sock=b)
        c = capnp.TwoPartyClient(stream)
        return await pycapnp_measure(c.bootstrap().cast_as(schema.system().Executor))

    try:
        return client.submit(run)
    finally:
        client.close()
        b.close()
        server.join(30)


def _serve(vat: Vat) -> None:
    async def forever() -> None:
        await vat.closed

    try:
        vat.run(forever())
    except Exception:  # the benchmark closed the socket: done
        return


def guest_client_in_wasm() -> tuple[list[float], list[float]]:
    from wetnode.cell import Engine, GuestSpec, Stdio, open_cell

    project = built_guest(GUEST_APP)
    wasm = project / "boot" / "main.wasm"

    async def run() -> Any:
        with Engine(project / "cache") as engine:
            spec = GuestSpec(wasm, name="bench-guest", stdio=Stdio(stdout="pipe"))
            async with open_cell(engine, spec) as cell:
                peer = await trio.to_thread.run_sync(PycapnpThread, cell.channel)
                try:
                    result = await printed_json(cell)
                finally:
                    await trio.to_thread.run_sync(peer.close)
        return result["rtts"], result["rates"]

    return trio.run(run)


def guest_server_in_wasm() -> tuple[list[float], list[float]]:
    from wetnode.cell import Engine, GuestSpec, open_cell

    project = built_guest(SERVER_APP)

    async def run() -> Any:
        with Engine(project / "cache") as engine:
            spec = GuestSpec(project / "boot" / "main.wasm", name="bench-server")
            async with open_cell(engine, spec) as cell:
                client = await trio.to_thread.run_sync(PycapnpThread)
                try:
                    sock = cell.channel

                    async def measure() -> Any:
                        stream = await capnp.AsyncIoStream.create_connection(sock=sock)
                        c = capnp.TwoPartyClient(stream)
                        return await pycapnp_measure(
                            c.bootstrap().cast_as(schema.system().Executor)
                        )

                    return await trio.to_thread.run_sync(client.submit, measure)
                finally:
                    await trio.to_thread.run_sync(client.close)

    return trio.run(run)


def main() -> None:
    print(f"Executor.echo round trips: {REPEATS} x {SEQUENTIAL} sequential, {IN_FLIGHT} in flight")
    base_rtt, base_rate = baseline()
    rows = [("pycapnp -> pycapnp (baseline)", base_rtt, base_rate)]
    for name, fn in (
        ("wetnode.guest client -> pycapnp", guest_client_native),
        ("pycapnp -> wetnode.guest server", guest_server_native),
        ("wetnode.guest in a wasm guest -> pycapnp host", guest_client_in_wasm),
        ("pycapnp host -> wetnode.guest in a wasm guest", guest_server_in_wasm),
    ):
        print(f"measuring {name}…", flush=True)
        rtt, rate = fn()
        rows.append((name, rtt, rate))
    b_rtt, b_rate = statistics.median(base_rtt), statistics.median(base_rate)
    print(f"{'scenario':48} {'rtt us':>9} {'x base':>7} {'calls/s':>9} {'x base':>7}")
    for name, rtt, rate in rows:
        m_rtt, m_rate = statistics.median(rtt), statistics.median(rate)
        rtt_cols = f"{m_rtt * 1e6:9.1f} {m_rtt / b_rtt:7.2f}"
        print(f"{name:48} {rtt_cols} {m_rate:9.0f} {m_rate / b_rate:7.2f}")


if __name__ == "__main__":
    main()
