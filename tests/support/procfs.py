"""A process's resident memory and threads, read from Linux /proc: tests and benchmarks
watch nodes' RSS, and what the OS calls each thread."""

from __future__ import annotations

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


def thread_names(pid: int) -> list[str]:
    """The OS names (``comm``) of process ``pid``'s threads, as ``top -H`` shows them."""
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except OSError:  # the thread ended meanwhile
            continue
    return names
