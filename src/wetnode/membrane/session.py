"""What one guest's capability servers share: its key, grants and services.

A ``Session`` is made by the host for each guest link (pid0, or one child) and
lives on the vat thread inside that guest's servers.  Its trio-side parts
(``network``, ``ipfs``, ``spawn``) are only ever awaited through ``vat.to_trio``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from wetnode.cell.limits import GUEST_MEMORY
from wetnode.ipfs.budget import ResultBudget
from wetnode.membrane.bytestream_port import StreamPort
from wetnode.membrane.epoch import EpochClock
from wetnode.membrane.ports import IpfsBackend, Network, Routing
from wetnode.membrane.signing import SignerKey
from wetnode.rpc.vat import Vat

if TYPE_CHECKING:
    from wetnode.approvals.desk import ApprovalDesk
    from wetnode.audit.log import Tap
    from wetnode.mcp.local import LocalServers
    from wetnode.membrane.guests import Child


@dataclass(frozen=True)
class Grants:
    """Which capabilities a guest's graft returns (withheld ones come back null)."""

    host: bool = True
    executor: bool = True
    ipfs: bool = True
    approvals: bool = True
    mcp: bool = True  # the node's local MCP servers, when it runs some
    finder: bool = True
    announcer: bool = True


ALL = Grants()
# A child starts without network authority: it computes, spawns its own
# children and reads IPFS; talking to peers (finding or announcing services,
# and the node's MCP servers, which reach outside) is something pid0 does for
# it, and so is asking a person for an approval.
CHILD = Grants(host=False, mcp=False, finder=False, announcer=False, approvals=False)
# `Binary.spawnBare`: a child whose graft hands out its identity only (a policy hook).
BARE = Grants(
    host=False, executor=False, ipfs=False, approvals=False, mcp=False, finder=False,
    announcer=False,
)  # fmt: skip



@dataclass(frozen=True)
class Passed:
    """What a parent handed its child (`Binary.spawnWith`): capability clients by graft
    result name.  The child's graft returns its identity and these, and none of
    the host's own grants: the parent, not the node, says what the child holds."""

    caps: Mapping[str, Any]


# Starts a child from component bytes or a component file, with these grants or the
# parent's capabilities (None: the node's grants for children).
SpawnChild = Callable[
    [bytes | Path, Sequence[str], dict[str, str], "Grants | Passed | None"], Awaitable["Child"]
]


@dataclass(frozen=True)
class Session:
    vat: Vat
    clock: EpochClock
    key: SignerKey  # the key this guest grafts with; it never leaves the host
    grants: Grants
    network: Network
    ipfs: IpfsBackend | None
    spawn: SpawnChild  # starts a child owned by this guest (trio-side)
    stdin: StreamPort | None = None  # the node's terminal input (pid0 only)
    root: Path | None = None  # the guest's image on the host (pid0 only; `loadPath`)
    gone: trio.Event = field(default_factory=trio.Event)  # set when the guest's link closes
    tap: Tap | None = None  # records this guest's calls (None: the audit log is off)
    approvals: ApprovalDesk | None = None  # the node's proposals (None: not offered)
    mcp: LocalServers | None = None  # the node's `--mcp` servers (None: it runs none)
    routing: Routing | None = None  # the node's DHT (Finder, Announcer); None: none
    passed: Passed | None = None  # what the parent handed a `spawnWith` child (with BARE grants)
    # Bytes of results this guest's calls are building at once (its memory limit).
    results: ResultBudget = field(default_factory=lambda: ResultBudget(GUEST_MEMORY))
