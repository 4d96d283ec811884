"""`ww run [--stem ADDR] [MOUNT ...]`: merge image layers and boot pid0.

Resolves everything that can fail on the user's input first (flags, layers,
the union, the identity), so mistakes are one-line errors before any
network or guest starts; then hands a `Boot` to `wetnode.node.run_node` and
exits with pid0's exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

import trio

from wetnode import image, keys
from wetnode.config import NodeConfig, add_node_flags
from wetnode.errors import UsageError, UserError

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
    if config.stem:
        raise UsageError(
            "--stem: booting from an on-chain head arrives with the stem integration; "
            "for now pass the layers directly (see docs/stem.md for deploying heads)"
        )
    if not args.mounts:
        raise UsageError("no image layers given: pass at least one, e.g. `ww run images/kernel`")
    merged = image.merge(image.resolve_mounts(args.mounts))
    if args.dry_run:
        sys.stdout.write(image.render_tree(merged))
        return 0
    key, source = keys.resolve_identity(config.identity, os.environ, merged)
    log.info("node identity from %s: peer %s", source, key.peer_id)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="root-", dir=config.run_dir) as work:
        root = image.materialize(merged, Path(work) / "root")
        return trio.run(_run, config, key, root)


async def _run(config: NodeConfig, key: keys.NodeKey, root: Path) -> int:
    from wetnode.node import Boot, run_node  # imports libp2p and wasmtime: only here

    boot = Boot(
        root=root,
        secret=key.secret,
        cache_dir=config.cache_dir,
        port=config.port,
        tty=sys.stdin.isatty(),
        limits=config.limits,
    )
    try:
        return await run_node(boot)
    except OSError as exc:
        raise UserError(f"cannot start the node: {exc}") from exc
