"""`ww stem`: placeholder until the stem work (issue 8) lands."""

import argparse

from wetnode.commands import arrives_with


def configure(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    raise arrives_with("the stem work (issue 8)")
