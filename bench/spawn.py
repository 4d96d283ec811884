"""`executor.runBytes` spawn-to-exit of a trivial child guest, warm (cache hot).

The child is images/examples/echo-args (built with `ww build` if needed).
Path measured: a pycapnp client standing in for pid0 calls runBytes on the
node's real Executor (membrane host + cell spawner), waits for the exit code.
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

import trio

from wetnode.cell import Engine, GuestSpec, Limits, Stdio, open_cell
from wetnode.membrane.node import open_membrane_host
from wetnode.membrane.ports import OfflineNetwork
from wetnode.membrane.signing import Secp256k1Key
from wetnode.node import CellSpawner
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

ROUNDS = 15
PROJECT = Path(__file__).resolve().parents[1] / "images" / "examples" / "echo-args"


def _wasm() -> bytes:
    wasm = PROJECT / "boot" / "main.wasm"
    if not wasm.exists():
        subprocess.run([sys.executable, "-m", "wetnode", "build", str(PROJECT)], check=True)
    return wasm.read_bytes()


async def _measure(wasm: bytes, cache: Path) -> tuple[list[float], list[float]]:
    key = Secp256k1Key()
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
                network=OfflineNetwork(key.peer_id),
                spawner=CellSpawner(engine, nursery, Limits()),
            ) as host,
        ):
            host_end, pid0_end = socket.socketpair()
            await host.attach_pid0(host_end)

            async def run_children() -> list[float]:
                conn = await vat.connect(pid0_end)
                membrane = conn.bootstrap().cast_as(schema.stem().GuestMembrane)
                signer = (await membrane.signer()).signer
                executor = (await membrane.graft(signer)).executor
                samples = []
                for _ in range(ROUNDS):
                    start = time.perf_counter()
                    process = (await executor.runBytes(wasm, ["x"], [])).process
                    stdout = (await process.stdout()).stream
                    while (await stdout.read(65536)).data:
                        pass
                    stderr = (await process.stderr()).stream
                    while (await stderr.read(65536)).data:
                        pass
                    code = (await process.wait()).exitCode
                    assert code == 0, code
                    samples.append(time.perf_counter() - start)
                return samples

            via_rpc = await vat.run(run_children)
            nursery.cancel_scope.cancel()
    return via_rpc, direct[1:]


def main() -> None:
    wasm = _wasm()
    with tempfile.TemporaryDirectory() as tmp:
        via_rpc, direct = trio.run(_measure, wasm, Path(tmp))
    ours, base = statistics.median(via_rpc), statistics.median(direct)
    print(
        f"runBytes spawn-to-exit (warm)      {ours * 1e3:8.1f} ms  "
        f"direct cell {base * 1e3:8.1f} ms  ratio {ours / base:5.2f}  target <= 100 ms"
    )


if __name__ == "__main__":
    main()
