"""The audit log's cost: the membrane echo with the log on and off, in the same run.

* local: a pycapnp client grafted onto the membrane host's GuestMembrane
  calls ``executor.echo`` (bench.membrane's measure), once on a host with no
  audit log and once on a host recording every call; rounds alternate, and
  the figure is the median over rounds of the mean per call (goal: ratio
  <= 1.10);
* export: the same echo through `ExportedMembrane` as a remote peer reaches
  it, over a real libp2p stream between two swarms in this process (graft
  checked against the peer's key, then forwarded to an export): one
  protocol served plain, one with the pump recording every call
  (`wetnode.net.audit_tap`); rounds alternate on one connection; wall time
  and this process's CPU time (every thread: both swarms, the pumps, the
  vat, the log's writer);
* real nodes: two `ww run` daemons of this checkout's kernel, one with
  ``--audit off``, each grafted by a `wetnode.client.dial` client; blocks of
  remote ``executor.echo`` calls alternate between them (each call crosses
  libp2p, pid0's export in wasm, and the host; with the log on it is
  recorded twice: the peer's call and pid0's);
* the pump's record alone: CPU per call of the flow count over one echo's
  real Call and Return frames, with and without the recorder (what the log
  adds to each call on the pump's thread, apart from the writer);
* the writer: events/s the log sustains (numbering, hashing, signing, one
  SQLite transaction per batch, synchronous=FULL) and the recording cost per
  event on the caller's thread.

    python -m bench audit
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import trio

from bench.guests import built_kernel
from bench.membrane import CALLS, ROUNDS, _membrane
from bench.timing import echo_round_trips
from tests.kernel.node_process import serving_node
from tests.support.echo import Echo
from wetnode.audit.log import AuditLog, open_audit_log
from wetnode.capnproto import messages, wire
from wetnode.client import dial
from wetnode.guest.schemas.system import Executor
from wetnode.keys import NodeKey
from wetnode.membrane import OfflineNetwork, open_membrane_host
from wetnode.membrane.epoch import EpochClock
from wetnode.membrane.servers.export import export_of
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT
from wetnode.net import protocol
from wetnode.net.audit_tap import StreamRecorder, recorders
from wetnode.net.dial import Remote, open_remote
from wetnode.net.flow import CallFlow
from wetnode.net.swarm import open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, open_vat

T = TypeVar("T")

EVENTS = 50_000
BLOCK = 200  # remote calls per block, alternating between the two real nodes
ECHO = 1  # Executor.echo's ordinal
PLAIN, AUDITED = "/ww/0.1.0", "/ww-bench-audited/0.1.0"  # the export, recorded or not

_stem = schema.stem()


class _Export(_stem.Membrane.Server):
    """Stands in for pid0's export: grafts hand out an echo executor."""

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        _context.results.executor = Echo()


class _Pid0:
    connection: Any = None


async def _pid0(vat: Vat) -> _Pid0:
    """(vat) pid0's stand-in export on a socket pair, as `export_of` reaches pid0."""
    host_end, pid0_end = socket.socketpair()
    pid0 = _Pid0()
    pid0.connection = await vat.connect(host_end)
    await vat.connect(pid0_end, _Export())
    return pid0


@asynccontextmanager
async def _exports(vat: Vat, audit: AuditLog) -> AsyncIterator[tuple[Remote, Remote]]:
    """Grafted clients of the export over a real stream: recorded off, and on."""
    key, peer = NodeKey.generate(), NodeKey.generate()
    pid0 = await vat.run(_pid0, vat)
    async with (
        open_swarm(key.libp2p_key_pair(), port=0, host="127.0.0.1") as server,
        open_swarm(peer.libp2p_key_pair(), port=0, host="127.0.0.1") as client,
    ):
        protocol.serve(server, vat, export_of(pid0), PLAIN)
        audited = export_of(pid0, audit)
        protocol.serve(server, vat, audited, AUDITED, watch=recorders(audit, EpochClock()))
        await client.connect(server.peer_id, server.addrs())
        async with (
            open_remote(client, vat, server.peer_id, protocol=PLAIN) as off,
            open_remote(client, vat, server.peer_id, protocol=AUDITED) as on,
        ):
            for remote in (off, on):
                await remote.graft(lambda: SignerServer(GRAFT, peer))
            yield off, on


async def _cpu_echoes(caps: Any) -> tuple[float, float]:
    """(vat) Mean wall and process CPU seconds per call of CALLS sequential echoes.

    Every side of the export runs in this process, so its CPU time is the
    whole path's cost (the log's writer included), and other processes on a
    loaded machine change it far less than the wall time.
    """
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(CALLS):
        await caps.executor.echo("ping")
    return (time.perf_counter() - wall) / CALLS, (time.process_time() - cpu) / CALLS


async def _local(vat: Vat, audit: AuditLog | None) -> float:
    key = NodeKey.generate()
    async with open_membrane_host(
        vat, node_key=key, network=OfflineNetwork(key.peer_id_bytes), audit=audit
    ) as host:
        host_end, pid0_end = socket.socketpair()
        await host.attach_pid0(host_end)
        return await vat.run(_membrane, vat, pid0_end)


async def _export(vat: Vat, audit: AuditLog) -> tuple[list[Any], list[Any]]:
    """ROUNDS alternating rounds of (wall, CPU) per echo over the export: off, then on."""
    off, on = [], []
    async with _exports(vat, audit) as (plain, audited):
        await plain.run(_cpu_echoes)  # warm both up
        await audited.run(_cpu_echoes)
        for _ in range(ROUNDS):
            off.append(await plain.run(_cpu_echoes))
            on.append(await audited.run(_cpu_echoes))
    return off, on


