"""A remote node's export as MCP tools: what `ww mcp serve` offers and calls.

`ExportTools` holds one grafted connection to the export (`wetnode.client`).
Its tools are what the export says it allows (the graft's `exports`, read
from the kernel's allow list), never a guess: `interface.method` entries
become tools whose JSON Schema comes from the method's param struct
(`capnp_json`), and `mcp.SERVER.TOOL` entries are the node's own MCP tools,
offered with the schema their server gives.  Methods of a capability that a
call returned (`binary.spawn` after `executor.load`) take that capability's
handle as the extra argument `handle`.

A call the node refuses (`notAllowed`, `staleEpoch`, `mcpFailed`...) is an
MCP tool error whose text is the node's reason, so the client's model reads
why.  When the export goes away (the node rebooted pid0 on a new epoch) or
answers `staleEpoch`, the session dials and grafts again, once, and retries:
the old capabilities (and handles) are gone, and the tools are read again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import capnp
import mcp_types as types
import trio
from libp2p.peer.id import ID
from multiaddr import Multiaddr

from wetnode.errors import NetError
from wetnode.keys import NodeKey
from wetnode.mcp.capnp_json import HANDLE_HELP, Handles, input_schema, to_json, to_params
from wetnode.mcp.errors import McpError
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT
from wetnode.net.dial import Remote, open_remote
from wetnode.net.swarm import Swarm
from wetnode.rpc import schema
from wetnode.rpc.reasons import remote_reason
from wetnode.rpc.vat import Vat

log = logging.getLogger(__name__)

# The interfaces an allow list can name (images/kernel/kernel/export.py), by that name.
INTERFACES = {
    "identity": ("stem", "Identity"),
    "host": ("system", "Host"),
    "executor": ("system", "Executor"),
    "ipfs": ("ipfs", "Client"),
    "binary": ("system", "Binary"),
    "process": ("system", "Process"),
    "bytestream": ("system", "ByteStream"),
    "signer": ("stem", "Signer"),
    "unixfs": ("ipfs", "UnixFS"),
}
GRAFTED = ("identity", "host", "executor", "ipfs")  # reached from the graft, not by handle
MCP_PREFIX = "mcp."
STALE = "staleEpoch"
RECONNECT_TIMEOUT = 30.0  # seconds a call waits to reach the export again


def interface(name: str) -> Any:
    module, iface = INTERFACES[name]
    return getattr(schema.load(module), iface)


def _interface_name(interface_id: int) -> str:
    for name in INTERFACES:
        if interface(name).schema.node.id == interface_id:
            return name
    return f"0x{interface_id:x}"


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: dict[str, Any]

    def as_mcp(self) -> types.Tool:
        return types.Tool(
            name=self.name, description=self.description, input_schema=self.input_schema
        )


def method_tool(name: str, description: str) -> Tool | None:
    """The tool for `interface.method`, or None when the name is not one."""
    iface_name, _, method = name.partition(".")
    if iface_name not in INTERFACES:
        return None
    methods = interface(iface_name).schema.methods
    if method not in methods:
        return None
    arguments = input_schema(methods[method].param_type)
    if iface_name not in GRAFTED:
        arguments["properties"] = {
            "handle": {"type": "string", "description": HANDLE_HELP},
            **arguments["properties"],
        }
        arguments["required"] = ["handle", *arguments["required"]]
    results = ", ".join(f.proto.name for f in methods[method].result_type.fields_list)
    text = description or f"Cap'n Proto {name} on the node's export"
    return Tool(name, f"{text} (results: {results or 'none'})", arguments)


class ExportTools:
    """The tools of one node's export, and calls on them (see the module doc).

    `run` (a task of the caller's nursery) owns the connection: it dials,
    grafts and lists the tools, then holds the connection until a call finds
    it dead (the node's pid0 rebooted on a new epoch, or a `staleEpoch`), and
    connects afresh.
    """

    def __init__(
        self, swarm: Swarm, vat: Vat, peer_id: ID, addrs: list[Multiaddr], key: NodeKey
    ) -> None:
        self._swarm = swarm
        self._vat = vat
        self._peer_id = peer_id
        self._addrs = addrs
        self._key = key
        self._handles = Handles(_interface_name)
        self._remote: Remote | None = None
        self._down = "not connected yet"
        self._changed = trio.Event()  # set (and replaced) when the connection comes or goes
        self._renew = trio.Event()  # set by a call that found the connection dead
        self._connecting = False  # `run` is dialling and grafting: a call just waits
        self.tools: dict[str, Tool] = {}

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect, graft and list the tools; reconnect whenever a call asks; until cancelled.

        The first connection's failure is raised (a `NetError`); a later one is
        the reason the waiting call fails with, and the next call tries again.
        """
        first = True
        while True:
            self._connecting = True
            try:
                await self._connect_and_hold(task_status if first else None)
            except (NetError, McpError, capnp.KjException) as exc:
                if first and isinstance(exc, NetError):
                    raise
                reason = remote_reason(exc) if isinstance(exc, capnp.KjException) else str(exc)
                if first:
                    raise NetError(f"peer {self._peer_id}'s export: {reason}") from None
                self._down = reason
                log.warning("reconnecting to %s failed: %s", self._peer_id, reason)
                self._renew = trio.Event()
                self._connecting = False
                self._notify()
                await self._renew.wait()  # until a call asks to try again
            first = False
            self._renew = trio.Event()

    async def _connect_and_hold(self, task_status: trio.TaskStatus[None] | None) -> None:
        async with open_remote(self._swarm, self._vat, self._peer_id, self._addrs) as remote:
            await remote.graft(lambda: SignerServer(GRAFT, self._key))
            self.tools = await _load(remote)
            self._handles.clear()  # handles of an earlier connection name nothing now
            self._remote = remote
            self._connecting = False
            self._notify()
            if task_status is not None:
                task_status.started()
            try:
                await self._renew.wait()
            finally:
                self._remote = None
                self._connecting = True  # `run` dials again next
                self._down = "the connection was dropped to reconnect"

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def _renewed(self, old: Remote | None) -> Remote:
        """A connection other than ``old`` (None: the last attempt failed), bounded.

        Only the first call to find ``old`` dead asks `run` to reconnect;
        calls that find it reconnecting wait for it.
        """
        if self._remote is old and not self._connecting:
            self._renew.set()
        with trio.move_on_after(RECONNECT_TIMEOUT):
            while self._remote is None or self._remote is old:
                await self._changed.wait()
                if self._remote is None and not self._connecting:
                    break  # the reconnection failed
        if self._remote is None or self._remote is old:
            raise McpError(f"the node's export cannot be reached again: {self._down}")
        return self._remote

    async def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """Call tool ``name``; a refusal or bad argument is a tool error, never a raise."""
        try:
            remote = self._remote or await self._renewed(None)
            try:
                return await self._call_once(remote, name, arguments)
            except capnp.KjException as exc:
                if exc.type != "DISCONNECTED" and not remote_reason(exc).startswith(STALE):
                    raise
                log.info("the export went away or went stale (%s): grafting again", exc.type)
            return await self._call_once(await self._renewed(remote), name, arguments)
        except capnp.KjException as exc:
            if exc.type == "DISCONNECTED":
                return _error(f"{self._peer_id} disconnected during {name}")
            return _error(remote_reason(exc))
        except McpError as exc:
            return _error(f"{name}: {exc}")

    async def _call_once(
        self, remote: Remote, name: str, arguments: dict[str, Any]
    ) -> types.CallToolResult:
        if name.startswith(MCP_PREFIX):
            answer = await remote.run(
                _call_mcp, name.removeprefix(MCP_PREFIX), json.dumps(arguments)
            )
            return types.CallToolResult.model_validate(json.loads(answer))
        iface_name, _, method = name.partition(".")
        if method_tool(name, "") is None:
            raise McpError(f"no such tool; this export offers {', '.join(sorted(self.tools))}")
        # A known method the export did not list is called all the same: the node
        # refuses it (notAllowed), which says more than a refusal made up here.
        data = await remote.run(_call_method, iface_name, method, arguments, self._handles)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=_text(data))], structured_content=data
        )


