"""What the capability servers need from the rest of the node.

The membrane knows nothing of libp2p, wasmtime or Kubo: the node injects these
small interfaces, implemented by the network, cell and IPFS packages.  All of
them are trio-side; the servers reach them through ``Vat.to_trio``.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import trio

from wetnode.ipfs.budget import ResultBudget
from wetnode.ipfs.reader import Entry
from wetnode.rpc.vat import Connection


@dataclass(frozen=True)
class PeerInfo:
    peer_id: bytes  # raw libp2p peer ID
    addrs: tuple[bytes, ...]  # binary multiaddrs


class Network(Protocol):
    """This node's swarm."""

    @property
    def peer_id(self) -> bytes:
        """Raw libp2p peer ID (constant for the node's lifetime)."""
        ...

    async def listen_addrs(self) -> list[bytes]:
        """Binary multiaddrs the swarm listens on."""
        ...

    async def peers(self) -> list[PeerInfo]:
        """Peers with a live connection."""
        ...

    async def connect(self, peer_id: bytes, addrs: Sequence[bytes]) -> None:
        """Dial ``peer_id`` at ``addrs``; raise with a clear message on failure."""
        ...

    async def dial(self, peer_id: bytes, addrs: Sequence[bytes], until: trio.Event) -> Connection:
        """An RPC connection to the peer's export; the node closes it once ``until``
        is set (the guest that dialled has gone) or when the node stops."""
        ...


class Routing(Protocol):
    """The node's DHT, for the Finder and Announcer capabilities (keys: CID texts)."""

    async def find(self, key: str, count: int, until: trio.Event) -> list[PeerInfo]:
        """Confirmed providers of ``key``, at most ``count``, within the routing deadline;
        none once ``until`` is set (the caller's guest went)."""
        ...

    async def provide(self, key: str, until: trio.Event) -> None:
        """Provide ``key`` as this node until ``until`` is set (the caller's guest went)."""
        ...

    def hash(self, data: bytes) -> str:
        """The key of ``data`` (a service name)."""
        ...


class GuestProcess(Protocol):
    """A running guest: its stdio as trio streams, its exit, a way to stop it."""

    stdin: trio.abc.SendStream
    stdout: trio.abc.ReceiveStream
    stderr: trio.abc.ReceiveStream

    async def wait(self) -> int:
        """The exit code, once the guest has stopped."""
        ...

    def kill(self) -> None:
        """Stop the guest now (no effect once it has stopped)."""
        ...


class Spawner(Protocol):
    """Starts guests (the cell's wasm runtime in production)."""

    async def spawn(
        self, wasm: bytes | Path, args: Sequence[str], env: dict[str, str], rpc: socket.socket
    ) -> GuestProcess:
        """Start ``wasm`` (component bytes or a component file) with ``args``
        and exactly ``env``; ``rpc`` (ownership passes to the spawner) becomes
        the guest's Cap'n Proto channel, whose other end serves the guest its
        own Membrane."""
        ...


class IpfsBackend(Protocol):
    """The IPFS node the ``Ipfs.Client`` capability delegates to."""

    async def cat(self, path: str, budget: ResultBudget | None = None) -> bytes: ...

    async def ls(self, path: str) -> list[Entry]: ...


@dataclass(frozen=True)
class OfflineNetwork:
    """A node with an identity but no swarm: no addresses, no peers, no dialing.

    What the membrane serves before (or without) the libp2p network.
    """

    peer_id: bytes

    async def listen_addrs(self) -> list[bytes]:
        return []

    async def peers(self) -> list[PeerInfo]:
        return []

    async def connect(self, peer_id: bytes, addrs: Sequence[bytes]) -> None:
        raise ConnectionError("this node runs offline: it has no swarm to dial peers with")

    async def dial(self, peer_id: bytes, addrs: Sequence[bytes], until: trio.Event) -> Connection:
        raise ConnectionError("this node runs offline: it has no swarm to dial peers with")
