"""A process's resident memory, read from Linux /proc: tests and benchmarks watch nodes' RSS."""

from __future__ import annotations


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