async def _on_and_off(
    vat: Vat, audit: AuditLog, measure: Callable[[Vat, AuditLog | None], Awaitable[T]]
) -> tuple[list[T], list[T]]:
    """What ROUNDS alternating rounds measured, with the log off and on."""
    off, on = [], []
    for _ in range(ROUNDS):
        off.append(await measure(vat, None))
        on.append(await measure(vat, audit))
    return off, on


def _medians(off: list[float], on: list[float]) -> tuple[float, float]:
    return statistics.median(off), statistics.median(on)


async def _writer(directory: Path) -> tuple[float, float]:
    """(events/s written, ns per event recorded) for EVENTS call events."""
    key = NodeKey.generate()
    async with open_audit_log(directory, key, flush_interval=3600, sign_every=1000) as audit:
        tap = audit.tap("pid0")
        start = time.perf_counter_ns()
        for _ in range(EVENTS):
            tap.call(0, "Executor.echo", None, 16, 16, start)
        recorded = (time.perf_counter_ns() - start) / EVENTS
        begun = time.perf_counter()
        await audit.flush()
        written = EVENTS / (time.perf_counter() - begun)
    return written, recorded


def _echo_frames(question: int) -> tuple[bytes, bytes]:
    """One ``Executor.echo("ping")``: its Call frame and its Return's."""
    call, _payload, params = messages.call(question, ("import", 1), Executor.ID, ECHO)
    wire.set_bytes(call, params.init_struct(0, 1).ptr_index, b"ping", nul=True)
    answer, _payload, results = messages.results_return(question)
    wire.set_bytes(answer, results.init_struct(0, 1).ptr_index, b"ping", nul=True)
    return call.to_bytes(), answer.to_bytes()


def _pump_record(key: NodeKey, directory: Path) -> tuple[float, float]:
    """Seconds of CPU per call the flow count takes over an echo's frames: alone, and with
    the recorder (its events queued on a log that is never written)."""
    frames = [_echo_frames(question) for question in range(64)]
    audit = AuditLog(directory / "record.sqlite", key, sign_every=1000)
    tap = audit.tap("16Uiu2HAmPeer")
    rounds = EVENTS // len(frames)
    timed = []
    for watcher in (None, StreamRecorder(tap, tap.facing("pid0"), lambda: 0)):
        flow = CallFlow(watcher=watcher)
        cpu = time.process_time()
        for _ in range(rounds):
            for call, answer in frames:
                flow.from_peer(call)
                flow.from_vat(answer)
        timed.append((time.process_time() - cpu) / (rounds * len(frames)))
    return timed[0], timed[1]


async def _block(caps: Any) -> list[float]:
    return await echo_round_trips(caps.executor, BLOCK, "ping")


async def _real_nodes(work: Path) -> tuple[float, float]:
    """Median seconds per remote echo: a real node with the log off, and one with it on."""
    kernel = await trio.to_thread.run_sync(built_kernel, work)
    (work / "allow" / "etc").mkdir(parents=True)
    (work / "allow" / "etc" / "membrane.allow").write_text("executor.echo\n")
    env = {**os.environ, "WW_HOME": str(work / "home"), "WW_LISTEN": "127.0.0.1"}
    layers = [str(kernel), str(work / "allow")]
    # Each blocks this thread until its node is ready; nothing else runs here meanwhile.
    with (
        serving_node(["--audit", "off", *layers], env) as plain,
        serving_node(layers, env) as audited,
    ):
        async with (
            dial(plain.address, graft=True) as off_node,
            dial(audited.address, graft=True) as on_node,
        ):
            off: list[float] = []
            on: list[float] = []
            await off_node.run(_block)  # warm both up
            await on_node.run(_block)
            for _ in range(ROUNDS):
                off += await off_node.run(_block)
                on += await on_node.run(_block)
    return statistics.median(off), statistics.median(on)


async def _run() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as scratch:
        directory = Path(scratch)
        async with (
            open_vat() as vat,
            open_audit_log(
                directory / "calls", NodeKey.generate(), flush_interval=0.5, sign_every=1000
            ) as audit,
        ):
            local = _medians(*await _on_and_off(vat, audit, _local))
            off, on = await _export(vat, audit)
            export = _medians([wall for wall, _ in off], [wall for wall, _ in on])
            off_cpu, on_cpu = _medians([cpu for _, cpu in off], [cpu for _, cpu in on])
        written, recorded = await _writer(directory / "writer")
        counted, record = _pump_record(NodeKey.generate(), directory)
        nodes = await _real_nodes(directory / "nodes")
    print(f"audit: {ROUNDS} rounds x {CALLS} sequential echo calls, median of per-call means")
    for label, (off, on) in (
        ("local graft (GuestMembrane)", local),
        ("remote graft (export)", export),
        ("real nodes, remote echo", nodes),
    ):
        print(
            f"  {label:30} off {off * 1e6:7.1f} us  on {on * 1e6:7.1f} us  "
            f"ratio {on / off:5.2f}  goal <= 1.10"
        )
    print(
        f"  {'remote graft (export), CPU':30} off {off_cpu * 1e6:7.1f} us  "
        f"on {on_cpu * 1e6:7.1f} us  ratio {on_cpu / off_cpu:5.2f}  goal <= 1.10"
    )
    print(
        f"  pump record: flow count {counted * 1e6:5.1f} us per call, with the recorder "
        f"{record * 1e6:5.1f} us (+{(record - counted) * 1e6:.1f} us)"
    )
    print(f"  writer: {written:,.0f} events/s written; recording {recorded:,.0f} ns per event")


def main() -> None:
    trio.run(_run)


if __name__ == "__main__":
    main()
