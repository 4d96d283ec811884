"""Python agents on the shared runtime: build, size, start, children, memory.

- `ww build` of the scaffold once the runtime is cached (in-process, and the
  whole `ww build` command), against one `ww build --standalone`;
- the agent's image size without `boot/main.wasm` (the runtime);
- first run (`ww run` with an empty compile cache) and warm start (the
  runtime in memory: cell opened to exit, in-process);
- spawn-to-exit of a Python child from its image (`loadPath` of
  `/bin/tool/boot/main.wasm`, then `binary.spawn`), warm;
- the process's RSS with 1, 10 and 50 idle Python children (each blocked
  reading its stdin), and the RSS each extra child costs.

Goals (issue 19): build < 1 s, image < 100 KB, warm start <= 50 ms,
spawn-to-exit <= 50 ms, <= 15 MB RSS per extra idle child.  The first
`ww build` of a session builds the runtime into a temporary cache: 15-60 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from bench.spawn import child_seconds, with_executor
from bench.timing import measure
from wetnode.cell import Engine, GuestSpec, Stdio, open_cell
from wetnode.cell.python_guest import OUTPUT, build_project

ROUNDS = 15
IDLE_COUNTS = (1, 10, 50)
WW = [sys.executable, "-m", "wetnode"]
IDLE_CHILD = "import sys\n\nsys.stdin.read()  # idle until its stdin closes\n"
TOOL = "/bin/tool/boot/main.wasm"


def _ww(*args: str, home: Path) -> float:
    """Seconds of one `ww` command (checked to succeed)."""
    started = time.perf_counter()
    subprocess.run([*WW, *args], check=True, capture_output=True,
                   env={**os.environ, "WW_HOME": str(home)})
    return time.perf_counter() - started


def _image_bytes(project: Path) -> int:
    return sum(p.stat().st_size for p in project.rglob("*")
               if p.is_file() and p.relative_to(project) != OUTPUT)


def _rss() -> int:
    """This process's resident set size in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _warm_starts(engine: Engine, project: Path) -> list[float]:
    samples = []
    spec = GuestSpec(project / OUTPUT, root=project, stdio=Stdio(stdout="pipe"))
    for _ in range(ROUNDS + 1):  # the first loads the compiled runtime: dropped
        started = time.perf_counter()
        async with open_cell(engine, spec) as cell:
            assert cell.stdout is not None
            while await cell.stdout.receive_some():
                pass
            await cell.wait()
        samples.append(time.perf_counter() - started)
    return samples[1:]


async def _children(executor: Any) -> tuple[list[float], dict[int, int]]:
    """(vat) Spawn-to-exit of the tool, then RSS with N idle children."""
    binary = (await executor.loadPath(TOOL)).binary
    spawns = [await child_seconds(binary.spawn(["x"], [])) for _ in range(ROUNDS + 1)][1:]
    idle_binary = (await executor.loadPath("/bin/idle/boot/main.wasm")).binary
    rss = {0: _rss()}
    idle: list[Any] = []
    for count in IDLE_COUNTS:
        while len(idle) < count:
            idle.append((await idle_binary.spawn([], [])).process)
        rss[count] = _rss()
    for process in idle:  # end of stdin ends each
        await (await process.stdin()).stream.close()
        await process.wait()
    return spawns, rss


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["WW_RUNTIME_CACHE"] = str(work / "runtime-cache")
        home = work / "home"
        project = work / "agent"
        subprocess.run([*WW, "init", str(project)], check=True, capture_output=True)
        first_build = _ww("build", str(project), home=home)  # builds the runtime
        in_process = measure(lambda: build_project(project), ROUNDS)
        command = [_ww("build", str(project), home=home) for _ in range(5)]
        standalone_project = work / "standalone"
        shutil.copytree(project, standalone_project)
        standalone = _ww("build", "--standalone", str(standalone_project), home=home)
        print(f"ww build, runtime not yet cached      {first_build:8.2f} s  (builds the runtime)")
        print(f"ww build (in-process), runtime cached {statistics.median(in_process) * 1e3:8.1f} ms"
              f"  target < 1 s")
        print(f"ww build (whole command), cached      {statistics.median(command):8.2f} s")
        print(f"ww build --standalone                 {standalone:8.2f} s")
        print(f"agent image without boot/main.wasm    {_image_bytes(project):8d} B"
              f"  target < 100 KB (runtime {(project / OUTPUT).stat().st_size / 1e6:.1f} MB,"
              " shared)")

        first_run = _ww("run", str(project), home=home)  # compiles the runtime
        second_run = _ww("run", str(project), home=home)
        print(f"ww run, first (compiles the runtime)  {first_run:8.2f} s")
        print(f"ww run, second (whole node process)   {second_run:8.2f} s")

        for name, source in (("tool", "print('x')\n"), ("idle", IDLE_CHILD)):
            tool = project / "bin" / name
            shutil.copytree(project, tool, ignore=shutil.ignore_patterns("bin"))
            (tool / "boot" / "main.py").write_text(source)
        with Engine(home / "cache") as engine:
            warm = trio.run(_warm_starts, engine, project)
            spawns, rss = trio.run(with_executor, engine, project, _children)
        print(f"warm start (cell open to exit)        {statistics.median(warm) * 1e3:8.1f} ms"
              f"  target <= 50 ms")
        print(f"child spawn-to-exit (loadPath, warm)  {statistics.median(spawns) * 1e3:8.1f} ms"
              f"  target <= 50 ms")
        for count in IDLE_COUNTS:
            print(f"RSS with {count:2d} idle children           {rss[count] / 1e6:8.1f} MB")
        per_child = (rss[IDLE_COUNTS[-1]] - rss[IDLE_COUNTS[0]]) / (IDLE_COUNTS[-1] - 1)
        print(f"RSS per extra idle child              {per_child / 1e6:8.1f} MB  target <= 15 MB")


if __name__ == "__main__":
    main()
