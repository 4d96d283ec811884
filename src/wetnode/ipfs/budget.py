"""How many bytes of results one guest's calls may be building at once.

A `cat` builds its whole result before it returns, and a guest may pipeline
`--guest-max-calls` of them: 256 cats of a DAG that links one chunk over and
over would have the host build 128 GiB for a guest that sends a few KiB.
Once built, a result is counted by the guest's channel (`wetnode.rpc.metered`);
while it is being built, it is counted here, against the same limit (the
guest's `--guest-memory`: a guest could not hold more itself).
"""

from __future__ import annotations

import trio

from wetnode.ipfs.errors import TooLarge

AT_ONCE = 4  # large results built for one guest at a time; the others wait their turn


class ResultBudget:
    """Bytes being built for one guest; ``limit`` None is no bound.

    Only ``AT_ONCE`` results are built at a time (``turn``): a built result
    is counted again only once the channel holds it, so what is on its way
    there (and copied once or twice on the way) is bounded by the number of
    turns, not by how many calls the guest pipelined.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.building = 0
        self.turn = trio.CapacityLimiter(AT_ONCE)

    def take(self, size: int, what: str) -> None:
        """``size`` more bytes of ``what`` are being built; refused past the limit."""
        if self.limit is not None and self.building + size > self.limit:
            raise TooLarge(
                f"{what}: the results this guest's calls are building would pass its"
                f" {self.limit >> 20} MiB (--guest-memory); wait for fewer large results at once"
            )
        self.building += size

    def give(self, size: int) -> None:
        """``size`` bytes are built (or dropped): they no longer count here."""
        self.building -= size
