"""`ww keygen [--output PATH]`: a new node key (secp256k1).

The base58btc secret goes to stdout (or the file, mode 0600); the identities
derived from it go to stderr, so `ww keygen > key` captures only the secret.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wetnode.keys import NodeKey


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", metavar="PATH", help="write the key to PATH (0600)")
    parser.add_argument("--force", action="store_true", help="replace an existing --output file")


def run(args: argparse.Namespace) -> int:
    key = NodeKey.generate()
    if args.output:
        key.save(Path(args.output).expanduser(), overwrite=args.force)
        print(f"key written to {args.output}", file=sys.stderr)
    else:
        print(key.to_base58())
    print(f"peer id:     {key.peer_id_text}", file=sys.stderr)
    print(f"evm address: {key.evm_address}", file=sys.stderr)
    return 0
