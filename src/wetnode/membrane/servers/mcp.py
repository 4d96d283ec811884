"""Mcp: the node's local MCP servers (`ww run --mcp NAME=COMMAND`) as one capability.

Tools are named `SERVER.TOOL`; arguments and results cross as JSON text, so
the schema needs no type per tool.  The work happens on trio
(`wetnode.mcp.local`), reached through ``vat.to_trio`` like every backend.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from wetnode.mcp.errors import McpError
from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError
from wetnode.membrane.guarded import Guarded
from wetnode.rpc.vat import Vat
from wetnode.schemas import system as _system

if TYPE_CHECKING:  # the SDK is imported only by a node that runs MCP servers
    from wetnode.mcp.local import LocalServers


class McpFailed(CapabilityError):
    """A local MCP server is down, went away during the call, or refused it."""

    word = "mcpFailed"


class BadArguments(CapabilityError):
    """The arguments of an Mcp.call are not a JSON object."""

    word = "badArguments"


class McpServer(Guarded, _system.Mcp.Server):
    def __init__(self, guard: EpochGuard, vat: Vat, servers: LocalServers) -> None:
        super().__init__(guard)
        self._vat = vat
        self._servers = servers

    async def tools(self, **_: Any) -> list[dict[str, str]]:
        tools = await self._vat.to_trio(self._servers.tools)
        return [
            {
                "name": t.name,
                "description": t.description,
                "inputSchema": json.dumps(t.input_schema),
            }
            for t in tools
        ]

    async def call(self, name: str, arguments: str, **_: Any) -> str:
        try:
            values = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise BadArguments(f"{name}: the arguments are not JSON ({exc})") from None
        if not isinstance(values, dict):
            raise BadArguments(f"{name}: the arguments must be a JSON object, not {arguments!r}")
        try:
            result = await self._vat.to_trio(self._servers.call, name, values)
        except McpError as exc:
            raise McpFailed(str(exc)) from None
        return json.dumps(result)
