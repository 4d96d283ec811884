"""The libp2p swarm as the membrane's `Network`: what pid0's `host` capability reaches.

The membrane speaks binary peer IDs and multiaddrs (what crosses the wire);
this adapter parses them, refuses garbage with a `ValueError` naming the call,
and keeps each dialled connection open exactly as long as the guest that
dialled it (the ``until`` event), in the node's nursery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import multiaddr
import trio
from libp2p.peer.id import ID

from wetnode.membrane.ports import PeerInfo
from wetnode.net.dial import open_remote
from wetnode.net.swarm import Swarm
from wetnode.rpc.vat import Connection, Vat


class SwarmNetwork:
    """The libp2p swarm as the membrane's `Network` (binary IDs and multiaddrs)."""

    def __init__(self, swarm: Swarm, vat: Vat, nursery: trio.Nursery) -> None:
        self._swarm = swarm
        self._vat = vat
        self._nursery = nursery  # holds dialled connections (each until its guest goes)
        self.peer_id = swarm.peer_id.to_bytes()

    async def listen_addrs(self) -> list[bytes]:
        return [addr.to_bytes() for addr in self._swarm.addrs()]

    async def peers(self) -> list[PeerInfo]:
        return [
            PeerInfo(p.peer_id.to_bytes(), tuple(a.to_bytes() for a in p.addrs))
            for p in self._swarm.peers()
        ]

    async def connect(self, peer_id: bytes, addrs: Sequence[bytes]) -> None:
        pid, maddrs = _parse_peer("connect", peer_id, addrs)
        try:
            await self._swarm.connect(pid, maddrs)
        except trio.TooSlowError as exc:
            raise ConnectionError(f"connect: peer {pid} did not answer in time") from exc
        except Exception as exc:
            raise ConnectionError(f"connect: cannot reach peer {pid}: {exc}") from exc

    async def dial(self, peer_id: bytes, addrs: Sequence[bytes], until: trio.Event) -> Connection:
        pid, maddrs = _parse_peer("dial", peer_id, addrs)
        return await self._nursery.start(self._hold, pid, maddrs, until)

    async def _hold(
        self, pid: ID, maddrs: list[multiaddr.Multiaddr], until: trio.Event, *, task_status: Any
    ) -> None:
        async with open_remote(self._swarm, self._vat, pid, maddrs) as remote:
            task_status.started(remote.connection)
            await until.wait()


def _parse_peer(
    what: str, peer_id: bytes, addrs: Sequence[bytes]
) -> tuple[ID, list[multiaddr.Multiaddr]]:
    """A guest's binary peer ID and multiaddrs; garbage is a ValueError naming `what`."""
    try:
        return ID(peer_id), [multiaddr.Multiaddr(a) for a in addrs]
    except Exception as exc:
        raise ValueError(f"{what}: malformed peer ID or multiaddr ({exc})") from exc
