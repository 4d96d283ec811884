"""Issue 21's one-thread design, priced before it is built: the pure-Python RPC on trio.

Run: ``python -m bench one_thread``.  Today a remote call on the host path
crosses threads four times (libp2p on trio, pycapnp on the vat thread, on
both ends).  The project's own Cap'n Proto RPC (``wetnode.capnproto``, the
guest SDK's, sans-IO) can be driven on trio itself, straight off a libp2p
stream.  This measures, in one run and on one connection per path, alternating
blocks of sequential 64-byte calls:

* the raw libp2p stream ping-pong (the baseline);
* ``Executor.echo`` served by pycapnp on the node's vat, called from the
  client's vat (today's host path: ``bench net``'s "issued on the vat" row);
* ``Executor.echo`` served by ``wetnode.capnproto`` on the node's trio
  thread, called by ``wetnode.capnproto`` on the client's trio thread: the
  one-thread host path, with no crossing at all;
* then calls/s of one client and of 50 at once on each path (each client its
  own stream and RPC connection, as in ``bench net``), beside a bare pycapnp
  echo server over TCP with 50 clients and 50 raw libp2p ping-pong streams
  at once (what py-libp2p carries with no RPC at all).

The node processes are ``tests/net/serve_echo.py`` (today's path) and this
module run as ``python -m bench.one_thread --serve``.  The server's
connections share the thread's loop, which is enough for an echo that
answers at once (each connection's driver runs the tasks its bytes made
ready and flushes its own answers): a measurement, not the design, which
would give each connection its own loop and wake its writer.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Coroutine
from contextlib import suppress
from functools import partial
from typing import Any

import trio
from libp2p.abc import INetStream
from libp2p.io.exceptions import IOException
from libp2p.peer.id import ID

from bench.guest_rpc import GuestEcho
from bench.net import (
    BLOCK,
    CALLS_PER_CLIENT,
    CLIENTS,
    ONE_CLIENT_CALLS,
    PAYLOAD,
    ROUNDS,
    _clients,
    _load_test_module,
    _median_us,
    _ping_pong,
    _rate_line,
    raw_capnp_rates,
    raw_streams,
)
from bench.timing import echo_round_trips, rate_at_once
from wetnode.capnproto import loop as capnp_loop
from wetnode.capnproto.caps import as_cap
from wetnode.capnproto.connection import Connection
from wetnode.guest.schemas import system as guest_system
from wetnode.net.dial import open_remote, parse_peer_address
from wetnode.net.swarm import Swarm, open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, open_vat

PROTOCOL = "/wetnode-bench/one-thread/0.1.0"
READ_SIZE = 1 << 16
MEASURE_TIMEOUT = 600.0  # seconds for the whole run (about 10 on an idle machine)


async def _flush(conn: Connection, stream: INetStream) -> None:
    if out := conn.data_to_send():
        await stream.write(out)


async def _serve_stream(stream: INetStream) -> None:
    """Answer one connection's calls on this (trio) thread until the peer leaves."""
    conn = Connection(as_cap(GuestEcho()))
    loop = capnp_loop.current_loop()
    with suppress(IOException):  # the client closed its stream
        while conn.error is None and (data := await stream.read(READ_SIZE)):
            conn.receive(data)
            loop.run_ready()
            await _flush(conn, stream)


async def _until_done(
    conn: Connection, stream: INetStream, call: Coroutine[Any, Any, Any], loop: Any = None
) -> Any:
    """Run ``call`` on ``loop`` (the thread's, if None), reading the stream whenever it waits."""
    loop = loop or capnp_loop.current_loop()
    task = loop.spawn(call)
    while True:
        loop.run_ready()
        await _flush(conn, stream)
        if task.done():
            return task.result()
        conn.receive(await stream.read(READ_SIZE))


async def _one_thread_calls(conn: Connection, stream: INetStream, n: int) -> list[float]:
    executor = guest_system.Executor.Client(conn.bootstrap())
    timed = echo_round_trips(executor, n, PAYLOAD.decode())
    return await _until_done(conn, stream, timed)  # type: ignore[no-any-return]


async def _one_thread_clients(
    swarm: Swarm, peer_id: ID, clients: int, calls: int
) -> tuple[int, float]:
    """As ``bench.net._clients``, on the one-thread path: (ok, calls/s)."""
    ok = 0

    async def client(index: int) -> None:
        nonlocal ok
        stream = await swarm.open_stream(peer_id, PROTOCOL)
        conn = Connection(None)
        executor = guest_system.Executor.Client(conn.bootstrap())

        async def run() -> int:
            texts = [f"{index}:{call}" for call in range(calls)]
            return sum([(await executor.echo(text)).response == text for text in texts])

        answered = await _until_done(conn, stream, run(), capnp_loop.Loop())  # its own loop
        ok += answered
        await stream.close()

    rate = await rate_at_once(clients, calls, client)
    return ok, rate


