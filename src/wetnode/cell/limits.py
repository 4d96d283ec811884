"""Per-guest resource limits, set by the node's configuration.

Going over a limit ends that guest only, with a reason naming the limit; the
host and other guests keep running.  `None` means unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass

from wetnode.net.limits import FlowLimits

MiB = 1024 * 1024

# Node-wide bounds, kept here with the per-guest ones so the node config can
# name their defaults without importing wasmtime and trio (the engine's and
# the spawner's modules do).
CACHE_MAX_BYTES = 2 << 30  # compiled artifacts on disk (the kernel's is ~40 MB)
MAX_GUESTS = 256  # child guests running at once, node-wide
GUEST_MEMORY = 1024 * MiB  # one guest's linear memory limit
# The running guests' memory limits added up, node-wide.  By default every guest
# --max-guests allows (and pid0) fits at the default limit: a budget of limits,
# not of use, refuses idle guests whose memory is only reserved, so a tighter
# one is the operator's choice (with a lower --guest-memory).
MEMORY_BUDGET = (MAX_GUESTS + 1) * GUEST_MEMORY
# Seconds a guest may leave its channel full (taking none of the results the host
# writes it) before the host closes the channel (`wetnode.rpc.metered`).
DRAIN_TIMEOUT = 30.0
# A guest's calls to the host in flight, and their bytes.  pid0 calls the host on
# behalf of every peer it serves at once, so its bound is wider than one stream's.
GUEST_MAX_CALLS = 256
GUEST_MAX_BYTES = 16 * MiB
GUEST_FLOW_LIMITS = FlowLimits(GUEST_MAX_CALLS, GUEST_MAX_BYTES)


@dataclass(frozen=True)
class Limits:
    """What one guest may use.

    memory_bytes: linear memory the guest may hold in total; past it memory
        growth fails inside the guest (a Python guest sees `MemoryError`).
    cpu_seconds: CPU time the guest's thread may spend running WebAssembly.
    wall_seconds: time from start until the host stops the guest, even if it
        is blocked on its channel or stdio.
    """

    memory_bytes: int | None = GUEST_MEMORY
    cpu_seconds: float | None = None
    wall_seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("memory_bytes", "cpu_seconds", "wall_seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"guest limit {name} must be positive, got {value}")
