"""`ww dial ADDRESS --shell`: the kernel shell, run here, on a remote node's export.

The shell is the kernel (`boot/main.wasm` of a local image) in a cell on this
machine, in interactive mode.  Its Membrane is not this machine's: `graft`
goes to the remote node's exported Membrane, signed with the dialer's key
(the remote checks it is the key of the peer on the connection).  So
`(host id)` names the remote node, every call meets the remote's allow-list,
and nothing of this machine reaches the shell but its own image (read-only
at `/`, where PATH tools are found) and the terminal, through the same line
editor as `ww run` (`wetnode.terminal`) when it is a TTY.  A PATH tool is sent
to the remote executor as bytes (`Executor.load`) and runs there.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import trio
from libp2p.peer.id import ID
from multiaddr import Multiaddr

from wetnode.cell import Cell, Engine, GuestSpec, Limits, Stdio, open_cell
from wetnode.errors import NetError
from wetnode.image import BOOT
from wetnode.keys import NodeKey
from wetnode.membrane.servers.remote import RemoteGuestMembrane
from wetnode.net.dial import open_remote
from wetnode.net.swarm import open_swarm
from wetnode.rpc.vat import Connection, Vat, open_vat
from wetnode.terminal.tty import node_stdin


async def run_remote_shell(
    peer_id: ID, transport: Multiaddr, key: NodeKey, root: Path, cache_dir: Path, limits: Limits
) -> int:
    """Run the shell from ``root`` against ``peer_id`` at ``transport``; its exit code."""
    with Engine(cache_dir) as engine:
        async with (
            open_vat() as vat,
            open_swarm(key.libp2p_key_pair(), port=0, host="127.0.0.1") as swarm,
            open_remote(swarm, vat, peer_id, [transport]) as remote,
        ):
            spec = GuestSpec(
                component=root / BOOT,
                name="shell",
                env={"PATH": "/bin", "WW_TTY": "1", "WW_REMOTE": str(peer_id)},
                root=root,
                stdio=Stdio("null", "inherit", "inherit"),  # stdin comes over RPC
                limits=limits,
            )
            async with open_cell(engine, spec) as cell, trio.open_nursery() as nursery:
                assert cell.channel is not None
                stdin = node_stdin()
                connection = await remote.run(_serve, vat, cell.channel.dup(), key, stdin)
                lost = trio.Event()
                nursery.start_soon(_stop_when_lost, vat, remote.connection, cell, lost)
                try:
                    exit_ = await cell.wait()
                finally:
                    nursery.cancel_scope.cancel()
                    with trio.CancelScope(shield=True):
                        await vat.drop(connection)
    if lost.is_set():
        raise NetError(f"{peer_id} disconnected: the shell has ended")
    if exit_.reason:
        raise NetError(f"the shell ended: {exit_.reason}")
    return exit_.code


async def _stop_when_lost(vat: Vat, remote: Connection, cell: Cell, lost: trio.Event) -> None:
    """Every capability the shell holds is the remote's: without it, end the shell."""
    await vat.run(remote.disconnected)
    lost.set()
    cell.stop("the remote node disconnected")


async def _serve(
    export: Any, vat: Vat, sock: socket.socket, key: NodeKey, stdin: trio.abc.ReceiveStream
) -> Connection:
    return await vat.connect(sock, RemoteGuestMembrane(vat, export, key, stdin))
