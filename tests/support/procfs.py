"""A process's resident memory and threads, read from Linux /proc: tests and benchmarks
watch nodes' RSS, and what the OS calls each thread."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` now, in bytes; LookupError if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    raise LookupError(f"process {pid} has no resident memory: it is gone")


def _threads(pid: int, name: str) -> Iterator[str]:
    """File ``name`` of each of process ``pid``'s threads (``/proc/PID/task/*/``)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            yield (task / name).read_text()
        except OSError:  # the thread ended meanwhile
            continue


def thread_names(pid: int) -> list[str]:
    """The OS names (``comm``) of process ``pid``'s threads, as ``top -H`` shows them."""
    return [comm.strip() for comm in _threads(pid, "comm")]


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of process ``pid``'s threads so far, summed by name."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds: dict[str, float] = {}
    for stat in _threads(pid, "stat"):
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds[name] = seconds.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return seconds


def cpu_named(seconds: dict[str, float], prefix: str) -> float:
    """The CPU seconds, of a ``thread_cpu_seconds`` reading or a difference of two, of the
    threads whose names begin with ``prefix``."""
    return sum(used for name, used in seconds.items() if name.startswith(prefix))
