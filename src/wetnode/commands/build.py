"""`ww build [PATH]`: build a Python guest project into PATH/boot/main.wasm."""

import argparse
from pathlib import Path

from wetnode.cell.python_guest import build_project


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path,
                        help="project directory with app.py (default: the current directory)")


def run(args: argparse.Namespace) -> int:
    print(f"built {build_project(args.path)}")
    return 0
