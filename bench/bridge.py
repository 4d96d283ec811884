"""Where a remote call's time goes: the vat <-> trio bridge, without a network.

Run: ``python -m bench bridge``.  In one process, an ``echo`` call from a
pycapnp client to a pycapnp server, both on the vat:

* baseline: the two connections joined by one socket pair;
* through trio: each connection on its own socket pair, with a trio task
  copying bytes between them, as a node's pump does (so each call crosses
  from the vat thread to the trio thread and back, both ways);
* through a thread: the same copy done by two plain blocking threads, to
  tell the cost of trio's scheduler from the cost of waking another thread.

A remote call over libp2p makes four such crossings (two per node), on top
of the raw stream's own round trip; this bench prices them.
"""

from __future__ import annotations

import socket
import statistics
import threading

import trio

from bench.timing import echo_round_trips
from tests.support.echo import Echo
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, open_vat

CALLS = 2000
ROUNDS = 3
TEXT = "x" * 64

_Executor = schema.system().Executor


async def _session(vat: Vat, server_end: socket.socket, client_end: socket.socket) -> list[float]:
    """On the vat (where pycapnp objects must live and die): serve ``Echo`` on
    one end, call it from the other, drop both connections."""
    server = await vat.connect(server_end, Echo())
    client = await vat.connect(client_end)
    cap = client.bootstrap().cast_as(_Executor)
    await echo_round_trips(cap, 200, TEXT)  # warm up
    samples = await echo_round_trips(cap, CALLS, TEXT)
    del cap
    vat.forget(client)
    vat.forget(server)
    return samples


async def _trio_copy(src: trio.socket.SocketType, dst: trio.socket.SocketType) -> None:
    while data := await src.recv(65536):
        view = memoryview(data)
        while view:
            view = view[await dst.send(view) :]


def _thread_copy(src: socket.socket, dst: socket.socket) -> None:
    while data := src.recv(65536):
        dst.sendall(data)


async def _measure(vat: Vat, relay: str) -> list[float]:
    if relay == "none":
        return await vat.run(_session, vat, *socket.socketpair())
    server_end, server_relay = socket.socketpair()
    client_end, client_relay = socket.socketpair()
    async with trio.open_nursery() as nursery:
        if relay == "trio":
            ends = [trio.socket.from_stdlib_socket(s) for s in (server_relay, client_relay)]
            nursery.start_soon(_trio_copy, ends[0], ends[1])
            nursery.start_soon(_trio_copy, ends[1], ends[0])
        else:
            for src, dst in ((server_relay, client_relay), (client_relay, server_relay)):
                threading.Thread(target=_thread_copy, args=(src, dst), daemon=True).start()
        samples = await vat.run(_session, vat, server_end, client_end)
        nursery.cancel_scope.cancel()
    for end in (server_relay, client_relay):
        end.shutdown(socket.SHUT_RDWR)  # ends the copying threads
    return samples


async def _main() -> None:
    results: dict[str, list[float]] = {"none": [], "trio": [], "thread": []}
    async with open_vat() as vat:
        for _ in range(ROUNDS):
            for relay, samples in results.items():
                samples += await _measure(vat, relay)
    base = statistics.median(results["none"]) * 1e6
    print(f"pycapnp echo, one socket pair (baseline): median {base:6.0f} us")
    for relay, label in (("trio", "through a trio byte copy"), ("thread", "through a thread copy")):
        median = statistics.median(results[relay]) * 1e6
        per_crossing = (median - base) / 4
        print(
            f"pycapnp echo, {label:24}: median {median:6.0f} us  ratio {median / base:.2f}"
            f"  (~{per_crossing:.0f} us per thread crossing)"
        )


def main() -> None:
    trio.run(_main)
