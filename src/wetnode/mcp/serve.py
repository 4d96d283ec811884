"""The MCP server of `ww mcp serve`: the `mcp` SDK's low-level Server over `ExportTools`.

stdio is the transport desktop clients start a command with; `serve_http`
offers the same server as streamable HTTP on 127.0.0.1 through hypercorn,
which runs on trio (uvicorn is asyncio-only, and the node's client side is
trio).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import mcp_types as types
import trio
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server

from wetnode import __version__
from wetnode.mcp.bridge import ExportTools

INSTRUCTIONS = (
    "Tools are the methods a Wetware node exports to this peer. A capability a call "
    "returns comes back as a handle (e.g. binary/1): pass it as `handle` to that "
    "capability's tools. A refused call is a tool error whose text is the node's reason."
)


def mcp_server(tools: ExportTools, peer: str) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[t.as_mcp() for t in tools.tools.values()])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        return await tools.call(params.name, dict(params.arguments or {}))

    return Server(
        "wetnode",
        version=__version__,
        title=f"Wetware node {peer}",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client on stdin/stdout until it closes stdin."""
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def serve_http(
    server: Server[Any], port: int, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED
) -> None:
    """Serve streamable HTTP at http://127.0.0.1:PORT/mcp until cancelled; reports the port."""
    from hypercorn.config import Config
    from hypercorn.trio import serve

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.loglevel = "WARNING"  # its "Running on" line: ours names the URL clients use
    app = server.streamable_http_app(host="127.0.0.1")  # its lifespan runs the sessions

    async with trio.open_nursery() as nursery:
        binds = await nursery.start(partial(serve, app, config))  # type: ignore[arg-type]
        task_status.started(int(binds[0].rsplit(":", 1)[1]))
