"""The cell: cold compile, warm start, channel round trip, stop latency.

Builds the test probe guest with `ww build`, then measures, each against a
baseline taken in the same run:
- cold compile of that componentize-py guest vs loading it from the disk cache;
- start to first instruction (open_cell until the guest's first channel byte),
  component in memory, and a new engine's first start from the disk cache,
  vs spawning /bin/true (target <= 50 ms median);
- channel round trip of 64 bytes through a guest echo (trio host side) vs the
  same trio loop against a Python echo thread on a socketpair (target <= 150 us);
- stop latency of a spinning guest (issue: within 100 ms).

    python -m bench cell
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import trio
import trio.socket

from wetnode.cell import Engine, GuestSpec, open_cell
from wetnode.cell.python_guest import build_project

PROBE = Path(__file__).resolve().parent.parent / "tests" / "cell" / "guests" / "probe"
STARTS = 30
ROUND_TRIPS = 2000
STOPS = 10
PAYLOAD = b"x" * 64


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} us"


def _stream(sock: socket.socket) -> trio.SocketStream:
    return trio.SocketStream(trio.socket.from_stdlib_socket(sock))


async def _receive_exactly(stream: trio.SocketStream, size: int) -> None:
    received = 0
    while received < size:
        chunk = await stream.receive_some(size - received)
        if not chunk:
            raise RuntimeError("channel closed early")
        received += len(chunk)


async def _round_trips(stream: trio.SocketStream) -> float:
    samples = []
    for _ in range(ROUND_TRIPS):
        start = time.perf_counter()
        await stream.send_all(PAYLOAD)
        await _receive_exactly(stream, len(PAYLOAD))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def _native_round_trip() -> float:
    host, echo_end = socket.socketpair()

    def echo() -> None:
        while data := echo_end.recv(65536):
            echo_end.sendall(data)

    thread = threading.Thread(target=echo)
    thread.start()
    stream = _stream(host)
    try:
        return await _round_trips(stream)
    finally:
        await stream.send_eof()
        thread.join()
        echo_end.close()
        host.close()


async def _start_to_first_instruction(engine: Engine, wasm: Path) -> float:
    samples = []
    for _ in range(STARTS):
        start = time.perf_counter()
        async with open_cell(engine, GuestSpec(wasm, args=["ready"])) as cell:
            await _receive_exactly(_stream(cell.channel), 1)
            samples.append(time.perf_counter() - start)
            await cell.wait()
    return statistics.median(samples)


async def _first_start_from_disk_cache(cache: Path, wasm: Path) -> float:
    """A new node process's first start: new engine, component only in the disk cache."""
    samples = []
    for _ in range(STOPS):
        with Engine(cache) as engine:
            start = time.perf_counter()
            async with open_cell(engine, GuestSpec(wasm, args=["ready"])) as cell:
                await _receive_exactly(_stream(cell.channel), 1)
                samples.append(time.perf_counter() - start)
                await cell.wait()
    return statistics.median(samples)


async def _stop_latency(engine: Engine, wasm: Path) -> float:
    samples = []
    for _ in range(STOPS):
        async with open_cell(engine, GuestSpec(wasm, args=["spin"])) as cell:
            await _receive_exactly(_stream(cell.channel), len(b"spinning"))
            start = time.perf_counter()
            cell.stop()
            await cell.wait()
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def _measure(work: Path, wasm: Path) -> None:
    cache = work / "cache"
    with Engine(cache) as engine:
        start = time.perf_counter()
        engine.load(wasm, "probe")
        cold = time.perf_counter() - start
    with Engine(cache) as engine:
        start = time.perf_counter()
        engine.load(wasm, "probe")
        from_disk = time.perf_counter() - start
        print(f"cold compile        {_ms(cold):>10}   load from disk cache {_ms(from_disk)}"
              f"   ratio {cold / from_disk:.0f}x")

        spawn = []
        for _ in range(STARTS):
            begin = time.perf_counter()
            subprocess.run(["/bin/true"], check=True)
            spawn.append(time.perf_counter() - begin)
        started = await _start_to_first_instruction(engine, wasm)
        baseline = statistics.median(spawn)
        print(f"start to 1st instr  {_ms(started):>10}   spawn /bin/true {_ms(baseline)}"
              f"   ratio {started / baseline:.1f}x   (target <= 50 ms; component in memory)")
        first = await _first_start_from_disk_cache(cache, wasm)
        print(f"first start, disk   {_ms(first):>10}   spawn /bin/true {_ms(baseline)}"
              f"   ratio {first / baseline:.1f}x"
              "   (new engine: file-identity index + checksum + load)")

        native = await _native_round_trip()
        async with open_cell(engine, GuestSpec(wasm, args=["echo"])) as cell:
            stream = _stream(cell.channel)
            guest = await _round_trips(stream)
            await stream.send_eof()
            await cell.wait()
        print(f"channel round trip  {_us(guest):>10}   native socketpair echo {_us(native)}"
              f"   ratio {guest / native:.1f}x   (target <= 150 us)")

        stop = await _stop_latency(engine, wasm)
        print(f"stop latency        {_ms(stop):>10}   epoch tick 10.0 ms   (issue: <= 100 ms)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ww-bench-cell-") as tmp:
        work = Path(tmp)
        shutil.copy(PROBE / "app.py", work / "app.py")
        begin = time.perf_counter()
        wasm = build_project(work)
        print(f"ww build (probe)    {_ms(time.perf_counter() - begin):>10}")
        trio.run(_measure, work, wasm)


if __name__ == "__main__":
    main()
