"""`ww init [PATH]`: scaffold a Python guest project."""

import argparse
from pathlib import Path

from wetnode.cell.python_guest import init_project


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path,
                        help="project directory (default: the current directory)")


def run(args: argparse.Namespace) -> int:
    for file in init_project(args.path):
        print(f"created {file}")
    print(f"next: ww build {args.path}")
    return 0
