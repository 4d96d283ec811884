"""A running node: the swarm, the vat, the membrane host and pid0, wired together.

``ww run`` prepares a `Boot` (merged root, key, config) and calls `run_node`.
Everything here is glue: each piece is built and tested in its own package;
this module only adapts them to each other (the swarm to the membrane's
`Network`, the cell to its `Spawner`) and owns their lifetimes in one nursery.

Shutdown: pid0 exiting ends the node with pid0's exit code.  SIGINT/SIGTERM
stop pid0 (its children are stopped by the membrane host) and the node exits
0; a second SIGINT gives up at once with 130.  With a stem, a new final head
reboots pid0 instead (see `Pid0Supervisor`).
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import capnp
import multiaddr
import trio
from libp2p.peer.id import ID

from wetnode.cell import Cell, Engine, Exit, GuestSpec, Limits, Stdio, open_cell
from wetnode.membrane.epoch import Epoch
from wetnode.membrane.errors import GraftRefused
from wetnode.membrane.node import MembraneHost, open_membrane_host
from wetnode.membrane.ports import PeerInfo
from wetnode.membrane.servers.membrane import pass_on_graft
from wetnode.membrane.signing import Secp256k1Key, graft_message, peer_public_key, verify
from wetnode.net import protocol
from wetnode.net.dial import open_remote
from wetnode.net.swarm import Swarm, open_swarm
from wetnode.rpc import schema
from wetnode.rpc.reasons import remote_reason
from wetnode.rpc.vat import Connection, Vat, open_vat

if TYPE_CHECKING:
    from wetnode.ipfs.backend import IpfsBackend
    from wetnode.stem.epochs import EpochPipeline

log = logging.getLogger(__name__)

PID0_BOOT = Path("boot") / "main.wasm"


@dataclass
class Boot:
    """What `run_node` needs; `ww run` resolves it from flags, env and layers."""

    roots: RootSource  # builds the merged root pid0 sees at `/`, per epoch
    secret: bytes  # the node's 32-byte secp256k1 secret
    cache_dir: Path
    port: int = 2025
    listen_host: str = "0.0.0.0"
    tty: bool = False
    limits: Limits = field(default_factory=Limits)
    ipfs_api: str | None = None  # a Kubo RPC API; None: embedded store + bitswap
    ipfs_timeout: float = 30.0  # seconds to wait for content nobody provides
    stem: StemFollower | None = None
    peers: Sequence[tuple[ID, multiaddr.Multiaddr]] = ()  # connected to before pid0 boots


class RootSource(Protocol):
    """Builds the read-only root for pid0: the layers, on the epoch's head if any."""

    async def root_for(self, epoch: Epoch | None, ipfs: IpfsBackend) -> Path: ...


class StemFollower(Protocol):
    """Makes the epoch pipeline that follows the node's Atom contract."""

    def pipeline(
        self, on_epoch: Callable[[Epoch], Awaitable[None]], ipfs: IpfsBackend
    ) -> EpochPipeline: ...


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


class _DrainWatch(trio.abc.ReceiveStream):
    """A child's output stream that reports when it has been read to the end."""

    def __init__(self, inner: trio.abc.ReceiveStream, drained: trio.Event) -> None:
        self._inner = inner
        self._drained = drained

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        data = await self._inner.receive_some(max_bytes)
        if not data:
            self._drained.set()
        return data

    async def aclose(self) -> None:
        self._drained.set()
        await self._inner.aclose()


class CellProcess:
    """A child guest running in a cell, as the membrane's `GuestProcess`.

    The cell (and with it the host ends of the child's pipes) stays open after
    the child exits until its owner has read stdout and stderr to the end, or
    kills it: output written just before exit is not lost.
    """

    def __init__(self, cell: Cell) -> None:
        self._cell = cell
        assert cell.stdin and cell.stdout and cell.stderr
        self._stdout_done = trio.Event()
        self._stderr_done = trio.Event()
        self.released = trio.Event()
        self.stdin = cell.stdin
        self.stdout = _DrainWatch(cell.stdout, self._stdout_done)
        self.stderr = _DrainWatch(cell.stderr, self._stderr_done)

    async def wait(self) -> int:
        exit_ = await self._cell.wait()
        if exit_.reason:
            log.info("child guest ended: %s (exit %d)", exit_.reason, exit_.code)
        return exit_.code

    async def drained(self) -> None:
        await self._stdout_done.wait()
        await self._stderr_done.wait()
        self.released.set()

    def kill(self) -> None:
        self._cell.stop("killed by its owner")
        self.released.set()


