"""The node's local MCP servers (`ww run --mcp NAME=COMMAND`): subprocesses it owns.

Each `LocalServer` runs its command as a stdio MCP server through the `mcp`
SDK's own client (`stdio_client` and `ClientSession`, on anyio's trio
backend), as a task in the node's nursery.  So the node owns the process:
leaving the nursery closes the server's stdin and the SDK then kills its
process group, and when the process exits by itself it is started again after
a backoff that doubles up to `RESTART_MAX` (reset once it stayed up a while).

A call in flight when the process dies fails with an `McpError` naming the
server and the tool; the next call waits (bounded) for the restarted server.
Tools are offered under `SERVER.TOOL`, the name the `Mcp` capability and the
kernel's allow list use.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import mcp_types
import trio
from anyio.streams.memory import MemoryObjectSendStream
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage

from wetnode.errors import ConfigError
from wetnode.mcp.errors import McpError
from wetnode.mcp.spec import ServerSpec

log = logging.getLogger(__name__)

RESTART_FIRST = 0.25  # seconds before the first restart of a server that exited
RESTART_MAX = 30.0  # the backoff doubles up to this
STABLE_AFTER = 30.0  # a server up this long starts its next backoff from RESTART_FIRST
START_TIMEOUT = 30.0  # seconds a call waits for its server to be (re)started and initialised
CALL_TIMEOUT = 60.0  # seconds one tool call may take


@dataclass(frozen=True)
class Tool:
    """One tool of a local server, under its node-wide name `SERVER.TOOL`."""

    name: str
    description: str
    input_schema: dict[str, Any]


class LocalServer:
    """One supervised MCP server process and the client session to it."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self._session: ClientSession | None = None
        self._changed = trio.Event()  # set (and replaced) whenever the session comes or goes
        self._down_reason = "it has not started yet"

    @property
    def name(self) -> str:
        return self.spec.name

    async def run(self) -> None:
        """Keep the server running until cancelled (the node stops)."""
        delay = RESTART_FIRST
        while True:
            started = trio.current_time()
            try:
                await self._run_once()
                reason = "exited"
            except Exception as exc:  # however the server fails, the node stays up
                reason = f"failed: {_reason(exc)}"
            if trio.current_time() - started > STABLE_AFTER:
                delay = RESTART_FIRST
            self._down_reason = f"it {reason}; restarting in {delay:g} s"
            log.warning("MCP server %s %s", self.name, self._down_reason.removeprefix("it "))
            await trio.sleep(delay)  # backoff before the restart, not a synchronisation
            delay = min(delay * 2, RESTART_MAX)

    async def _run_once(self) -> None:
        argv = self.spec.argv
        params = StdioServerParameters(command=argv[0], args=list(argv[1:]))
        async with stdio_client(params) as (read, write), trio.open_nursery() as nursery:
            send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
            lost = trio.Event()
            nursery.start_soon(_forward, read, send, lost)
            async with ClientSession(receive, write) as session:
                with trio.fail_after(START_TIMEOUT):
                    await session.initialize()
                self._set_session(session)
                log.info("MCP server %s up (%s)", self.name, shlex.join(argv))
                try:
                    await lost.wait()  # its stdout closed: the process is gone
                finally:
                    self._set_session(None)
            nursery.cancel_scope.cancel()

    def _set_session(self, session: ClientSession | None) -> None:
        self._session = session
        self._changed.set()
        self._changed = trio.Event()

    async def session(self) -> ClientSession:
        """The live session, waiting up to `START_TIMEOUT` for a (re)start."""
        with trio.move_on_after(START_TIMEOUT):
            while self._session is None:
                await self._changed.wait()
        if self._session is None:
            raise McpError(f"MCP server {self.name} is not running: {self._down_reason}")
        return self._session

    async def tools(self) -> list[Tool]:
        session = await self.session()
        found: list[Tool] = []
        cursor: str | None = None
        try:
            with trio.fail_after(CALL_TIMEOUT):
                while True:
                    params = mcp_types.PaginatedRequestParams(cursor=cursor) if cursor else None
                    page = await session.list_tools(params=params)
                    found += [
                        Tool(f"{self.name}.{t.name}", t.description or "", t.input_schema)
                        for t in page.tools
                    ]
                    cursor = page.next_cursor
                    if not cursor:
                        return found
        except (MCPError, trio.TooSlowError) as exc:
            raise self._failure("tools/list", exc) from None

    async def call(self, tool: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Call ``tool`` (the server's own name for it); the CallToolResult as JSON data."""
        session = await self.session()
        try:
            with trio.fail_after(CALL_TIMEOUT):
                result = await session.call_tool(tool, dict(arguments))
        except (MCPError, trio.TooSlowError) as exc:
            raise self._failure(f"the call to {tool}", exc) from None
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)

    def _failure(self, what: str, exc: Exception) -> McpError:
        if isinstance(exc, trio.TooSlowError):
            return McpError(
                f"MCP server {self.name} did not answer {what} within {CALL_TIMEOUT:g} s"
            )
        if isinstance(exc, MCPError) and exc.code == mcp_types.CONNECTION_CLOSED:
            return McpError(
                f"MCP server {self.name} went away during {what} (its process ended); "
                "the node restarts it: try again"
            )
        return McpError(f"MCP server {self.name}: {what}: {exc}")


def _reason(exc: BaseException) -> str:
    """One line for a failure, unwrapping the task groups the SDK's transport nests it in."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return str(exc) or type(exc).__name__


async def _forward(
    source: Any, sink: MemoryObjectSendStream[SessionMessage | Exception], lost: trio.Event
) -> None:
    """Pass the server's messages on to the session; when they end, say the server is gone."""
    try:
        async with sink:
            async for message in source:
                await sink.send(message)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass
    finally:
        lost.set()


class LocalServers:
    """Every `--mcp` server of the node, by name; what the `Mcp` capability serves."""

    def __init__(self, specs: Sequence[ServerSpec]) -> None:
        self.servers = {spec.name: LocalServer(spec) for spec in specs}
        if len(self.servers) != len(specs):
            raise ConfigError("--mcp: a server NAME is given twice; give each its own name")

    async def tools(self) -> list[Tool]:
        """Every tool of every server, waiting (bounded) for servers still starting."""
        found: dict[str, list[Tool]] = {}

        async def collect(server: LocalServer) -> None:
            try:
                found[server.name] = await server.tools()
            except McpError as exc:  # one broken server must not hide the others' tools
                log.warning("%s", exc)

        async with trio.open_nursery() as nursery:
            for server in self.servers.values():
                nursery.start_soon(collect, server)
        return [tool for name in sorted(found) for tool in found[name]]

    async def call(self, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Call tool `SERVER.TOOL`."""
        server_name, _, tool = name.partition(".")
        server = self.servers.get(server_name)
        if server is None or not tool:
            have = ", ".join(sorted(self.servers)) or "none"
            raise McpError(f"no MCP tool {name!r}: tools are SERVER.TOOL; servers: {have}")
        return await server.call(tool, arguments)


@asynccontextmanager
async def open_local_servers(specs: Sequence[ServerSpec]) -> AsyncIterator[LocalServers]:
    """Start every server in a nursery of its own; leaving the block stops them all."""
    servers = LocalServers(specs)
    async with trio.open_nursery() as nursery:
        for server in servers.servers.values():
            nursery.start_soon(server.run)
        try:
            yield servers
        finally:
            nursery.cancel_scope.cancel()