async def _load(swarm: Swarm, vat: Vat, today: ID, one_thread: ID, raw_protocol: str) -> None:
    """One client, then CLIENTS at once, on each path, beside raw pycapnp over TCP and
    raw libp2p streams."""
    _, raw = await raw_capnp_rates(vat)
    streams = await raw_streams(swarm, one_thread, raw_protocol)
    print(f"raw libp2p ping-pong, {CLIENTS} streams at once: {streams:6.0f} round trips/s")
    total = CLIENTS * CALLS_PER_CLIENT
    for label, clients in (
        ("pycapnp on the vats (today)", partial(_clients, swarm, vat, today)),
        ("wetnode.capnproto on trio", partial(_one_thread_clients, swarm, one_thread)),
    ):
        _, one = await clients(1, ONE_CLIENT_CALLS)
        ok, many = await clients(CLIENTS, CALLS_PER_CLIENT)
        print(f"{label}, 1 client: {one:6.0f} calls/s")
        print(
            f"{_rate_line(f'{label}, {CLIENTS} clients', ok, total, many, one, raw)}"
            f"  x raw libp2p {many / streams:.2f}"
        )


async def _latency(swarm: Swarm, vat: Vat, today: ID, one_thread: ID, raw_protocol: str) -> None:
    """Alternating blocks of sequential calls on each path and of its raw ping-pong."""
    async with open_remote(swarm, vat, today, interface=schema.system().Executor) as remote:
        today_raw = await swarm.open_stream(today, raw_protocol)
        one_raw = await swarm.open_stream(one_thread, raw_protocol)
        one_stream = await swarm.open_stream(one_thread, PROTOCOL)
        one_conn = Connection(None)
        text = PAYLOAD.decode()
        samples: dict[str, list[float]] = {key: [] for key in ("raw", "vat", "raw1", "trio")}
        await _ping_pong(today_raw, 50)  # warm up each path
        await _ping_pong(one_raw, 50)
        await remote.run(echo_round_trips, 50, text)
        await _one_thread_calls(one_conn, one_stream, 50)
        for _ in range(ROUNDS):
            samples["raw"] += await _ping_pong(today_raw, BLOCK)
            samples["vat"] += await remote.run(echo_round_trips, BLOCK, text)
            samples["raw1"] += await _ping_pong(one_raw, BLOCK)
            samples["trio"] += await _one_thread_calls(one_conn, one_stream, BLOCK)
        for stream in (today_raw, one_raw, one_stream):
            await stream.close()
    for label, calls, raw in (("pycapnp on the vats (today)", "vat", "raw"),
                              ("wetnode.capnproto on trio", "trio", "raw1")):  # fmt: skip
        base, median = _median_us(samples[raw]), _median_us(samples[calls])
        print(
            f"remote echo, {label}: median {median:6.0f} us, raw ping-pong {base:6.0f} us:"
            f" ratio {median / base:.2f} (goal <= 1.3)"
        )


async def _measure(node_address: str, serving_address: str, raw_protocol: str) -> None:
    capnp_loop.set_current_loop(capnp_loop.Loop())
    with trio.fail_after(MEASURE_TIMEOUT):
        async with open_vat() as vat, open_swarm(port=0, host="127.0.0.1") as swarm:
            today, today_transport = parse_peer_address(node_address)
            one_thread, one_transport = parse_peer_address(serving_address)
            await swarm.connect(today, [today_transport])
            await swarm.connect(one_thread, [one_transport])
            await _latency(swarm, vat, today, one_thread, raw_protocol)
            await _load(swarm, vat, today, one_thread, raw_protocol)


async def _serve(raw_echo: Any, stdin_closed: Any, raw_protocol: str) -> None:
    capnp_loop.set_current_loop(capnp_loop.Loop())
    async with open_swarm(port=0, host="127.0.0.1") as swarm:
        swarm.handle(PROTOCOL, _serve_stream)
        swarm.handle(raw_protocol, raw_echo)
        print("READY", swarm.addrs()[0], flush=True)
        await stdin_closed()


def main() -> None:
    nodes = _load_test_module("net/serve_echo.py")
    serving = subprocess.Popen(
        [sys.executable, "-m", "bench.one_thread", "--serve"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = nodes.readline_within(serving, nodes.READY_TIMEOUT)
        if not line.startswith("READY "):
            raise RuntimeError(f"the one-thread node did not start: {line!r}")
        with nodes.spawn("executor") as node:
            trio.run(_measure, node.address, line.split()[1], nodes.RAW_ECHO)
    finally:
        nodes._stop(serving)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true", help="be the one-thread node")
    if parser.parse_args().serve:
        nodes = _load_test_module("net/serve_echo.py")
        trio.run(_serve, nodes.raw_echo, nodes.stdin_closed, nodes.RAW_ECHO)
    else:
        main()
