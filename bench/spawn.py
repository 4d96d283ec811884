"""Spawn-to-exit of a trivial child guest through the Executor, warm (cache hot).

The child is images/examples/echo-args built with `ww build --standalone`, a
~27 MB Python component (bench/runtime.py measures children on the shared
runtime).  A pycapnp client standing in for pid0 starts it
through the node's real Executor (membrane host + cell spawner), reads its
output to the end and waits for the exit code, two ways:

- `runBytes(wasm, ...)`: the component crosses the RPC channel every time;
- `loadPath("/bin/echo-args.wasm")` once, then `binary.spawn(...)` per child:
  the host reads pid0's image, which is what the kernel's shell does.

Baseline in the same run: the same guest started directly in a cell
(`open_cell` + `wait`), i.e. the cost without RPC and process bookkeeping.
Target: <= 100 ms warm.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import trio

from wetnode.cell import Engine, GuestSpec, Limits, Stdio, open_cell
from wetnode.cell.children import CellSpawner
from wetnode.keys import NodeKey
from wetnode.membrane.host import open_membrane_host
from wetnode.membrane.ports import OfflineNetwork
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

T = TypeVar("T")
ROUNDS = 15
PROJECT = Path(__file__).resolve().parents[1] / "images" / "examples" / "echo-args"


def _wasm() -> bytes:
    """echo-args as a standalone component: `runBytes` hands a child bytes and no image."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "echo-args"
        shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("*.wasm", "__pycache__"))
        subprocess.run([sys.executable, "-m", "wetnode", "build", "--standalone", str(project)],
                       check=True)
        return (project / "boot" / "main.wasm").read_bytes()


async def _measure(
    wasm: bytes, cache: Path, root: Path
) -> tuple[list[float], list[float], list[float]]:
    with Engine(cache) as engine:
        direct = []
        for _ in range(ROUNDS + 1):  # the first run compiles: dropped below
            start = time.perf_counter()
            async with open_cell(engine, GuestSpec(wasm, args=["x"], stdio=Stdio.pipes())) as cell:
                await cell.stdout.receive_some()
                await cell.wait()
            direct.append(time.perf_counter() - start)

        async def run_children(executor: Any) -> tuple[list[float], list[float]]:
            by_bytes = [await child_seconds(executor.runBytes(wasm, ["x"], []))
                        for _ in range(ROUNDS)]
            binary = (await executor.loadPath("/bin/echo-args.wasm")).binary
            by_path = [await child_seconds(binary.spawn(["x"], [])) for _ in range(ROUNDS)]
            return by_bytes, by_path

        by_bytes, by_path = await with_executor(engine, root, run_children)
    return by_bytes, by_path, direct[1:]


async def with_executor(engine: Engine, root: Path, work: Callable[[Any], Awaitable[T]]) -> T:
    """`await work(executor)` on the vat: pid0's Executor (real membrane host and cell
    spawner, pid0's image at `root`), as a pycapnp client standing in for pid0 sees it."""
    key = NodeKey.generate()
    async with (
        open_vat() as vat,
        trio.open_nursery() as nursery,
        open_membrane_host(
            vat,
            node_key=key,
            network=OfflineNetwork(key.peer_id_bytes),
            spawner=CellSpawner(engine, nursery, Limits()),
        ) as host,
    ):
        host_end, pid0_end = socket.socketpair()
        await host.attach_pid0(host_end, root=root)

        async def graft_then_work() -> T:
            conn = await vat.connect(pid0_end)
            membrane = conn.bootstrap().cast_as(schema.stem().GuestMembrane)
            signer = (await membrane.signer()).signer
            return await work((await membrane.graft(signer)).executor)

        result = await vat.run(graft_then_work)
        nursery.cancel_scope.cancel()
    return result


async def child_seconds(call: Any) -> float:
    """(vat) Seconds from the spawn call to the child's exit, its output read."""
    start = time.perf_counter()
    process = (await call).process
    for stream in ((await process.stdout()).stream, (await process.stderr()).stream):
        while (await stream.read(65536)).data:
            pass
    code = (await process.wait()).exitCode
    assert code == 0, code
    return time.perf_counter() - start


def main() -> None:
    wasm = _wasm()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        (root / "bin").mkdir(parents=True)
        (root / "bin" / "echo-args.wasm").write_bytes(wasm)
        by_bytes, by_path, direct = trio.run(_measure, wasm, Path(tmp) / "cache", root)
    base = statistics.median(direct)
    for label, samples in (("runBytes", by_bytes), ("loadPath + binary.spawn", by_path)):
        ours = statistics.median(samples)
        print(
            f"{label:<24} spawn-to-exit (warm) {ours * 1e3:8.1f} ms  "
            f"direct cell {base * 1e3:6.1f} ms  ratio {ours / base:5.2f}  target <= 100 ms"
        )


if __name__ == "__main__":
    main()
