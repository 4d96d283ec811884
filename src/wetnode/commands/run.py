"""`ww run [--stem ADDR] [MOUNT ...]`: merge image layers and boot pid0.

Everything that can be checked on the user's input is checked first (flags,
peers, local layers and their union, the identity), so mistakes are one-line
errors before any network or guest starts.  Then `wetnode.node.run_node` runs
the node and `ww run` exits with pid0's exit code.

`/ipfs/` layers are fetched once the node is up, through its own IPFS: with
the embedded store that is bitswap from the `--peer`s it connected to
(`--dry-run` fetches the same way, see `wetnode.image.roots`).  With
`--stem`, the Atom contract's head is the base layer: it is fetched for each
epoch and the positional layers are stacked on top.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from wetnode import image, keys
from wetnode.commands import UsageError
from wetnode.config import NodeConfig, add_options
from wetnode.errors import NetError, WetnodeError, sole_exception
from wetnode.image import Layer
from wetnode.image.roots import ImageRoots, Pending, parse_layers, remote, resolve_layers

if TYPE_CHECKING:
    from libp2p.peer.id import ID
    from multiaddr import Multiaddr


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
    add_options(parser)


def run(args: argparse.Namespace) -> int:
    config = NodeConfig.from_args(args, os.environ)
    if not args.mounts and not config.stem:
        raise UsageError("no image layers given: pass at least one, e.g. `ww run images/kernel`")
    if args.dry_run and config.stem:
        raise UsageError("--dry-run shows the given layers only; drop --stem to use it")
    peers = parse_peers(config)
    bootstrap = parse_peers(config, bootstrap=True)
    layers = parse_layers(args.mounts)
    if args.dry_run:
        listed = list_layers(config, layers, peers, bootstrap)
        merged = image.merge(listed, limits=config.layer_limits)
        sys.stdout.write(image.render_tree(merged))
        return 0
    local = [layer for layer in layers if isinstance(layer, Layer)]
    # Checked now when no layer is still to come; the identity only ever comes
    # from local layers: content on IPFS or on-chain is public.
    merged = image.merge(
        local,
        require_boot=len(local) == len(layers) and not config.stem,
        limits=config.layer_limits,
    )
    key, source = keys.resolve_identity(config.identity, os.environ, merged.host_paths)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="node-", dir=config.run_dir) as work:
        roots = ImageRoots(layers, Path(work), stem=bool(config.stem), limits=config.layer_limits)
        ephemeral = source == keys.EPHEMERAL
        return trio.run(_run, config, key, roots, peers, bootstrap, ephemeral)


def parse_peers(config: NodeConfig, *, bootstrap: bool = False) -> list[tuple[ID, Multiaddr]]:
    """The `--peer`s (and ``$WW_PEERS``), or with ``bootstrap`` the `--bootstrap` peers
    (and ``$WW_BOOTSTRAP``), each checked before anything starts."""
    from wetnode.net.dial import parse_peer_address

    texts, flag = (config.bootstrap, "--bootstrap") if bootstrap else (config.peers, "--peer")
    try:
        return [parse_peer_address(text) for text in texts]
    except WetnodeError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def list_layers(
    config: NodeConfig,
    layers: Sequence[Pending],
    peers: list[tuple[ID, Multiaddr]],
    bootstrap: list[tuple[ID, Multiaddr]],
) -> list[Layer]:
    """The layers as local directories, `/ipfs/` ones fetched as `ww run` would."""
    if not remote(layers):
        return [layer for layer in layers if isinstance(layer, Layer)]

    async def fetch() -> list[Layer]:
        from wetnode.node import open_layer_ipfs  # imports libp2p: only here

        async with open_layer_ipfs(config, peers, bootstrap) as ipfs:
            return await resolve_layers(layers, ipfs, config.layer_limits)

    try:
        return trio.run(fetch)
    except BaseExceptionGroup as group:  # the swarm's nurseries wrap a WetnodeError
        raise sole_exception(group) from None


async def _run(
    config: NodeConfig,
    key: keys.NodeKey,
    roots: ImageRoots,
    peers: list[tuple[ID, Multiaddr]],
    bootstrap: list[tuple[ID, Multiaddr]],
    ephemeral: bool,
) -> int:
    from wetnode.node import run_node  # imports libp2p and wasmtime: only here

    try:
        return await run_node(config, key, roots, peers, bootstrap, ephemeral_key=ephemeral)
    except OSError as exc:
        raise NetError(f"cannot start the node: {exc}") from exc
    except BaseExceptionGroup as group:  # the node's nurseries wrap a WetnodeError
        raise sole_exception(group) from None
