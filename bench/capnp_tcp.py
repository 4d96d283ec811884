"""The concurrency baseline: a bare pycapnp echo server over TCP, no libp2p, no membrane.

`serving()` starts it in a process of its own (as a node is), on 127.0.0.1;
`calls_per_second` runs clients each on its own TCP connection, all on the
caller's vat, every call awaited in turn per client, the clients at once.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import trio

from wetnode.rpc import schema
from wetnode.rpc.vat import Vat


@contextmanager
def serving() -> Iterator[int]:
    """A pycapnp echo server process; yields its port, stops it at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.capnp_tcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the server exits when its stdin closes
        proc.wait(timeout=10)


async def calls_per_second(vat: Vat, port: int, clients: int, calls: int) -> float:
    return await vat.run(_load, vat, port, clients, calls)


async def _load(vat: Vat, port: int, clients: int, calls: int) -> float:
    loop = asyncio.get_running_loop()
    caps = []
    for _ in range(clients):
        sock = socket.socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else Nagle: 40 ms a call
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        connection = await vat.connect(sock)
        caps.append(connection.bootstrap().cast_as(schema.system().Executor))

    async def client(cap: object, index: int) -> None:
        for call in range(calls):
            text = f"{index}:{call}"
            assert (await cap.echo(text)).response == text  # type: ignore[attr-defined]

    start = time.perf_counter()
    await asyncio.gather(*(client(cap, i) for i, cap in enumerate(caps)))
    seconds = time.perf_counter() - start
    caps.clear()
    return clients * calls / seconds


async def _serve(vat: Vat) -> None:
    from tests.support.echo import Echo

    loop = asyncio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.setblocking(False)
    print(listener.getsockname()[1], flush=True)
    while True:
        sock, _ = await loop.sock_accept(listener)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await vat.connect(sock, Echo())


async def _main() -> None:
    from wetnode.rpc.vat import open_vat

    async with open_vat() as vat, trio.open_nursery() as nursery:
        nursery.start_soon(vat.run, _serve, vat)
        await trio.wrap_file(sys.stdin).read()  # until the bench closes it
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(_main)
