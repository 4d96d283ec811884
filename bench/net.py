"""Network benchmark: remote Cap'n Proto calls between two real node processes.

Run: ``python -m bench net``.  Starts a node process (tests/net/serve_echo.py)
on 127.0.0.1 and measures, in the same run:

* latency: a remote ``echo`` call round trip against a raw libp2p stream
  ping-pong of the same size on the same connection (target ratio <= 2),
  both from a Cap'n Proto program's view (calls issued on the vat) and from a
  trio program's (each call crosses into the vat and back); beside each
  sequential run, the CPU it cost per call by thread, in the node and in this
  client (trio: libp2p and the pumps; the vat: pycapnp; the guest): the budget
  of a call, which timings on a noisy machine cannot give;
* throughput: ByteStream ``write`` of 64 KiB chunks (16 in flight) to a
  ByteStream-exporting node, against a raw libp2p stream echo;
* load: 50 concurrent clients (one stream and RPC connection each) x 200
  calls; every call must succeed; the node's RSS before and after two runs;
  calls/s beside one client's, and beside a bare pycapnp echo server over
  TCP with 1 and 50 clients (bench/capnp_tcp.py) in the same run;
* a real node: ``ww run`` of the default kernel exporting ``executor.echo``,
  grafted by a ``wetnode.client.dial`` client, so each call goes through
  pid0's export (the kernel's allow list, in wasm) to the host and back;
  against the same raw ping-pong, with its CPU per call by thread; then one and
  50 grafted clients' calls/s, the node's idle RSS, and its RSS across
  LONG_CALLS more calls.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import trio
from libp2p.peer.id import ID

from bench.timing import echo_round_trips, rate_at_once
from tests.support.procfs import cpu_named, rss_bytes, thread_cpu_seconds
from wetnode.cell.cell import THREAD_PREFIX
from wetnode.net.dial import Remote, open_remote, parse_peer_address
from wetnode.net.swarm import Swarm, open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, open_vat

ROUNDS = 7  # alternating blocks of each latency measurement
BLOCK = 200  # round trips per block
PAYLOAD = b"x" * 64
CHUNK = 64 * 1024
THROUGHPUT_BYTES = 32 * 1024 * 1024
IN_FLIGHT = 16
CLIENTS = 50
CALLS_PER_CLIENT = 200
ONE_CLIENT_CALLS = 1000
# The RSS-flatness run through pid0's export (WW_BENCH_LONG_CALLS: fewer on a busy machine).
LONG_CALLS = int(os.environ.get("WW_BENCH_LONG_CALLS", "100000"))


def _load_test_module(relative: str) -> ModuleType:
    """A helper module of the test suite (tests/<relative>), loaded by path."""
    path = Path(__file__).resolve().parents[1] / "tests" / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


async def _ping_pong(stream: Any, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await stream.write(PAYLOAD)
        got = b""
        while len(got) < len(PAYLOAD):
            got += await stream.read(len(PAYLOAD) - len(got))
        samples.append(time.perf_counter() - start)
    return samples


async def _vat_calls(cap: Any, n: int) -> list[float]:
    return await echo_round_trips(cap, n, PAYLOAD.decode())


async def _echo(cap: Any, text: str) -> str:
    return (await cap.echo(text)).response


async def _trio_calls(remote: Remote, n: int) -> list[float]:
    text = PAYLOAD.decode()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await remote.run(_echo, text)
        samples.append(time.perf_counter() - start)
    return samples


async def latency(swarm: Swarm, vat: Vat, node: Any, raw_protocol: str) -> float:
    """Print the latency figures, with what each costs the node and this client in CPU by
    thread; return the raw ping-pong median (us)."""
    peer_id, transport = parse_peer_address(node.address)
    executor = schema.system().Executor
    async with open_remote(swarm, vat, peer_id, [transport], interface=executor) as remote:
        stream = await swarm.open_stream(peer_id, raw_protocol)
        await _ping_pong(stream, 50)
        await remote.run(_vat_calls, 50)
        raw, on_vat = _CpuTally(node.proc.pid), _CpuTally(node.proc.pid)
        from_trio: list[float] = []
        for _ in range(ROUNDS):
            with raw.block():
                raw.samples += await _ping_pong(stream, BLOCK)
            with on_vat.block():
                on_vat.samples += await remote.run(_vat_calls, BLOCK)
            from_trio += await _trio_calls(remote, BLOCK)
        await stream.close()
    base = _median_us(raw.samples)
    print(f"raw libp2p stream ping-pong ({len(PAYLOAD)} B): median {base:7.0f} us")
    for label, samples in (("issued on the vat", on_vat.samples), ("issued from trio", from_trio)):
        median = _median_us(samples)
        print(f"remote echo call, {label:18}: median {median:7.0f} us  ratio {median / base:.2f}")
    print(raw.budget("raw ping-pong, one at a time"))
    print(on_vat.budget("host path echo, one at a time"))
    return base


class _CpuTally:
    """Timed samples, and the CPU the node (``pid``) and this process spent by thread
    in the blocks that took them: where a sequential call's time goes, per side."""

    def __init__(self, pid: int) -> None:
        self.samples: list[float] = []
        self._pids = {"node": pid, "client": os.getpid()}
        self._used: dict[str, dict[str, float]] = {side: {} for side in self._pids}

    @contextmanager
    def block(self) -> Iterator[None]:
        before = {side: thread_cpu_seconds(pid) for side, pid in self._pids.items()}
        yield
        for side, pid in self._pids.items():
            used = self._used[side]
            for name, seconds in _delta(before[side], thread_cpu_seconds(pid)).items():
                used[name] = used.get(name, 0.0) + seconds

    def node_us(self, prefix: str) -> float:
        """The node's CPU per sample (us) in its threads named ``prefix``..."""
        return cpu_named(self._used["node"], prefix) / len(self.samples) * 1e6

    def budget(self, label: str) -> str:
        """``label``'s node and client CPU per sample, by thread."""
        node, client = self._used["node"], self._used["client"]
        calls = len(self.samples)
        return f"{_budget(f'{label}: node', node, calls)}; {_budget('client', client, calls)}"


