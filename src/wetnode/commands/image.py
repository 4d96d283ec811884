"""`ww image ls [MOUNT ...]`: show the merged tree pid0 would get, file by file."""

from __future__ import annotations

import argparse
import sys

from wetnode import image
from wetnode.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="image_command", metavar="ACTION")
    ls = sub.add_parser("ls", help="print the merged tree and each file's layer")
    ls.add_argument("mounts", nargs="+", metavar="MOUNT", help="layers, as for `ww run`")
    ls.add_argument("--ipfs-api", metavar="URL", help="Kubo RPC API for /ipfs/ layers")


def run(args: argparse.Namespace) -> int:
    if args.image_command != "ls":
        raise UsageError("say what to do: `ww image ls MOUNT...`")
    merged = image.merge(
        image.resolve_mounts(args.mounts, ipfs_api=args.ipfs_api), require_boot=False
    )
    sys.stdout.write(image.render_tree(merged))
    if image.BOOT not in merged.host_paths:
        print(f"note: no layer provides /{image.BOOT}; `ww run` needs one", file=sys.stderr)
    return 0
