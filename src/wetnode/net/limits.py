"""How much a stranger may cost the node before and after it is authenticated.

(Plain data, no libp2p: node config carries `ConnLimits` and must stay cheap
to import.  `net/admission.py` enforces them on the swarm.)

Before the Noise handshake a connection is anybody's: it may claim a
negotiation message of a gigabyte, send nothing at all, or arrive by the
thousand.  So each negotiation message is capped, each inbound connection
must finish Noise and multistream within a deadline, and only so many may be
in that state at once, fewer from any one source address (so one host cannot
take every handshake slot).  After it, a peer ID costs nothing to make, so
authenticated inbound connections are bounded per peer and in total, as
are the streams a peer opens on one, and a slot is freed the moment its
connection (or stream) closes; an idle connection gives its slot up before a
newcomer is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1 << 10
MIB = 1 << 20


@dataclass(frozen=True)
class ConnLimits:
    """Inbound connection limits; the defaults leave honest peers plenty of room."""

    max_message: int = 4 * KIB  # one multistream negotiation message (a protocol id line)
    handshake_seconds: float = 5.0  # Noise + security and muxer negotiation, per connection
    max_pending: int = 64  # inbound connections not yet through the handshake
    max_pending_per_address: int = 8  # of those, from one source address (an IPv6 /64)
    max_connections: int = 256  # authenticated inbound connections, all peers
    max_per_peer: int = 4  # authenticated inbound connections of one peer
    max_streams: int = 128  # inbound streams open at once on one connection
    idle_seconds: float = 10.0  # older than this with no open stream: may be evicted


DEFAULT_CONN_LIMITS = ConnLimits()


@dataclass(frozen=True)
class FlowLimits:
    """Per RPC connection (one `/ww` stream): a peer's questions (calls, bootstraps)
    open at once, and their bytes; past either the node stops reading the stream
    until answers go back (`net/flow.py`)."""

    max_calls: int = 64
    max_bytes: int = 16 * MIB


DEFAULT_FLOW_LIMITS = FlowLimits()
