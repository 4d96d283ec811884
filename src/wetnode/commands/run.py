"""`ww run [--stem ADDR] [MOUNT ...]`: merge image layers and boot pid0.

Everything that can fail on the user's input is checked first (flags,
layers, the union, the identity), so mistakes are one-line errors before
any network or guest starts.  Then `wetnode.node.run_node` runs the node and
`ww run` exits with pid0's exit code.

With `--stem`, the Atom contract's head is the base layer: it is fetched
from IPFS for each epoch and the positional layers are stacked on top.
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
from wetnode.errors import UsageError, UserError
from wetnode.image import Layer, Mount

if TYPE_CHECKING:
    from wetnode.ipfs.backend import IpfsBackend
    from wetnode.membrane.epoch import Epoch
    from wetnode.stem.epochs import EpochPipeline

log = logging.getLogger(__name__)


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
    layers = image.resolve_mounts(args.mounts, ipfs_api=config.ipfs_api)
    if config.stem:  # the base layer comes from the chain; the union is checked per epoch
        if args.dry_run:
            raise UsageError("--dry-run shows local layers only; drop --stem to use it")
        merged = image.merge(layers, require_boot=False)
    else:
        merged = image.merge(layers)
        if args.dry_run:
            sys.stdout.write(image.render_tree(merged))
            return 0
    key, _ = keys.resolve_identity(config.identity, os.environ, merged.host_paths)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="node-", dir=config.run_dir) as work:
        roots: StaticRoot | StemRoots
        if config.stem:
            roots = StemRoots(layers, Path(work))
        else:
            roots = StaticRoot(image.materialize(merged.files, Path(work) / "root"))
        return trio.run(_run, config, key, roots)


class StaticRoot:
    """The same root for the node's whole life (no stem)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def root_for(self, epoch: Epoch | None, ipfs: IpfsBackend) -> Path:
        return self.root


class StemRoots:
    """Per epoch: the head's tree from IPFS as the base, the given layers on top."""

    def __init__(self, overlays: Sequence[Layer], work: Path) -> None:
        self._overlays = list(overlays)
        self._work = work
        self._current: Path | None = None

    async def root_for(self, epoch: Epoch | None, ipfs: IpfsBackend) -> Path:
        from wetnode.ipfs.cid import Cid
        from wetnode.ipfs.errors import IpfsError
        from wetnode.ipfs.layer import IpfsLayerSource

        assert epoch is not None
        try:
            spec = f"/ipfs/{Cid.from_bytes(epoch.head)}"
            base = await IpfsLayerSource(ipfs).fetch(spec)
        except (IpfsError, ValueError) as exc:
            raise UserError(f"cannot fetch the head of epoch {epoch.seq}: {exc}") from None
        layers = [Layer(Mount(spec, ""), base), *self._overlays]
        merged = await trio.to_thread.run_sync(image.merge, layers)
        dest = self._work / f"root-{epoch.seq}"
        root = await trio.to_thread.run_sync(image.materialize, merged.files, dest)
        if self._current is not None:
            shutil.rmtree(self._current, ignore_errors=True)
        self._current = root
        log.info("epoch %d: root on %s with %d more layer(s)", epoch.seq, spec, len(self._overlays))
        return root


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


async def _run(config: NodeConfig, key: keys.NodeKey, roots: StaticRoot | StemRoots) -> int:
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
        stem=StemFollower(config) if config.stem else None,
    )
    try:
        return await run_node(boot)
    except OSError as exc:
        raise UserError(f"cannot start the node: {exc}") from exc
