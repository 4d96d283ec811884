"""The `ww` command: global flags, logging, error reporting, dispatch.

Each subcommand lives in `wetnode.commands.<name>` and exposes
`configure(parser)` and `run(args) -> int`.  Only the module of the
subcommand being run is imported (libp2p, web3 and wasmtime are slow to
import), so `ww --help` stays fast and a broken optional dependency cannot
take down unrelated commands.

Errors are the library's (`wetnode.errors`) or the CLI's (`UsageError`);
only here do they become one line and an exit code (`EXIT_CODES`): 0
success, 1 a failure, 2 a wrong command line or value, 130 Ctrl-C; `ww run`
exits with pid0's own code.

The process ends through `entry`, which skips the interpreter's teardown.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from wetnode import __version__
from wetnode.commands import UsageError
from wetnode.errors import ConfigError, WetnodeError
from wetnode.net.deferred_imports import defer_unused_imports
from wetnode.net.plain_dns import use_plain_dns

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("wetnode.commands.run", "merge image layers and boot pid0"),
    "keygen": ("wetnode.commands.keygen", "create a node key (secp256k1)"),
    "init": ("wetnode.commands.init", "scaffold a Python guest project"),
    "build": ("wetnode.commands.build", "build a Python guest into boot/main.wasm"),
    "image": ("wetnode.commands.image", "inspect merged image layers"),
    "push": ("wetnode.commands.push", "add an image to IPFS (and set a stem head)"),
    "dial": ("wetnode.commands.dial", "call a remote node's export, or open the shell on it"),
    "mcp": ("wetnode.commands.mcp", "offer a node's export as MCP tools to LLM clients"),
    "stem": ("wetnode.commands.stem", "deploy and read Atom contracts"),
    "doctor": ("wetnode.commands.doctor", "check this machine can run and build nodes"),
    "audit": ("wetnode.commands.audit", "list a node's audit log, or verify it"),
    "approve": ("wetnode.commands.approve", "list, show, sign or deny approval proposals"),
}

# What `ww` exits with for an error it reports as one line; the first match wins.
EXIT_CODES: tuple[tuple[type[Exception], int], ...] = (
    (UsageError, 2),
    (ConfigError, 2),
    (WetnodeError, 1),
)
INTERRUPTED = 130

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the subcommand named in `argv` gets its own flags."""
    selected = next((arg for arg in argv if arg in SUBCOMMANDS), None)
    parser = argparse.ArgumentParser(
        prog="ww", description="A Wetware node: run WASM agents with capability-based RPC."
    )
    parser.add_argument("--version", action="version", version=f"ww {__version__}")
    add_global_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        add_global_flags(sp, suppress_defaults=True)
        sp.set_defaults(_module=module)
        if name == selected:
            use_plain_dns()  # before the subcommand's imports reach dnspython
            defer_unused_imports()  # and py-libp2p's AutoTLS imports
            importlib.import_module(module).configure(sp)
            add_global_flags_to_actions(sp)
    return parser


def add_global_flags_to_actions(parser: argparse.ArgumentParser) -> None:
    """Give every nested action parser (`ww stem deploy`, `ww image ls`) the global flags.

    argparse hands the words after an action to that action's parser alone,
    so without them there `ww stem deploy --debug` would be an unknown flag.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in action.choices.values():
                add_global_flags(nested, suppress_defaults=True)
                add_global_flags_to_actions(nested)


def add_global_flags(parser: argparse.ArgumentParser, *, suppress_defaults: bool = False) -> None:
    """Flags accepted before or after the subcommand name."""
    default = argparse.SUPPRESS if suppress_defaults else None
    parser.add_argument(
        "--log-level",
        default=default,
        help="log level: debug, info, warning, error (env WW_LOG; default warning)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress_defaults else False,
        help="show tracebacks and debug logs",
    )


def setup_logging(level_name: str | None, debug: bool) -> None:
    """Log ``wetnode.*`` at the chosen level, other libraries at WARNING at the least.

    Below WARNING, libraries drown ours: multiaddr logs each address parse
    at debug, httpx each chain request at info.  ``WW_LOG_ALL=1`` lets every
    logger through at the chosen level.
    """
    name = (level_name or os.environ.get("WW_LOG") or ("debug" if debug else "warning")).upper()
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise UsageError(f"log level {name.lower()!r} is not one of debug, info, warning, error")
    everything = os.environ.get("WW_LOG_ALL", "") not in ("", "0")
    root_level = level if everything else max(level, logging.WARNING)
    logging.basicConfig(level=root_level, format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("wetnode").setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        setup_logging(getattr(args, "log_level", None), debug)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        mod = importlib.import_module(args._module)
        return int(mod.run(args) or 0)
    except (UsageError, WetnodeError) as exc:
        if debug:
            logging.getLogger("wetnode").exception("error")
        print(f"ww {args.command or ''}: {exc}".replace("  ", " "), file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        return INTERRUPTED


def entry() -> NoReturn:
    """The `ww` executable: `main`, then exit without the interpreter's teardown.

    Everything a command opens is closed by its own scopes before `main`
    returns; what the teardown then frees (wasmtime's engine and stores,
    pycapnp, py-libp2p's state, a guest thread abandoned in a host call)
    writes nothing, yet took 1.1 s of a node's 1.8 s stop on a loaded
    machine.  Logs and the standard streams are flushed first.
    """
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say to it
            stream.flush()
    os._exit(code)


def exit_code(exc: Exception) -> int:
    """The exit code for an error reported as one line (`EXIT_CODES`)."""
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))