async def _write_chunks(cap: Any, total: int) -> float:
    data = bytes(CHUNK)
    start = time.perf_counter()
    pending: list[Any] = []
    for _ in range(total // CHUNK):
        pending.append(cap.write(data))
        if len(pending) >= IN_FLIGHT:
            await pending.pop(0)
    for promise in pending:
        await promise
    return time.perf_counter() - start


async def throughput(swarm: Swarm, vat: Vat, node: Any, sink: Any, raw_protocol: str) -> None:
    peer_id, transport = parse_peer_address(sink.address)
    stream_iface = schema.system().ByteStream
    async with open_remote(swarm, vat, peer_id, [transport], interface=stream_iface) as remote:
        await remote.run(_write_chunks, 4 * CHUNK)
        seconds = await remote.run(_write_chunks, THROUGHPUT_BYTES)
    rpc_mbs = THROUGHPUT_BYTES / seconds / 1e6
    raw_mbs = await _raw_echo_throughput(swarm, node, raw_protocol)
    print(f"ByteStream.write across nodes (64 KiB x {IN_FLIGHT} in flight): {rpc_mbs:6.1f} MB/s")
    print(f"raw libp2p stream echo (64 KiB writes, bytes both ways):    {raw_mbs:6.1f} MB/s")


async def _raw_echo_throughput(swarm: Swarm, node: Any, raw_protocol: str) -> float:
    peer_id, transport = parse_peer_address(node.address)
    await swarm.connect(peer_id, [transport])
    stream = await swarm.open_stream(peer_id, raw_protocol)
    total = THROUGHPUT_BYTES // 4
    data = bytes(CHUNK)
    start = time.perf_counter()

    async def drain() -> None:
        got = 0
        while got < total:
            got += len(await stream.read(CHUNK))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain)
        for _ in range(total // CHUNK):
            await stream.write(data)
    seconds = time.perf_counter() - start
    await stream.close()
    return total / seconds / 1e6


async def _clients(
    swarm: Swarm, vat: Vat, peer_id: ID, clients: int, calls: int, graft: Any = None
) -> tuple[int, float]:
    """``clients`` at once, each its own stream and RPC connection, ``calls`` echoes each
    in turn (grafted first with the Signer ``graft()`` builds, if given): (ok, calls/s)."""
    interface = None if graft else schema.system().Executor
    ok = 0

    async def client(index: int) -> None:
        nonlocal ok
        async with open_remote(swarm, vat, peer_id, interface=interface) as remote:
            if graft:
                await remote.graft(graft)
            for call in range(calls):
                text = f"{index}:{call}"
                if await remote.run(_graft_echo if graft else _echo, text) == text:
                    ok += 1

    rate = await rate_at_once(clients, calls, client)
    return ok, rate


async def raw_streams(swarm: Swarm, peer_id: ID, raw_protocol: str) -> float:
    """CLIENTS raw ping-pong streams at once, CALLS_PER_CLIENT round trips each: per second.
    What py-libp2p itself carries at that concurrency, with no RPC at all: the most any
    RPC over it could reach on this machine."""

    async def client(_index: int) -> None:
        stream = await swarm.open_stream(peer_id, raw_protocol)
        await _ping_pong(stream, CALLS_PER_CLIENT)
        await stream.close()

    return await rate_at_once(CLIENTS, CALLS_PER_CLIENT, client)


async def _graft_echo(caps: Any, text: str) -> str:
    return (await caps.executor.echo(text)).response


def _rate_line(label: str, ok: int, total: int, rate: float, one: float, raw: float) -> str:
    return (
        f"{label}: {ok}/{total} ok, {rate:6.0f} calls/s  x one client {rate / one:.2f}  "
        f"x raw pycapnp TCP {CLIENTS} clients {rate / raw:.2f}"
    )


async def raw_capnp_rates(vat: Vat) -> tuple[float, float]:
    """A bare pycapnp echo server over TCP: calls/s with one client and with CLIENTS."""
    from bench import capnp_tcp

    with capnp_tcp.serving() as port:
        one = await capnp_tcp.calls_per_second(vat, port, 1, ONE_CLIENT_CALLS)
        many = await capnp_tcp.calls_per_second(vat, port, CLIENTS, CALLS_PER_CLIENT)
    print(f"raw pycapnp echo over TCP, 1 client: {one:6.0f} calls/s")
    print(f"raw pycapnp echo over TCP, {CLIENTS} clients: {many:6.0f} calls/s")
    return one, many


async def load(swarm: Swarm, vat: Vat, node: Any, raw: float, raw_protocol: str) -> None:
    peer_id, transport = parse_peer_address(node.address)
    await swarm.connect(peer_id, [transport])
    streams = await raw_streams(swarm, peer_id, raw_protocol)
    print(
        f"raw libp2p ping-pong, {CLIENTS} streams at once (no RPC): {streams:6.0f} round trips/s"
        f"  x raw pycapnp TCP {CLIENTS} clients {streams / raw:.2f}"
    )
    _, one = await _clients(swarm, vat, peer_id, 1, ONE_CLIENT_CALLS)
    print(f"host path, 1 client x {ONE_CLIENT_CALLS} calls: {one:6.0f} calls/s")
    before = node.rss_kib()
    total = CLIENTS * CALLS_PER_CLIENT
    for run in (1, 2):
        cpu = thread_cpu_seconds(node.proc.pid)
        ok, rate = await _clients(swarm, vat, peer_id, CLIENTS, CALLS_PER_CLIENT)
        label = f"host path, load run {run}: {CLIENTS} clients x {CALLS_PER_CLIENT} calls"
        print(
            f"{_rate_line(label, ok, total, rate, one, raw)}; "
            f"node RSS {node.rss_kib() / 1024:.1f} MiB (before: {before / 1024:.1f} MiB)"
        )
        print(_budget("host path, node", _delta(cpu, thread_cpu_seconds(node.proc.pid)), ok))


async def _graft_calls(caps: Any, n: int) -> list[float]:
    return await _vat_calls(caps.executor, n)


def _rss_mib(pid: int) -> float:
    return rss_bytes(pid) / (1 << 20)


COMPILE_CACHE = Path(tempfile.gettempdir()) / "wetnode-bench-compile-cache"


def _compiled_into(kernel: Path, home: Path) -> None:
    """Give ``home`` a compile cache holding the kernel, compiled once per machine (a
    first compile can outlast the node's ready-line bound on a busy machine)."""
    from wetnode.cell import Engine

    home.mkdir(parents=True)
    (home / "cache").symlink_to(COMPILE_CACHE, target_is_directory=True)
    with Engine(COMPILE_CACHE) as engine:
        engine.load(kernel / "boot" / "main.wasm", "pid0")


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds by thread name spent between two `thread_cpu_seconds` readings."""
    return {name: after[name] - before.get(name, 0.0) for name in after}


def _ceilings(label: str, node: dict[str, float], calls: int, client_us: float, raw: float) -> str:
    """The most calls/s each of the node's busiest threads could carry at the CPU per call
    it spent (a core each), and the most this machine's cores could at the node's and the
    client's CPU per call together; each beside raw pycapnp's calls/s."""
    node_us = sum(node.values()) / calls * 1e6
    threads = [
        f"{name} {calls / seconds:.0f} ({calls / seconds / raw:.2f})"
        for name, seconds in sorted(node.items(), key=lambda item: -item[1])
        if seconds / calls * 1e6 >= node_us / 10
    ]
    cores = os.cpu_count() or 1
    machine = cores / (node_us + client_us) * 1e6
    return (
        f"{label}, ceilings in calls/s (x raw pycapnp TCP {CLIENTS} clients): each thread at"
        f" its CPU per call: {', '.join(threads)}; {cores} cores at the node's and the"
        f" client's CPU per call: {machine:.0f} ({machine / raw:.2f})"
    )


def _budget(label: str, used: dict[str, float], calls: int) -> str:
    """CPU per call by thread: trio (libp2p, pumps), the vat (pycapnp), guests."""
    parts = [
        f"{name} {seconds / calls * 1e6:.0f}"
        for name, seconds in sorted(used.items(), key=lambda item: -item[1])
        if seconds / calls >= 5e-6
    ]
    total = sum(used.values()) / calls * 1e6
    return f"{label} CPU per call by thread (us): {', '.join(parts)}; total {total:.0f}"


async def _grafted(address: str, clients: int, calls: int) -> tuple[int, float]:
    """``_clients`` grafted onto the export at ``address`` from a fresh client swarm."""
    from wetnode.keys import NodeKey
    from wetnode.membrane.servers.identity import SignerServer
    from wetnode.membrane.signing import GRAFT

    key = NodeKey.generate()
    peer_id, transport = parse_peer_address(address)
    async with (
        open_vat() as vat,
        open_swarm(key.libp2p_key_pair(), port=0, host="127.0.0.1") as swarm,
    ):
        await swarm.connect(peer_id, [transport])
        return await _clients(swarm, vat, peer_id, clients, calls, lambda: SignerServer(GRAFT, key))


async def through_pid0(base_us: float, raw: float) -> None:
    """A real `ww run` node: calls go through pid0's export to the host."""
    from bench.guests import built_kernel
    from wetnode.client import dial

    node_process = _load_test_module("kernel/node_process.py")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        kernel = await trio.to_thread.run_sync(built_kernel, work)  # this checkout's kernel
        (work / "allow" / "etc").mkdir(parents=True)
        (work / "allow" / "etc" / "membrane.allow").write_text("executor.echo\n")
        env = {**os.environ, "WW_HOME": str(work / "home"), "WW_LISTEN": "127.0.0.1"}
        layers = [str(kernel), str(work / "allow")]
        await trio.to_thread.run_sync(_compiled_into, kernel, work / "home")
        # Blocks this thread until the node is ready; nothing else runs here meanwhile.
        with node_process.serving_node(layers, env) as node:
            pid = node.proc.pid
            await trio.sleep(2)  # sleep-ok: the idle RSS is measured after a settling time
            idle = _rss_mib(pid)
            async with dial(node.address, graft=True) as remote:
                await remote.run(_graft_calls, 100)
                sequential = _CpuTally(pid)
                with sequential.block():
                    sequential.samples = await remote.run(_graft_calls, ROUNDS * BLOCK)
            median = _median_us(sequential.samples)
            print(
                f"remote echo through a real node's pid0 export: median {median:7.0f} us  "
                f"ratio {median / base_us:.2f} (to the ping-pong above)"
            )
            print(sequential.budget("pid0 export echo, one at a time"))
            guest_us = sequential.node_us(THREAD_PREFIX)
            print(
                f"pid0 export, its floor: the guest's CPU alone is {guest_us:.0f} us a call, so a"
                f" node costing nothing else would be at ratio {1 + guest_us / base_us:.2f}"
                " (the ping-pong plus that; goal <= 2)"
            )
            _, one = await _grafted(node.address, 1, ONE_CLIENT_CALLS)
            print(f"pid0 export, 1 client x {ONE_CLIENT_CALLS} calls: {one:6.0f} calls/s")
            before, before_client = thread_cpu_seconds(pid), time.process_time()
            ok, rate = await _grafted(node.address, CLIENTS, CALLS_PER_CLIENT)
            used = _delta(before, thread_cpu_seconds(pid))
            client_us = (time.process_time() - before_client) / ok * 1e6  # ended threads too
            label = f"pid0 export, {CLIENTS} clients x {CALLS_PER_CLIENT} calls"
            print(_rate_line(label, ok, CLIENTS * CALLS_PER_CLIENT, rate, one, raw))
            print(f"{_budget('pid0 export, node', used, ok)}; client total {client_us:.0f}")
            print(_ceilings("pid0 export", used, ok, client_us, raw))
            start_rss = _rss_mib(pid)
            ok, rate = await _grafted(node.address, CLIENTS, LONG_CALLS // CLIENTS)
            end_rss = _rss_mib(pid)
            print(
                f"pid0 export, {LONG_CALLS} calls ({CLIENTS} clients): {ok} ok, {rate:.0f} "
                f"calls/s; node RSS {start_rss:.1f} -> {end_rss:.1f} MiB "
                f"({(end_rss / start_rss - 1) * 100:+.1f}%); idle after boot {idle:.1f} MiB"
            )
            node.proc.terminate()  # SIGTERM: a profiled node writes its report
            node.proc.wait(timeout=30)


async def _main() -> None:
    nodes = _load_test_module("net/serve_echo.py")
    with nodes.spawn("executor") as node, nodes.spawn("bytestream") as sink:
        print(f"node {node.address}", file=sys.stderr)
        async with open_vat() as vat, open_swarm(port=0, host="127.0.0.1") as swarm:
            base = await latency(swarm, vat, node, nodes.RAW_ECHO)
            await throughput(swarm, vat, node, sink, nodes.RAW_ECHO)
            _, raw = await raw_capnp_rates(vat)
            await load(swarm, vat, node, raw, nodes.RAW_ECHO)
    await through_pid0(base, raw)


def main() -> None:
    trio.run(_main)


if __name__ == "__main__":
    main()
