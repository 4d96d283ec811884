"""Profile this whole Python process, every thread, when WW_BENCH_PROFILE names a directory.

`python -m bench --profile DIR ...` puts this directory first on PYTHONPATH,
so every Python process the benchmark starts (node processes, `ww run`)
imports it at start-up.  yappi sees every thread (trio, the vat, guest
threads, which cProfile would miss); at exit the process writes
`DIR/<argv0>-<pid>.txt`: the functions with the most own CPU time, and the
CPU time of each thread.  A process killed with SIGKILL writes nothing, so
the benchmarks stop their nodes with SIGTERM or by closing stdin.
"""

from __future__ import annotations

import atexit
import os
import sys

DIRECTORY = os.environ.get("WW_BENCH_PROFILE", "")


def _dump() -> None:
    import yappi

    yappi.stop()
    name = os.path.basename(sys.argv[0] or "python").removesuffix(".py")
    if name == "__main__":  # python -m PACKAGE
        name = os.path.basename(os.path.dirname(sys.argv[0]))
    path = os.path.join(DIRECTORY, f"{name}-{os.getpid()}.txt")
    with open(path, "w") as out:
        yappi.get_thread_stats().print_all(out=out)
        stats = yappi.get_func_stats()
        stats.sort("tsub").print_all(
            out=out, columns={0: ("name", 90), 1: ("ncall", 10), 2: ("tsub", 8), 3: ("ttot", 8)}
        )


def _start() -> None:
    import yappi

    yappi.set_clock_type("cpu")
    yappi.start()
    atexit.register(_dump)
    # `ww` leaves through os._exit (wetnode.cli.entry), which runs no atexit hook.
    leave = os._exit

    def dump_then_exit(code: int) -> None:
        _dump()
        leave(code)

    os._exit = dump_then_exit  # type: ignore[assignment]


if DIRECTORY:
    _start()
