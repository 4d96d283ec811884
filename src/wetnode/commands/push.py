"""`ww push [PATH] [--stem ADDR]`: add an image tree to IPFS, print its root CID.

The tree is imported exactly as `ipfs add -r` would (so any IPFS node computes
the same CID) into the embedded block store, or into a Kubo daemon with
`--ipfs-api` / `WW_IPFS_API`, and pinned there.  With `--stem ADDR` the CID
then becomes the Atom contract's new head (signed with `--identity` or
`--key`): every node following that contract moves to it once final.

A tree holding `etc/identity` is refused before anything is added: that is a
node's secret key, and whatever is pushed can be read by anyone.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import trio

from wetnode.commands.stem import add_chain_id_flag, add_key_flags, rpc_url, signing_key
from wetnode.config import add_options, option
from wetnode.errors import ImageError
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.connect import backend_for
from wetnode.ipfs.progress import ByteProgress
from wetnode.keys import IMAGE_IDENTITY

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="the image tree (default: .)")
    parser.add_argument(
        "--partial",
        action="store_true",
        help="push a tree without boot/main.wasm (a layer meant to stack on others)",
    )
    parser.add_argument(
        "--stem", metavar="ADDR", help="then set this Atom contract's head to the pushed CID"
    )
    add_options(parser, ["ipfs-api", "ipfs-timeout", "rpc-url"])
    add_chain_id_flag(parser)
    add_key_flags(parser)


def run(args: argparse.Namespace) -> int:
    root = Path(args.path)
    if not root.is_dir():
        raise ImageError(f"{root} is not a directory; pass the image tree to push")
    if not args.partial and not (root / "boot" / "main.wasm").is_file():
        raise ImageError(
            f"{root} has no boot/main.wasm, so it cannot boot; "
            "build it first (ww build) or pass --partial to push a layer"
        )
    if os.path.lexists(root / IMAGE_IDENTITY):
        raise ImageError(
            f"{root / IMAGE_IDENTITY} is a node's secret key and IPFS content is public: "
            "move it out of the tree (and give it to `ww run --identity PATH`), "
            "then push again; nothing was published"
        )
    key = signing_key(args) if args.stem else None  # a missing key fails before pushing
    cid = trio.run(_push, root, args)
    print(cid)
    if key is not None:  # --stem
        from wetnode.stem import contract

        done = contract.set_head(
            rpc_url(args), args.stem, cid.to_bytes(), key, chain_id=args.chain_id
        )
        print(f"head of {args.stem} is now seq {done.seq} (block {done.block_number})")
    return 0


async def _push(root: Path, args: argparse.Namespace) -> Cid:
    backend = backend_for(
        option("ipfs-api").value(args, os.environ),
        timeout=option("ipfs-timeout").value(args, os.environ),
    )
    progress = ByteProgress(f"adding {root}")
    try:
        cid = await backend.add_path(root, progress=progress)
    except OSError as exc:
        raise ImageError(f"cannot read {exc.filename or root}: {exc.strerror}") from None
    finally:
        await backend.aclose()
    progress.finish()
    log.info("pushed %s to the %s as %s", root, backend.name, cid)
    return cid
