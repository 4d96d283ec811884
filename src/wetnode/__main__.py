"""`python -m wetnode` is the `ww` command."""

from wetnode.cli import entry

entry()
