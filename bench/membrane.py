"""executor.echo through the membrane's servers vs a bare pycapnp echo server.

Measured in the same run, each over a real socket pair:

* baseline: a pycapnp client calling a bare pycapnp echo server, both on the
  vat thread;
* a pycapnp client that grafted onto the membrane host's GuestMembrane
  (graft-issued, epoch-guarded capabilities): the cost of the membrane;
* pid0 itself: a wasm guest built with the guest SDK, attached as pid0,
  grafting and calling ``executor.echo`` (the issue's measure, target <= 3):
  the membrane plus the guest's pure-Python RPC inside wasm.

Figures are the median over rounds of the mean per call of CALLS sequential
calls (the guest can only report means).

    python -m bench membrane
"""

from __future__ import annotations

import os
import socket
import statistics
import time
from typing import Any

import trio

from tests.support.echo import Echo
from tests.support.procfs import cpu_named, thread_cpu_seconds
from wetnode.cell.cell import THREAD_PREFIX
from wetnode.keys import NodeKey
from wetnode.membrane import OfflineNetwork, open_membrane_host
from wetnode.rpc import schema
from wetnode.rpc.vat import VAT_THREAD, Vat, open_vat

CALLS = 2000
ROUNDS = 5
TIMING = "timing"  # the line pid0 prints as its timed calls begin
START_TIMEOUT = 600  # seconds for pid0 to start and graft (a first build or compile)
SAMPLE_EVERY = 0.05  # seconds between readings of the threads' CPU while pid0 runs
MESSAGE = "ping"


PID0_APP = f'''
"""Benchmark pid0: grafts, times executor.echo, prints one JSON list."""
import json
import time

import wit_world

import wetnode.guest as ww


async def main():
    membrane = await ww.connect()
    executor = (await membrane.graft(membrane.signer().signer)).executor
    print("{TIMING}", flush=True)
    means = []
    for _ in range({ROUNDS}):
        start = time.perf_counter()
        for _ in range({CALLS}):
            await executor.echo("{MESSAGE}")
        means.append((time.perf_counter() - start) / {CALLS})
    print(json.dumps(means))
    return 0


class WitWorld(wit_world.WitWorld):
    def run(self) -> int:
        return ww.run(main)
'''


async def _time_echoes(executor: Any) -> float:
    """(vat) Mean seconds per call of CALLS sequential echo round trips."""
    start = time.perf_counter()
    for _ in range(CALLS):
        await executor.echo(MESSAGE)
    return (time.perf_counter() - start) / CALLS


async def _bare(vat: Vat) -> float:
    server_end, client_end = socket.socketpair()
    await vat.connect(server_end, Echo())
    client = await vat.connect(client_end)
    return await _time_echoes(client.bootstrap().cast_as(schema.system().Executor))


async def _membrane(vat: Vat, pid0_end: socket.socket) -> float:
    client = await vat.connect(pid0_end)
    membrane = client.bootstrap().cast_as(schema.stem().GuestMembrane)
    caps = await membrane.graft((await membrane.signer()).signer)
    return await _time_echoes(caps.executor)


async def _run() -> None:
    key = NodeKey.generate()
    async with (
        open_vat() as vat,
        open_membrane_host(vat, node_key=key, network=OfflineNetwork(key.peer_id_bytes)) as host,
    ):
        bare, membrane = [], []
        for _ in range(ROUNDS):
            bare.append(await vat.run(_bare, vat))
            host_end, pid0_end = socket.socketpair()
            await host.attach_pid0(host_end)
            membrane.append(await vat.run(_membrane, vat, pid0_end))
        pid0, pid0_cpu = await _pid0_in_wasm(host)
    bare_us = statistics.median(bare) * 1e6
    print(f"membrane: {ROUNDS} rounds x {CALLS} sequential echo calls, median of per-call means")
    print(f"  raw pycapnp echo (baseline)          {bare_us:8.1f} us")
    for label, samples in (
        ("pycapnp client via the membrane", membrane),
        ("pid0 (wasm guest) via the membrane", pid0),
    ):
        median_us = statistics.median(samples) * 1e6
        print(f"  {label:36} {median_us:8.1f} us  ratio {median_us / bare_us:5.2f}")
    calls = ROUNDS * CALLS
    guest_us = cpu_named(pid0_cpu, THREAD_PREFIX) / calls * 1e6
    vat_us = pid0_cpu.get(VAT_THREAD, 0.0) / calls * 1e6
    print(
        f"  pid0's floor: its one thread spent {guest_us:.1f} us of CPU a call,"
        f" so its calls averaged no less: ratio >= {guest_us / bare_us:.2f} (goal <= 2);"
        f" the vat spent {vat_us:.1f} us"
    )


async def _pid0_in_wasm(host: Any) -> tuple[list[float], dict[str, float]]:
    """pid0 as a real wasm guest: its own timings of executor.echo through a graft, and
    the CPU seconds by thread this process spent in its timed calls (read every
    SAMPLE_EVERY while the guest runs, since its thread's figure goes when it ends)."""
    from bench.guests import built_guest, printed_json
    from wetnode.cell import Engine, GuestSpec, Stdio, open_cell

    project = await trio.to_thread.run_sync(built_guest, PID0_APP)
    spec = GuestSpec(project / "boot" / "main.wasm", name="pid0", stdio=Stdio(stdout="pipe"))
    with Engine(project / "cache") as engine:
        async with open_cell(engine, spec) as cell, trio.open_nursery() as nursery:
            assert cell.channel is not None and cell.stdout is not None
            link = await host.attach_pid0(cell.channel.dup())
            first = b""
            with trio.fail_after(START_TIMEOUT):
                while not first.endswith(b"\n"):  # not its start, nor its worker thread's past
                    if not (byte := await cell.stdout.receive_some(1)):
                        raise RuntimeError(f"pid0 ended before its timed calls: {first!r}")
                    first += byte
            assert first.decode().strip() == TIMING, first
            start = last = thread_cpu_seconds(os.getpid())

            async def sample() -> None:
                nonlocal last
                while True:
                    last = thread_cpu_seconds(os.getpid())
                    await trio.sleep(SAMPLE_EVERY)  # sleep-ok: a sampling period, not a wait

            nursery.start_soon(sample)
            means = await printed_json(cell)
            nursery.cancel_scope.cancel()
            await link.close()
    return means, {name: seconds - start.get(name, 0.0) for name, seconds in last.items()}


def main() -> None:
    trio.run(_run)


if __name__ == "__main__":
    main()
