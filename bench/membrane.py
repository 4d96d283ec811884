"""executor.echo through the membrane's servers vs a bare pycapnp echo server.

Both run in this process over a real socket pair, client and server on the
vat thread, measured in the same run: the ratio is the cost of the membrane
(graft-issued, epoch-guarded capabilities) over raw pycapnp.

    python -m bench membrane
"""

from __future__ import annotations

import socket
import statistics
import time
from typing import Any

import trio

from wetnode.membrane import OfflineNetwork, Secp256k1Key, open_membrane_host
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, open_vat

CALLS = 2000
ROUNDS = 5
MESSAGE = "ping"


class BareEcho(schema.system().Executor.Server):
    async def echo(self, message: str, **_: Any) -> str:
        return message


async def _time_echoes(executor: Any) -> float:
    """(vat) Median seconds per sequential echo round trip."""
    samples = []
    for _ in range(CALLS):
        start = time.perf_counter()
        await executor.echo(MESSAGE)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def _bare(vat: Vat) -> float:
    server_end, client_end = socket.socketpair()
    await vat.connect(server_end, BareEcho())
    client = await vat.connect(client_end)
    return await _time_echoes(client.bootstrap().cast_as(schema.system().Executor))


async def _membrane(vat: Vat, pid0_end: socket.socket) -> float:
    client = await vat.connect(pid0_end)
    membrane = client.bootstrap().cast_as(schema.stem().GuestMembrane)
    caps = await membrane.graft((await membrane.signer()).signer)
    return await _time_echoes(caps.executor)


async def _run() -> None:
    key = Secp256k1Key()
    async with (
        open_vat() as vat,
        open_membrane_host(vat, node_key=key, network=OfflineNetwork(key.peer_id)) as host,
    ):
        bare, membrane = [], []
        for _ in range(ROUNDS):
            bare.append(await vat.run(_bare, vat))
            host_end, pid0_end = socket.socketpair()
            await host.attach_pid0(host_end)
            membrane.append(await vat.run(_membrane, vat, pid0_end))
    bare_us = statistics.median(bare) * 1e6
    membrane_us = statistics.median(membrane) * 1e6
    print(f"membrane: {ROUNDS} rounds x {CALLS} sequential echo calls, median per call")
    print(f"  raw pycapnp echo        {bare_us:8.1f} us")
    print(f"  membrane executor.echo  {membrane_us:8.1f} us")
    print(f"  ratio                   {membrane_us / bare_us:8.2f}")


def main() -> None:
    trio.run(_run)


if __name__ == "__main__":
    main()
