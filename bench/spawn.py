"""Spawn-to-exit of a trivial child guest through the Executor, warm (cache hot).

The child is images/examples/echo-args (built with `ww build` if needed), an
18 MB Python component.  A pycapnp client standing in for pid0 starts it
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

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from wetnode.cell import Engine, GuestSpec, Limits, Stdio, open_cell
from wetnode.cell.children import CellSpawner
from wetnode.keys import NodeKey
from wetnode.membrane.host import open_membrane_host
from wetnode.membrane.ports import OfflineNetwork
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

ROUNDS = 15
PROJECT = Path(__file__).resolve().parents[1] / "images" / "examples" / "echo-args"


def _wasm() -> bytes:
    wasm = PROJECT / "boot" / "main.wasm"
    if not wasm.exists():
        subprocess.run([sys.executable, "-m", "wetnode", "build", str(PROJECT)], check=True)
    return wasm.read_bytes()


async def _measure(
    wasm: bytes, cache: Path, root: Path
) -> tuple[list[float], list[float], list[float]]:
    key = NodeKey.generate()
    with Engine(cache) as engine:
        direct = []
        for _ in range(ROUNDS + 1):  # the first run compiles: dropped below
            start = time.perf_counter()
            async with open_cell(engine, GuestSpec(wasm, args=["x"], stdio=Stdio.pipes())) as cell:
                await cell.stdout.receive_some()
                await cell.wait()
            direct.append(time.perf_counter() - start)
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

            async def run_children() -> tuple[list[float], list[float]]:
                conn = await vat.connect(pid0_end)
                membrane = conn.bootstrap().cast_as(schema.stem().GuestMembrane)
                signer = (await membrane.signer()).signer
                executor = (await membrane.graft(signer)).executor
                by_bytes = [await _child(executor.runBytes(wasm, ["x"], [])) for _ in range(ROUNDS)]
                binary = (await executor.loadPath("/bin/echo-args.wasm")).binary
                by_path = [await _child(binary.spawn(["x"], [])) for _ in range(ROUNDS)]
                return by_bytes, by_path

            by_bytes, by_path = await vat.run(run_children)
            nursery.cancel_scope.cancel()
    return by_bytes, by_path, direct[1:]


async def _child(call: Any) -> float:
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
