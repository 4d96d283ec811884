"""A running node: composition of the swarm, the vat, IPFS, the membrane host and pid0.

Each piece is built and tested in its own package: `net` (the swarm and its
`Network` adapter), `cell` (guests, and children as the membrane's
`Spawner`), `ipfs` (the backend), `membrane` (every capability server),
`image.roots` (pid0's root per epoch) and `stem.follow` (the epoch pipeline).
This module only wires them together, owns their lifetimes in one nursery,
and supervises pid0.

Shutdown: pid0 exiting ends the node with pid0's exit code.  SIGINT/SIGTERM
stop pid0 (its children are stopped by the membrane host) and the node exits
0; a second SIGINT gives up at once with 130, and so does a SIGINT before
pid0 runs (during a layer fetch or the one-time compile).  With the shell on a terminal,
Ctrl-C at the prompt is a key for the line editor (`wetnode.terminal`), and a
SIGINT while a command runs interrupts it: pid0 is booted again, the node
stays up.  With a stem, a new final head
reboots pid0 instead (see `Pid0Supervisor`).
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import multiaddr
import trio
from libp2p.peer.id import ID

from wetnode.approvals.desk import open_approval_desk
from wetnode.audit.log import open_audit_log
from wetnode.cell import Cell, Engine, Exit, GuestSpec, Stdio, open_cell
from wetnode.cell.children import CellSpawner
from wetnode.config import NodeConfig
from wetnode.image import BOOT
from wetnode.image.roots import ImageRoots
from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.connect import open_backend
from wetnode.keys import NodeKey
from wetnode.membrane.epoch import Epoch
from wetnode.membrane.host import MembraneHost, open_membrane_host
from wetnode.membrane.servers.export import export_of
from wetnode.net import protocol
from wetnode.net.audit_tap import recorders
from wetnode.net.dht import Dht, DHTMode, open_dht
from wetnode.net.network import SwarmNetwork
from wetnode.net.routing import DhtContentRouting, DhtRouting, PinProvider
from wetnode.net.swarm import Swarm, open_swarm
from wetnode.rpc.metered import ChannelLimits
from wetnode.rpc.vat import Vat, open_vat
from wetnode.terminal.tty import EditedTerminal, node_stdin

if TYPE_CHECKING:
    from wetnode.mcp.local import LocalServers

log = logging.getLogger(__name__)

Peers = Sequence[tuple[ID, multiaddr.Multiaddr]]  # connected to before pid0 boots


async def run_node(
    config: NodeConfig,
    key: NodeKey,
    roots: ImageRoots,
    peers: Peers,
    bootstrap: Peers = (),
    *,
    ephemeral_key: bool = False,
) -> int:
    """Run the node until pid0 exits; return the exit code for `ww run`.

    An ``ephemeral_key`` dies with the node, so its audit log goes with the
    other ephemeral ones, of which the data dir keeps ``config.audit_keep``.

    The code is returned after every context below has closed, never from
    inside them: a context that swallows a cancellation on its way out (a
    cancel scope closing) would drop a pending `return` and the function
    would fall off its end with None, i.e. exit 0 whatever pid0 returned.
    """
    code = 1  # stays 1 only if the node ends without pid0 reporting how
    audit = (
        open_audit_log(
            config.audit_dir, key, flush_interval=config.audit_flush,
            sign_every=config.audit_sign_every,
            ephemeral_keep=config.audit_keep if ephemeral_key else None,
        )
        if config.audit else nullcontext()
    )  # fmt: skip
    with Engine(config.cache_dir, config.compile_cache_max) as engine:
        async with (
            audit as audit_log,
            open_approval_desk(config.home, str(key.peer_id), audit_log) as approvals,
            open_vat() as vat,
            open_swarm(
                key.libp2p_key_pair(),
                port=config.port,
                host=config.listen,
                limits=config.conn_limits,
            ) as swarm,
            open_dht(swarm) as dht,
            open_backend(
                config.ipfs_api,
                timeout=config.ipfs_timeout,
                host=swarm.host,
                routing=DhtContentRouting(dht),
            ) as ipfs,
            open_mcp_servers(config) as mcp,
            trio.open_nursery() as children,
            open_membrane_host(
                vat,
                node_key=key,
                network=SwarmNetwork(swarm, vat, children),
                spawner=CellSpawner(
                    engine,
                    children,
                    config.limits,
                    config.max_guests,
                    memory_budget=config.guest_memory_max,
                    reserved=config.limits.memory_bytes or config.guest_memory_max,  # pid0's
                ),
                ipfs=ipfs,
                audit=audit_log,
                approvals=approvals,
                mcp=mcp,
                routing=DhtRouting(dht, children),
                channel=ChannelLimits(
                    config.guest_flow_limits, config.guest_drain_timeout, config.limits.memory_bytes
                ),
            ) as membranes,
        ):
            await connect_peers(swarm, peers)
            await join_dht(config, dht, bootstrap, children)
            pins = PinProvider(ipfs, dht)
            children.start_soon(pins.run)
            supervisor = Pid0Supervisor(config, roots, engine, vat, swarm, membranes, ipfs, pins)
            code = await supervisor.run()
            children.cancel_scope.cancel()
    return code


@asynccontextmanager
async def open_mcp_servers(config: NodeConfig) -> AsyncIterator[LocalServers | None]:
    """The node's `--mcp` servers, running until the node stops; None when it has none."""
    if not config.mcp:
        yield None
        return
    from wetnode.mcp.local import open_local_servers  # imports the MCP SDK: only here

    async with open_local_servers(config.mcp) as servers:
        yield servers