class CellSpawner:
    """Starts children in cells (no filesystem, piped stdio) in the node's nursery."""

    def __init__(self, engine: Engine, nursery: trio.Nursery, limits: Limits) -> None:
        self._engine = engine
        self._nursery = nursery
        self._limits = limits
        self._serial = 0

    async def spawn(
        self, wasm: bytes | Path, args: Sequence[str], env: dict[str, str], rpc: socket.socket
    ) -> CellProcess:
        self._serial += 1
        spec = GuestSpec(
            component=wasm,
            name=f"child-{self._serial}",
            args=list(args),
            env=env,
            root=None,
            stdio=Stdio.pipes(),
            limits=self._limits,
            channel=rpc,
        )
        return await self._nursery.start(self._run, spec)

    async def _run(self, spec: GuestSpec, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async with open_cell(self._engine, spec) as cell, trio.open_nursery() as nursery:
            process = CellProcess(cell)
            task_status.started(process)
            nursery.start_soon(process.drained)
            await cell.wait()
            await process.released.wait()
            nursery.cancel_scope.cancel()


def _libp2p_key_pair(secret: bytes) -> Any:
    from libp2p.crypto.secp256k1 import create_new_key_pair

    return create_new_key_pair(secret)


async def run_node(boot: Boot) -> int:
    """Run the node until pid0 exits; return the exit code for `ww run`."""
    key = Secp256k1Key(boot.secret)
    with Engine(boot.cache_dir) as engine:
        async with (
            open_vat() as vat,
            open_swarm(
                _libp2p_key_pair(boot.secret), port=boot.port, host=boot.listen_host
            ) as swarm,
            _open_ipfs(boot.ipfs_api, boot.ipfs_timeout, swarm) as ipfs,
            trio.open_nursery() as children,
            open_membrane_host(
                vat,
                node_key=key,
                network=SwarmNetwork(swarm, vat, children),
                spawner=CellSpawner(engine, children, boot.limits),
                ipfs=ipfs,
            ) as membranes,
        ):
            await connect_peers(swarm, boot.peers)
            code = await Pid0Supervisor(boot, engine, vat, swarm, membranes, ipfs).run()
            children.cancel_scope.cancel()
            return code


async def connect_peers(swarm: Swarm, peers: Sequence[tuple[ID, multiaddr.Multiaddr]]) -> None:
    """Connect to the boot peers, all at once; one that cannot be reached is only a warning.

    They are the node's first neighbours: `/ipfs/` layers and IPFS content
    are fetched from them over bitswap, and pid0 finds them in `host.peers`.
    """

    async def connect(peer_id: ID, addr: multiaddr.Multiaddr) -> None:
        try:
            await swarm.connect(peer_id, [addr])
        except Exception as exc:  # a down peer must not stop the node
            reason = str(exc) or type(exc).__name__
            log.warning("peer %s at %s: not connected (%s)", peer_id, addr, reason)
        else:
            log.info("connected to peer %s at %s", peer_id, addr)

    async with trio.open_nursery() as nursery:
        for peer_id, addr in peers:
            nursery.start_soon(connect, peer_id, addr)


@asynccontextmanager
async def _open_ipfs(
    api: str | None, timeout: float, swarm: Swarm
) -> AsyncIterator[IpfsBackend]:
    """The node's IPFS: a Kubo API if given, else its own store shared over bitswap."""
    if api:
        from wetnode.ipfs.kubo import KuboBackend

        backend = KuboBackend(api, timeout=timeout)
        try:
            yield backend
        finally:
            with trio.CancelScope(shield=True):
                await backend.aclose()
        return
    from wetnode.ipfs.bitswap import open_bitswap

    async with open_bitswap(swarm.host, timeout=timeout) as bitswap:
        yield bitswap


class Pid0Supervisor:
    """Boots pid0, reboots it on each new epoch, and ends the node with it.

    With a stem, each final head is a new epoch: the membrane host adopts it
    (every capability issued before fails with ``staleEpoch``), pid0 is
    stopped, the root is rebuilt on the new base layer and pid0 boots again,
    grafting afresh.  Without one, pid0 runs once.
    """

    def __init__(
        self,
        boot: Boot,
        engine: Engine,
        vat: Vat,
        swarm: Swarm,
        membranes: MembraneHost,
        ipfs: IpfsBackend,
    ) -> None:
        self._boot = boot
        self._ipfs = ipfs
        self._stdin = TerminalInput()
        self._engine = engine
        self._vat = vat
        self._swarm = swarm
        self._membranes = membranes
        self._cell: Cell | None = None
        self._pending: Epoch | None = None
        self._interrupts = Interrupts()
        self._boot_scope: trio.CancelScope | None = None

    async def run(self) -> int:
        code = 0  # stays 0 when a signal cancels the boot before pid0 runs
        async with trio.open_nursery() as nursery:
            self._boot_scope = nursery.cancel_scope
            await nursery.start(self._stop_on_signal)
            code = await self._run_epochs(nursery)
            nursery.cancel_scope.cancel()
        return 0 if self._interrupts.requested else code

    async def _run_epochs(self, nursery: trio.Nursery) -> int:
        epoch: Epoch | None = None
        if self._boot.stem is not None:
            pipeline = self._boot.stem.pipeline(self._on_epoch, self._ipfs)
            await nursery.start(pipeline.run)
            epoch = pipeline.current
            assert epoch is not None
            if epoch.seq > self._membranes.clock.current.seq:
                self._membranes.advance_epoch(epoch)
        while True:
            root = await self._boot.roots.root_for(epoch, self._ipfs)
            exit_ = await self._boot_once(root)
            if self._pending is not None and not self._interrupts.requested:
                epoch, self._pending = self._pending, None
                log.warning("epoch %d adopted: rebooting pid0 on its head", epoch.seq)
                continue
            if exit_.reason and not self._interrupts.requested:
                log.warning("pid0 ended: %s", exit_.reason)
            return exit_.code

    async def _boot_once(self, root: Path) -> Exit:
        env = {"PATH": "/bin"}
        if self._boot.tty:
            env["WW_TTY"] = "1"
        spec = GuestSpec(
            component=root / PID0_BOOT,
            name="pid0",
            env=env,
            root=root,
            # No WASI stdin: the terminal reaches pid0 as GuestMembrane.stdin, an
            # RPC stream, so pid0 keeps serving calls while it waits for input
            # and a stop never waits on a keystroke.
            stdio=Stdio("null", "inherit", "inherit"),
            limits=self._boot.limits,
        )
        async with open_cell(self._engine, spec) as cell:
            assert cell.channel is not None
            link = await self._membranes.attach_pid0(cell.channel.dup(), self._stdin, root)
            protocol.serve(self._swarm, self._vat, _export_of(link))
            log.info("node %s up; pid0 booted", self._swarm.peer_id)
            self._cell = cell
            if self._pending is not None or self._interrupts.requested:
                cell.stop("the node is shutting down")
            try:
                return await cell.wait()
            finally:
                self._cell = None
                await link.close()

    async def _on_epoch(self, epoch: Epoch) -> None:
        self._membranes.advance_epoch(epoch)
        self._pending = epoch
        if self._cell is not None:
            self._cell.stop(f"epoch {epoch.seq} adopted")

    async def _stop_on_signal(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                if self._interrupts.give_up(signum):
                    raise KeyboardInterrupt  # second Ctrl-C: give up now (exit 130)
                log.warning("%s: stopping pid0", signal.Signals(signum).name)
                if self._cell is not None:
                    self._cell.stop("the node is shutting down")
                elif self._boot_scope is not None:  # still booting (fetching layers...)
                    self._boot_scope.cancel()


class Interrupts:
    """The shutdown rule: any signal asks for a clean stop; Ctrl-C again gives up."""

    def __init__(self) -> None:
        self.requested = False

    def give_up(self, signum: int) -> bool:
        """Record `signum`; True when the node should stop waiting and exit 130."""
        if self.requested and signum == signal.SIGINT:
            return True
        self.requested = True
        return False


class TerminalInput(trio.abc.ReceiveStream):
    """The node's stdin as a trio stream, for pid0's ``GuestMembrane.stdin``.

    A worker thread does each blocking read so that the terminal's file
    description is never switched to non-blocking (the shell shares it).  A
    read cancelled mid-way is abandoned to its thread; one instance serves the
    node's whole life, across pid0 reboots.
    """

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._eof = False

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._eof:
            return b""
        try:
            data = await trio.to_thread.run_sync(
                os.read, self._fd, max_bytes or 65536, abandon_on_cancel=True
            )
        except OSError as exc:  # no usable stdin (closed, not readable): end of stream
            log.debug("stdin: %s", exc)
            data = b""
        self._eof = not data
        return data

    async def aclose(self) -> None:
        self._eof = True


class ExportedMembrane(schema.stem().Membrane.Server):
    """pid0's exported Membrane, re-served by the host to one remote peer.

    pycapnp cannot offer a promised client capability as a connection's
    bootstrap (calls on it fail inside pycapnp), so the host offers this
    server, which forwards `graft` to pid0's export.  First it checks that
    the signer speaks for the peer on the other end of the stream: it must
    sign a fresh graft challenge with the key behind the peer's Noise-verified
    ID.  So pid0's export is only ever grafted by the peer the connection
    belongs to, and pid0 gets a `CheckedSigner` whose `peer()` says which.
    The capabilities pid0's graft returns travel back unchanged: remote peers
    reach exactly what pid0 chose to hand out.
    """

    def __init__(self, target: Any, peer: ID) -> None:
        self._target = target
        self._peer = peer

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        await self._check(signer)
        answer = await self._target.graft(CheckedSigner(signer, self._peer.to_bytes()))
        pass_on_graft(answer, _context.results)

    async def _check(self, signer: Any) -> None:
        nonce = secrets.randbits(64)
        try:
            signature = (await signer.sign(nonce)).sig
            public_key = peer_public_key(self._peer.to_bytes())
        except capnp.KjException as exc:
            raise GraftRefused(f"graftRefused: the signer failed: {remote_reason(exc)}") from None
        except ValueError as exc:
            raise GraftRefused(f"graftRefused: peer {self._peer}: {exc}") from None
        if not verify(public_key, graft_message(nonce), bytes(signature)):
            raise GraftRefused(
                f"graftRefused: the signer does not hold the key of peer {self._peer}"
            )


class CheckedSigner(schema.stem().Signer.Server):
    """A remote's Signer as pid0's export receives it: `peer` names the peer
    whose key the host has just checked it against (the remote cannot lie
    about it, since this server is the host's)."""

    def __init__(self, remote: Any, peer_id: bytes) -> None:
        self._remote = remote
        self._peer_id = peer_id

    async def sign(self, nonce: int, **_: Any) -> bytes:
        return bytes((await self._remote.sign(nonce)).sig)

    async def peer(self, **_: Any) -> bytes:
        return self._peer_id


def _export_of(link: Any) -> Any:
    """Per inbound stream (on the vat): a forwarder to pid0's export for that peer.

    pid0 is bootstrapped once, lazily, and its export is shared by every
    remote connection; everything lives on the vat like every pycapnp object.
    """
    targets: list[Any] = []

    def export(peer: ID) -> ExportedMembrane:
        if not targets:
            targets.append(link.connection.bootstrap().cast_as(schema.stem().Membrane))
        return ExportedMembrane(targets[0], peer)

    return export
