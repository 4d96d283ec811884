"""The host side of the membrane: how guests obtain their capabilities.

A guest receives a ``GuestMembrane`` on its RPC link, grafts with a Signer
(challenge-response, key held host-side) and gets epoch-scoped Identity, Host,
Executor and Ipfs capabilities.  See docs/capabilities.md.

`host` (the `MembraneHost`: pid0's and children's links, the epoch clock),
`servers/` (every capability server), `ports` (what the servers need from the
rest of the node, injected by `wetnode.node`), `epoch` and `guarded` (stale
capabilities), `signing` (what a graft signature covers), `terminal` (the
node's stdin for pid0).
"""

from wetnode.membrane.epoch import Epoch, EpochClock
from wetnode.membrane.host import MembraneHost, open_membrane_host
from wetnode.membrane.ports import (
    GuestProcess,
    IpfsBackend,
    Network,
    OfflineNetwork,
    PeerInfo,
    Spawner,
)
from wetnode.membrane.session import ALL, CHILD, Grants
from wetnode.membrane.signing import SignerKey

__all__ = [
    "ALL",
    "CHILD",
    "Epoch",
    "EpochClock",
    "Grants",
    "GuestProcess",
    "IpfsBackend",
    "MembraneHost",
    "Network",
    "OfflineNetwork",
    "PeerInfo",
    "SignerKey",
    "Spawner",
    "open_membrane_host",
]
