"""`ww build [PATH]`: check a Python agent and write PATH/boot/main.wasm."""

import argparse
from pathlib import Path

from wetnode.cell.python_guest import build_project


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path,
                        help="agent directory with boot/main.py (default: the current directory)")
    parser.add_argument("--standalone", action="store_true",
                        help="build a component of this agent alone with componentize-py "
                             "(~15-60 s; runs without an image) instead of the shared runtime")
    parser.add_argument("--vendor", metavar="REQUIREMENTS", type=Path,
                        help="first download the pure-Python wheels of this requirements file "
                             "into lib/python/")


def run(args: argparse.Namespace) -> int:
    if args.vendor is not None:
        from wetnode.cell.build_vendor import vendor

        for name in vendor(args.vendor, args.path):
            print(f"vendored {name}")
    print(f"built {build_project(args.path, standalone=args.standalone)}")
    return 0