async def _load(remote: Remote) -> dict[str, Tool]:
    """What the export allows, as tools (right after a graft)."""
    entries = await remote.run(_exports)
    tools = {}
    wanted_mcp = {}
    for name, description in entries:
        if name.startswith(MCP_PREFIX):
            wanted_mcp[name.removeprefix(MCP_PREFIX)] = description
            continue
        tool = method_tool(name, description)
        if tool is None:
            log.warning("the export allows %s, which this client does not know", name)
            continue
        tools[name] = tool
    if wanted_mcp:
        for name, description, schema_text in await remote.run(_mcp_tools):
            if name in wanted_mcp:
                full = MCP_PREFIX + name
                tools[full] = Tool(full, wanted_mcp[name] or description, json.loads(schema_text))
    return tools


def _error(reason: str) -> types.CallToolResult:
    text = types.TextContent(type="text", text=reason)
    return types.CallToolResult(content=[text], is_error=True)


def _text(data: dict[str, Any]) -> str:
    """One text result reads as itself; anything else as its JSON."""
    values = list(data.values())
    if len(values) == 1 and isinstance(values[0], str):
        return values[0]
    return json.dumps(data)


# --- On the vat: `caps` is the graft's results ---------------------------------


async def _exports(caps: Any) -> list[tuple[str, str]]:
    if caps.exports is None:
        raise McpError(
            "the export does not list what it allows (its graft has no `exports`): "
            "the node runs a kernel from before MCP support; update its image"
        )
    methods = (await caps.exports.list()).methods
    return [(m.name, m.description) for m in methods]


async def _mcp_tools(caps: Any) -> list[tuple[str, str, str]]:
    if caps.mcp is None:
        return []
    tools = (await caps.mcp.tools()).tools
    return [(t.name, t.description, t.inputSchema) for t in tools]


async def _call_mcp(caps: Any, name: str, arguments: str) -> str:
    if caps.mcp is None:
        raise McpError("the export's graft has no mcp capability")
    return str((await caps.mcp.call(name, arguments)).result)


async def _call_method(
    caps: Any, iface_name: str, method: str, arguments: dict[str, Any], handles: Handles
) -> dict[str, Any]:
    iface = interface(iface_name)
    arguments = dict(arguments)
    if iface_name in GRAFTED:
        cap = getattr(caps, iface_name)
        if cap is None:
            raise McpError(f"the export's graft returned no {iface_name}")
    else:
        cap = handles.get(arguments.pop("handle", None), iface.schema.node.id)
    cap = cap.cast_as(iface)
    spec = cap.schema.methods[method]
    params = to_params(spec.param_type, arguments, handles)
    response = await cap._send(method, **params)
    return to_json(spec.result_type, response, handles)
