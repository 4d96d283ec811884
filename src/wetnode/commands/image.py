"""`ww image ls [MOUNT ...]`: show the merged tree pid0 would get, file by file."""

from __future__ import annotations

import argparse
import os
import sys

from wetnode import image
from wetnode.commands import UsageError
from wetnode.commands.run import list_layers, parse_peers
from wetnode.config import NodeConfig, add_options
from wetnode.image.roots import parse_layers


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="image_command", metavar="ACTION")
    ls = sub.add_parser("ls", help="print the merged tree and each file's layer")
    ls.add_argument("mounts", nargs="+", metavar="MOUNT", help="layers, as for `ww run`")
    add_options(ls, ["peer", "bootstrap", "ipfs-api", "ipfs-timeout"])


def run(args: argparse.Namespace) -> int:
    if args.image_command != "ls":
        raise UsageError("say what to do: `ww image ls MOUNT...`")
    config = NodeConfig.from_args(args, os.environ)
    peers, bootstrap = parse_peers(config), parse_peers(config, bootstrap=True)
    layers = list_layers(config, parse_layers(args.mounts), peers, bootstrap)
    merged = image.merge(layers, require_boot=False, limits=config.layer_limits)
    sys.stdout.write(image.render_tree(merged))
    if image.BOOT not in merged.host_paths:
        print(f"note: no layer provides /{image.BOOT}; `ww run` needs one", file=sys.stderr)
    return 0
