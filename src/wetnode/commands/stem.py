"""`ww stem`: deploy an Atom contract and read its head.

    ww stem deploy [--cid CID] [--rpc-url URL] [--identity PATH | --key HEX]
    ww stem head ADDRESS [--rpc-url URL]

Moving the head is `ww push --stem ADDRESS` (it adds the image to IPFS first);
it calls `wetnode.stem.contract.set_head`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from wetnode.commands import UsageError
from wetnode.config import add_options, option
from wetnode.ipfs.blockstore import EMPTY_DIRECTORY
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import InvalidCid

KEY_ENV = "WW_STEM_KEY"


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="stem_action", metavar="ACTION")
    deploy = actions.add_parser("deploy", help="deploy a new Atom contract; prints its address")
    deploy.add_argument(
        "--cid",
        default=str(EMPTY_DIRECTORY),  # "nothing published yet"; every node has it
        help="initial head: the CID `ww push IMAGE` printed (default: the empty directory)",
    )
    add_options(deploy, ["rpc-url"])
    add_chain_id_flag(deploy)
    add_key_flags(deploy)
    head = actions.add_parser("head", help="print an Atom contract's seq and head CID")
    head.add_argument("address", metavar="ADDRESS", help="the Atom contract (0x...)")
    add_options(head, ["rpc-url"])
    add_chain_id_flag(head)


def add_chain_id_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--chain-id", type=int, default=None, help="refuse to act unless the chain has this id"
    )


def add_key_flags(parser: argparse.ArgumentParser) -> None:
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument(
        "--identity",
        type=Path,
        metavar="PATH",
        help="sign with this node key file (the one `ww keygen` writes)",
    )
    keys.add_argument(
        "--key",
        metavar="HEX",
        help=f"sign with this secp256k1 secret (hex; env {KEY_ENV} keeps it out of ps)",
    )


def rpc_url(args: argparse.Namespace) -> str:
    """The chain's HTTP JSON-RPC: --rpc-url, else $WW_RPC_URL, else the local default."""
    return option("rpc-url").value(args, os.environ)


def signing_key(args: argparse.Namespace) -> bytes | str:
    """The secret to sign with, from --identity, --key or $WW_STEM_KEY."""
    if args.identity is not None:
        return identity_secret(args.identity)
    key = args.key or os.environ.get(KEY_ENV)
    if not key:
        raise UsageError(f"no signing key: pass --identity PATH or --key HEX (or set {KEY_ENV})")
    return key


def identity_secret(path: Path) -> bytes:
    """The 32-byte secret of a node key file."""
    from wetnode.keys import NodeKey

    return NodeKey.load(path).secret


def cid_bytes(text: str) -> bytes:
    try:
        return Cid.parse(text).to_bytes()
    except InvalidCid as exc:
        raise UsageError(f"--cid: {exc}") from None


def cid_text(raw: bytes) -> str:
    """The CID's text form, or hex for head bytes that are not a CID."""
    try:
        return str(Cid.from_bytes(raw))
    except InvalidCid:
        return f"0x{raw.hex()} (not a CID)"


def run(args: argparse.Namespace) -> int:
    if args.stem_action == "deploy":
        initial, key = cid_bytes(args.cid), signing_key(args)
        from wetnode.stem import contract  # web3 takes seconds to import: only when needed

        print(contract.deploy(rpc_url(args), key, initial, chain_id=args.chain_id))
        return 0
    if args.stem_action == "head":
        from wetnode.stem import contract

        head = contract.read_head(rpc_url(args), args.address, chain_id=args.chain_id)
        print(f"seq {head.seq}")
        print(f"cid {cid_text(head.cid)}")
        return 0
    raise UsageError("ww stem needs an action: deploy or head (see ww stem --help)")