@asynccontextmanager
async def open_layer_ipfs(
    config: NodeConfig, peers: Peers, bootstrap: Peers = ()
) -> AsyncIterator[IpfsBackend]:
    """IPFS for a command that only fetches layers (`ww run --dry-run`, `ww image ls`).

    The same backend choice as a node's: with `--peer`s or `--bootstrap` peers
    and no Kubo API, a swarm of its own (a fresh key, a free port, a DHT client)
    fetches over bitswap from them and from the providers the DHT names.
    """
    if not (peers or bootstrap) or config.ipfs_api:
        async with open_backend(config.ipfs_api, timeout=config.ipfs_timeout) as ipfs:
            yield ipfs
        return
    async with (
        open_swarm(NodeKey.generate().libp2p_key_pair(), port=0, host="127.0.0.1") as swarm,
        open_dht(swarm, mode=DHTMode.CLIENT) as dht,
        open_backend(
            None, timeout=config.ipfs_timeout, host=swarm.host, routing=DhtContentRouting(dht)
        ) as ipfs,
    ):
        await connect_peers(swarm, peers)
        await dht.bootstrap(bootstrap)
        yield ipfs


async def join_dht(config: NodeConfig, dht: Dht, bootstrap: Peers, nursery: trio.Nursery) -> None:
    """Join the DHT through the bootstrap peers (and the `--peer`s), and with `--mdns`
    keep joining through the peers found on the local network."""
    await dht.bootstrap(bootstrap)
    if config.mdns:
        from wetnode.net.mdns import discover  # imports zeroconf: only with --mdns

        await nursery.start(discover, dht)


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


