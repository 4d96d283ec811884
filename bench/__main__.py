"""Run benchmarks by name: `python -m bench [--list] [NAME ...]` (all when none)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
NOT_BENCHMARKS = {"__init__", "__main__", "capnp_tcp", "guests", "timing"}


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="profile this and every Python process it starts (yappi); reports in DIR",
    )
    args = parser.parse_args()
    if args.profile and not os.environ.get("WW_BENCH_PROFILE"):
        return _profiled(Path(args.profile))
    names = available()
    if args.list:
        print("\n".join(names))
        return 0
    unknown = [n for n in args.names if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    for name in args.names or names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"== {name} done in {time.perf_counter() - started:.1f} s\n", flush=True)
    return 0


def _profiled(directory: Path) -> int:
    """Run this command again with bench/profiling first on PYTHONPATH (see its sitecustomize)."""
    import subprocess

    directory.mkdir(parents=True, exist_ok=True)
    path = [str(HERE / "profiling"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "WW_BENCH_PROFILE": str(directory.resolve()),
        "PYTHONPATH": os.pathsep.join(path),
    }
    return subprocess.call([sys.executable, "-m", "bench", *sys.argv[1:]], env=env)


if __name__ == "__main__":
    raise SystemExit(main())
