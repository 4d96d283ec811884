"""The shell's `(mcp SERVER tools)` and `(mcp SERVER call TOOL ARGS...)`.

They reach the node's MCP servers (`ww run --mcp SERVER=COMMAND`) through
the graft's `Mcp` capability, where tools are named `SERVER.TOOL`.  ARGS are
either one JSON object as a string, `"{\\"timezone\\": \\"UTC\\"}"`, or
`key value` pairs, `timezone "UTC"`.  A call shows the tool's structured
result when it has one, else its text.
"""

from __future__ import annotations

import json
from typing import Any

USAGE = '(mcp SERVER tools) or (mcp SERVER call TOOL key "value" ...)'


class McpShellError(ValueError):
    """A one-line error the shell shows."""


async def mcp_command(caps: Any, args: list[Any]) -> Any:
    mcp = caps.mcp
    if mcp is None:
        raise McpShellError("mcp: this node runs no MCP servers (start it with --mcp NAME=COMMAND)")
    if len(args) < 2 or str(args[1]) not in ("tools", "call"):
        raise McpShellError(f"usage: {USAGE}")
    server, verb, rest = str(args[0]), str(args[1]), args[2:]
    if verb == "tools":
        prefix = f"{server}."
        tools = (await mcp.tools()).tools
        names = [t.name.removeprefix(prefix) for t in tools if t.name.startswith(prefix)]
        if not names:
            have = sorted({t.name.partition(".")[0] for t in tools})
            raise McpShellError(f"mcp: no server {server!r} with tools; servers: {have}")
        return names
    if not rest:
        raise McpShellError(f"usage: {USAGE}")
    name = f"{server}.{rest[0]}"
    answer = json.loads((await mcp.call(name, arguments(rest[1:]))).result)
    text = "\n".join(c.get("text", "") for c in answer.get("content", []) if "text" in c)
    if answer.get("isError"):
        raise McpShellError(f"mcp {name}: {text or 'the tool failed'}")
    structured = answer.get("structuredContent")
    return structured if structured is not None else text


def arguments(values: list[Any]) -> str:
    """The tool's arguments as JSON text, from one JSON string or `key value` pairs."""
    if len(values) == 1 and isinstance(values[0], str) and values[0].lstrip().startswith("{"):
        return values[0]
    if len(values) % 2:
        raise McpShellError(f"mcp: arguments go in key value pairs; {USAGE}")
    pairs = zip(values[::2], values[1::2], strict=True)
    return json.dumps({str(key): _plain(value) for key, value in pairs})


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)  # a bare symbol reads as its name
