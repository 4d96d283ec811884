"""One module per `ww` subcommand: `configure(parser)` and `run(args) -> int`."""


class UsageError(Exception):
    """The command line itself is wrong: a flag that needs another, a missing argument.

    It belongs to the CLI, not the library: a library caller has no command
    line.  `ww` prints it as one line and exits 2, like argparse's own errors.
    """
