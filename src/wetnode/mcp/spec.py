"""`--mcp NAME=COMMAND`: one local MCP server the node runs (parsed without the SDK)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ServerSpec:
    """One `--mcp NAME=COMMAND`: the server's name and its argv."""

    name: str
    argv: tuple[str, ...]


def parse_spec(text: str) -> ServerSpec:
    """`time=mcp-server-time --local-timezone UTC` -> ServerSpec("time", (...)).

    The command is split like a shell would (quotes group words); NAME is
    letters, digits, `-` and `_`, since tools are named `NAME.TOOL`.
    """
    name, sep, command = text.partition("=")
    try:
        argv = tuple(shlex.split(command))
    except ValueError as exc:
        raise ValueError(f"{text!r}: the command does not parse ({exc})") from None
    if not sep or not _NAME.fullmatch(name) or not argv:
        raise ValueError(
            f"{text!r} is not NAME=COMMAND (NAME of letters, digits, - and _), "
            "e.g. time=mcp-server-time"
        )
    return ServerSpec(name, argv)
