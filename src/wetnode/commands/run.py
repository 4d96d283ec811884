"""`ww run [--stem ADDR] [MOUNT ...]`: merge image layers and boot pid0.

Everything that can be checked on the user's input is checked first (flags,
peers, local layers and their union, the identity), so mistakes are one-line
errors before any network or guest starts.  Then `wetnode.node.run_node` runs
the node and `ww run` exits with pid0's exit code.

`/ipfs/` layers are fetched once the node is up, through its own IPFS: with
the embedded store that is bitswap from the `--peer`s it connected to.  With
`--stem`, the Atom contract's head is the base layer: it is fetched for each
epoch and the positional layers are stacked on top.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from wetnode import image, keys
from wetnode.config import NodeConfig, add_node_flags
from wetnode.errors import UsageError, UserError, sole_exception
from wetnode.image import Layer, Mount

if TYPE_CHECKING:
    from libp2p.peer.id import ID
    from multiaddr import Multiaddr

    from wetnode.ipfs.backend import IpfsBackend
    from wetnode.membrane.epoch import Epoch
    from wetnode.stem.epochs import EpochPipeline

log = logging.getLogger(__name__)

IPFS_PREFIX = "/ipfs/"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "mounts",
        nargs="*",
        metavar="MOUNT",
        help="image layer: a directory or /ipfs/<cid>[/path], optionally SOURCE:/target",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the merged tree (and where each file comes from), then exit",
    )
    add_node_flags(parser)


def run(args: argparse.Namespace) -> int:
    config = NodeConfig.from_args(args, os.environ)
    if not args.mounts and not config.stem:
        raise UsageError("no image layers given: pass at least one, e.g. `ww run images/kernel`")
    if args.dry_run:
        if config.stem:
            raise UsageError("--dry-run shows the given layers only; drop --stem to use it")
        merged = image.merge(image.resolve_mounts(args.mounts, ipfs_api=config.ipfs_api))
        sys.stdout.write(image.render_tree(merged))
        return 0
    peers = [_parse_peer(text) for text in config.peers]
    layers = [_local_or_remote(image.parse_mount(spec)) for spec in args.mounts]
    local = [layer for layer in layers if isinstance(layer, Layer)]
    # Checked now when no layer is still to come; the identity only ever comes
    # from local layers: content on IPFS or on-chain is public.
    merged = image.merge(local, require_boot=len(local) == len(layers) and not config.stem)
    key, _ = keys.resolve_identity(config.identity, os.environ, merged.host_paths)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="node-", dir=config.run_dir) as work:
        roots = ImageRoots(layers, Path(work), stem=bool(config.stem))
        return trio.run(_run, config, key, roots, peers)


def _parse_peer(text: str) -> tuple[ID, Multiaddr]:
    from wetnode.net.dial import parse_peer_address

    try:
        return parse_peer_address(text)
    except UserError as exc:
        raise UsageError(f"--peer: {exc}") from None


def _local_or_remote(mount: Mount) -> Layer | Mount:
    """A local layer now; an `/ipfs/` mount is checked now and fetched by the node."""
    if not mount.source.startswith(IPFS_PREFIX):
        return Layer(mount, image.resolve_source(mount.source))
    from wetnode.ipfs.errors import IpfsError
    from wetnode.ipfs.paths import split_path

    try:
        split_path(mount.source)
    except IpfsError as exc:
        raise UsageError(f"layer {mount.source}: {exc}") from None
    return mount


class ImageRoots:
    """Builds pid0's root from the layers, once per epoch (once in all without a stem).

    `/ipfs/` layers are fetched through the node's own IPFS, so with the
    embedded store they come over bitswap from the node's peers (`--peer`);
    fetched trees are cached on disk by CID.  With a stem, the epoch's head
    is the base layer beneath all the given ones.
    """

    def __init__(self, layers: Sequence[Layer | Mount], work: Path, *, stem: bool) -> None:
        self._layers = list(layers)
        self._work = work
        self._stem = stem
        self._current: Path | None = None

    async def root_for(self, epoch: Epoch | None, ipfs: IpfsBackend) -> Path:
        from wetnode.ipfs.cid import Cid

        stack: list[Layer] = []
        if self._stem:
            assert epoch is not None
            spec = f"{IPFS_PREFIX}{Cid.from_bytes(epoch.head)}"
            stack.append(await _fetch(Mount(spec, ""), ipfs, f"the head of epoch {epoch.seq}"))
            log.info("epoch %d: base layer %s", epoch.seq, spec)
        for layer in self._layers:
            if isinstance(layer, Mount):
                layer = await _fetch(layer, ipfs, f"layer {layer.source}")
            stack.append(layer)
        merged = await trio.to_thread.run_sync(image.merge, stack)
        name = f"root-{epoch.seq}" if epoch is not None else "root"
        root = await trio.to_thread.run_sync(image.materialize, merged.files, self._work / name)
        if self._current is not None:
            shutil.rmtree(self._current, ignore_errors=True)
        self._current = root
        return root


async def _fetch(mount: Mount, ipfs: IpfsBackend, what: str) -> Layer:
    from wetnode.ipfs.errors import IpfsError
    from wetnode.ipfs.layer import IpfsLayerSource

    try:
        return Layer(mount, await IpfsLayerSource(ipfs).fetch(mount.source))
    except (IpfsError, ValueError) as exc:
        raise UserError(f"cannot fetch {what}: {exc}") from None


class StemFollower:
    """Builds the epoch pipeline for `--stem` from the node config."""

    def __init__(self, config: NodeConfig) -> None:
        self._config = config

    def pipeline(
        self, on_epoch: Callable[[Epoch], Awaitable[None]], ipfs: IpfsBackend
    ) -> EpochPipeline:
        from wetnode.stem.epochs import EpochPipeline

        config = self._config
        assert config.stem is not None
        return EpochPipeline(
            config.stem,
            on_epoch,
            rpc_url=config.rpc_url,
            ws_url=config.ws_url,
            depth=config.confirmation_depth,
            pinner=HeadPinner(ipfs),
        )


class HeadPinner:
    """Keeps the head a node runs pinned in its IPFS backend, and only that one."""

    def __init__(self, ipfs: IpfsBackend) -> None:
        self._ipfs = ipfs

    async def pin(self, cid: bytes) -> None:
        await self._apply(self._ipfs.pin_add, cid)

    async def unpin(self, cid: bytes) -> None:
        await self._apply(self._ipfs.pin_rm, cid)

    async def _apply(self, action: Callable[[str], Awaitable[object]], cid: bytes) -> None:
        from wetnode.ipfs.cid import Cid
        from wetnode.ipfs.errors import IpfsError

        try:
            await action(f"/ipfs/{Cid.from_bytes(cid)}")
        except (IpfsError, ValueError) as exc:  # the epoch still moves on
            log.warning("cannot %s head %s: %s", action.__name__, cid.hex(), exc)


async def _run(
    config: NodeConfig, key: keys.NodeKey, roots: ImageRoots, peers: list[tuple[ID, Multiaddr]]
) -> int:
    from wetnode.node import Boot, run_node  # imports libp2p and wasmtime: only here

    boot = Boot(
        roots=roots,
        secret=key.secret,
        cache_dir=config.cache_dir,
        port=config.port,
        listen_host=config.listen,
        tty=sys.stdin.isatty(),
        limits=config.limits,
        ipfs_api=config.ipfs_api,
        ipfs_timeout=config.ipfs_timeout,
        stem=StemFollower(config) if config.stem else None,
        peers=peers,
    )
    try:
        return await run_node(boot)
    except OSError as exc:
        raise UserError(f"cannot start the node: {exc}") from exc
    except BaseExceptionGroup as group:  # the node's nurseries wrap a UserError
        raise sole_exception(group) from None