class Pid0Supervisor:
    """Boots pid0, reboots it on each new epoch, and ends the node with it.

    With a stem, each final head is a new epoch: the membrane host adopts it
    (every capability issued before fails with ``staleEpoch``), pid0 is
    stopped, the root is rebuilt on the new base layer and pid0 boots again,
    grafting afresh.  Without one, pid0 runs once.
    """

    def __init__(
        self,
        config: NodeConfig,
        roots: ImageRoots,
        engine: Engine,
        vat: Vat,
        swarm: Swarm,
        membranes: MembraneHost,
        ipfs: IpfsBackend,
        pins: PinProvider,
    ) -> None:
        self._config = config
        self._roots = roots
        self._ipfs = ipfs
        self._pins = pins
        self._stdin = node_stdin()
        self._engine = engine
        self._vat = vat
        self._swarm = swarm
        self._membranes = membranes
        self._cell: Cell | None = None
        self._pending: Epoch | None = None
        self._interrupts = Interrupts()
        self._boot_scope: trio.CancelScope | None = None
        self._restart = False  # Ctrl-C during a shell command: boot pid0 again
        self._reads_at_restart = 0  # pid0's stdin reads when it was last restarted
        self._adopted = 0  # epochs adopted since the node started: pid0's WW_EPOCHS

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
        if self._config.stem is not None:
            from wetnode.stem.follow import follow  # imports web3: only with a stem

            pipeline = follow(self._config, self._on_epoch, self._ipfs)
            await nursery.start(pipeline.run)
            epoch = pipeline.current
            assert epoch is not None
            if epoch.seq > self._membranes.clock.current.seq:
                self._membranes.advance_epoch(epoch)
        root: Path | None = None
        while True:
            if root is None:
                root = await self._roots.root_for(epoch, self._ipfs)
            exit_ = await self._boot_once(root)
            if self._pending is not None and not self._interrupts.requested:
                epoch, self._pending, root = self._pending, None, None
                log.warning("epoch %d adopted: rebooting pid0 on its head", epoch.seq)
                continue
            if self._restart and not self._interrupts.requested:
                self._restart = False  # the same epoch: the same root
                continue
            if exit_.reason and not self._interrupts.requested:
                log.warning("pid0 ended: %s", exit_.reason)
            return exit_.code

    async def _boot_once(self, root: Path) -> Exit:
        # WW_EPOCHS: how many new heads the node has adopted since it started, so a
        # policy grant can end after N epochs (docs/policy.md).
        env = {"PATH": "/bin", "WW_EPOCHS": str(self._adopted)}
        if self._config.hooks_fail_open:  # the node's switch, never the image's
            env["WW_HOOKS_FAIL_OPEN"] = "1"
        if sys.stdin.isatty():
            env["WW_TTY"] = "1"
        spec = GuestSpec(
            component=root / BOOT,
            name="pid0",
            env=env,
            root=root,
            # No WASI stdin: the terminal reaches pid0 as GuestMembrane.stdin, an
            # RPC stream, so pid0 keeps serving calls while it waits for input
            # and a stop never waits on a keystroke.
            stdio=Stdio("null", "inherit", "inherit"),
            limits=self._config.limits,
        )
        async with open_cell(self._engine, spec) as cell:
            # pid0 runs from here on (its compile is over): a signal now stops it.
            self._cell = cell
            try:
                return await self._serve_pid0(cell, root)
            finally:
                self._cell = None

    async def _serve_pid0(self, cell: Cell, root: Path) -> Exit:
        """Attach the running pid0 to the membrane host, export it, wait for its end."""
        assert cell.channel is not None
        link = await self._membranes.attach_pid0(cell.channel.dup(), self._stdin, root)
        audit = self._membranes.audit
        clock = self._membranes.clock
        export = export_of(link, audit, clock)
        watch = recorders(audit, clock) if audit is not None else None
        protocol.serve(self._swarm, self._vat, export, flow=self._config.flow_limits, watch=watch)
        log.info("node %s up; pid0 booted", self._swarm.peer_id)
        if self._pending is not None or self._interrupts.requested:
            cell.stop("the node is shutting down")
        exit_: Exit | None = None
        try:
            exit_ = await cell.wait()
            return exit_
        finally:
            await link.close()
            if audit is not None:
                code = "none" if exit_ is None else exit_.code
                audit.node_event("exit", self._membranes.clock.current.seq, f"code {code}", "pid0")

    async def _on_epoch(self, epoch: Epoch) -> None:
        self._pins.wake()  # the pipeline has pinned the new head: provide it now
        self._membranes.advance_epoch(epoch)
        self._adopted += 1
        self._pending = epoch
        if self._cell is not None:
            self._cell.stop(f"epoch {epoch.seq} adopted")

    async def _stop_on_signal(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                if signum == signal.SIGINT and self._interrupts_a_command():
                    assert self._cell is not None
                    self._restart = True
                    self._cell.stop("interrupted")
                    print("^C: command interrupted, restarting the shell", file=sys.stderr)
                    continue
                if self._interrupts.give_up(signum):
                    raise KeyboardInterrupt  # second Ctrl-C: give up now (exit 130)
                if self._cell is None and signum == signal.SIGINT:
                    raise KeyboardInterrupt  # still booting: Ctrl-C stops a fetch or compile
                log.warning("%s: stopping pid0", signal.Signals(signum).name)
                if self._cell is not None:
                    self._cell.stop("the node is shutting down")
                elif self._boot_scope is not None:  # still booting (fetching layers...)
                    self._boot_scope.cancel()

    def _interrupts_a_command(self) -> bool:
        """Whether a SIGINT should interrupt a shell command rather than stop the node.

        At its prompt the shell reads keys in raw mode, where Ctrl-C is a key,
        so a SIGINT from the terminal means a command is running.  Only a pid0
        that has prompted since it last booted counts as a shell: Ctrl-C stops
        any other guest, and a second Ctrl-C before the restarted shell's
        first prompt stops the node as usual.
        """
        stdin = self._stdin
        if not isinstance(stdin, EditedTerminal) or self._cell is None:
            return False
        if stdin.reads == self._reads_at_restart:
            return False
        self._reads_at_restart = stdin.reads
        return True


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
