"""Helpers for the membrane tests: a node host over real pycapnp links.

Only the injected pure interfaces have test doubles (``StaticNetwork``,
``DictIpfs``); guests started by ``SubprocessSpawner`` are real OS processes,
and every capability call crosses a real socket pair through the vat.
Functions marked "(vat)" run on the vat thread, inside ``vat.run``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import capnp
import trio

from wetnode.ipfs.budget import ResultBudget
from wetnode.ipfs.reader import Entry
from wetnode.keys import NodeKey
from wetnode.membrane import (
    CHILD,
    Grants,
    IpfsBackend,
    MembraneHost,
    PeerInfo,
    open_membrane_host,
)
from wetnode.membrane.guests import GuestLink
from wetnode.membrane.ports import GuestProcess
from wetnode.rpc import schema
from wetnode.rpc.reasons import remote_reason
from wetnode.rpc.vat import Vat, open_vat


@dataclass
class StaticNetwork:
    """Network double: fixed identity and addresses; ``connect`` records a peer."""

    peer_id: bytes
    addrs: list[bytes] = field(default_factory=list)
    connected: list[PeerInfo] = field(default_factory=list)

    async def listen_addrs(self) -> list[bytes]:
        return list(self.addrs)

    async def peers(self) -> list[PeerInfo]:
        return list(self.connected)

    async def connect(self, peer_id: bytes, addrs: Sequence[bytes]) -> None:
        if not addrs:
            raise ConnectionError("no addresses to dial")
        self.connected.append(PeerInfo(peer_id, tuple(addrs)))


class DictIpfs:
    """IPFS backend double: paths map to file bytes or directory listings."""

    def __init__(self, files: dict[str, bytes], dirs: dict[str, list[Entry]]) -> None:
        self.files = files
        self.dirs = dirs

    async def cat(self, path: str, budget: ResultBudget | None = None) -> bytes:
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(f"{path} not found") from None

    async def ls(self, path: str) -> list[Entry]:
        return self.dirs[path]


class SubprocessSpawner:
    """Runs each guest as a real Python process: the "wasm" bytes are its source.

    The guest's RPC socket is inherited as a file descriptor named by
    ``WW_RPC_FD``; stdio are pipes.  The cell's wasm spawner replaces this in
    production.
    """

    async def spawn(
        self, wasm: bytes | Path, args: Sequence[str], env: dict[str, str], rpc: socket.socket
    ) -> GuestProcess:
        source = wasm.read_bytes() if isinstance(wasm, Path) else wasm
        with rpc:
            return await trio.lowlevel.open_process(
                [sys.executable, "-c", source.decode(), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**env, "WW_RPC_FD": str(rpc.fileno())},
                pass_fds=(rpc.fileno(),),
            )


NODE_KEY = NodeKey.generate()
ADDRS = [bytes.fromhex("047f000001060fe9")]  # /ip4/127.0.0.1/tcp/4073


@dataclass
class Node:
    vat: Vat
    host: MembraneHost
    network: StaticNetwork
    pid0: socket.socket  # the guest end of pid0's RPC link (connect it on the vat)
    pid0_link: GuestLink  # the host's record of that link and pid0's children


@asynccontextmanager
async def running_node(
    ipfs: IpfsBackend | None = None, child_grants: Grants = CHILD, root: Path | None = None
) -> AsyncIterator[Node]:
    network = StaticNetwork(NODE_KEY.peer_id_bytes, list(ADDRS))
    async with (
        open_vat() as vat,
        open_membrane_host(
            vat,
            node_key=NODE_KEY,
            network=network,
            spawner=SubprocessSpawner(),
            ipfs=ipfs,
            child_grants=child_grants,
        ) as host,
    ):
        host_end, guest_end = socket.socketpair()
        link = await host.attach_pid0(host_end, root=root)
        yield Node(vat, host, network, guest_end, link)


async def pid0_membrane(node: Node) -> Any:
    """(vat) pid0's view: its GuestMembrane over the real link."""
    connection = await node.vat.connect(node.pid0)
    return connection.bootstrap().cast_as(schema.stem().GuestMembrane)


async def graft(membrane: Any) -> Any:
    """(vat) Graft with the host-side signer the membrane offers."""
    signer = (await membrane.signer()).signer
    return await membrane.graft(signer)


async def failure(call: Awaitable[Any]) -> str:
    """(vat) The reason ``call`` failed with; raises if it succeeded."""
    try:
        await call
    except capnp.KjException as exc:
        return remote_reason(exc)
    raise AssertionError("the call succeeded but was expected to fail")
