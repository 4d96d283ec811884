"""What pid0 exports to the network: an attenuated Membrane.

A remote peer that grafts onto it gets pid0's capabilities behind a method
allow-list read from `etc/membrane.allow` (one `interface.method` per line,
`#` comments).  Capabilities returned by an allowed call are wrapped in the
same list, so nothing reachable escapes it.  No file means nothing allowed.
A line may end in a `require_approval(...)` rule (`kernel.approval`).

A line `mcp.SERVER.TOOL` exports one tool of one of the node's MCP servers
(`ww run --mcp SERVER=COMMAND`): the graft's `mcp` then lists and calls that
tool and refuses every other.  A comment after an entry describes it: the
graft's `exports` lists every entry with its description, which is how
`ww mcp serve` knows what to offer (docs/mcp.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import wetnode.guest as ww
from kernel.approval import Rule, gated, parse_rule
from kernel.hooks import Hooks
from wetnode import codec
from wetnode.capnproto import schema
from wetnode.capnproto.caps import Delivery
from wetnode.guest.policy import Policy
from wetnode.guest.schemas import ipfs, stem, system

ALLOW_FILE = "etc/membrane.allow"

INTERFACES = {
    "host": system.Host,
    "executor": system.Executor,
    "binary": system.Binary,
    "process": system.Process,
    "bytestream": system.ByteStream,
    "identity": stem.Identity,
    "signer": stem.Signer,
    "ipfs": ipfs.Client,
    "unixfs": ipfs.UnixFS,
    "finder": system.Finder,
    "announcer": system.Announcer,
}


MCP_PREFIX = "mcp."
METHOD_NAMES = {
    (iface.ID, m.ordinal): f"{name}.{m.name}"
    for name, iface in INTERFACES.items()
    for m in iface.METHODS
}
"""(interface id, method ordinal) -> the `interface.method` allow lists and policies name."""


def mcp_tool(name: str) -> str | None:
    """`SERVER.TOOL` of an `mcp.SERVER.TOOL` name (allow lists and policies), else None."""
    server, dot, tool = name.removeprefix(MCP_PREFIX).partition(".")
    return f"{server}.{tool}" if name.startswith(MCP_PREFIX) and server and dot and tool else None


_MCP_CALL = (system.Mcp.ID, next(m.ordinal for m in system.Mcp.METHODS if m.name == "call"))


def mcp_call_name(d: Delivery) -> str | None:
    """A policy's name for an `Mcp.call`: `mcp.SERVER.TOOL`, the tool it calls, so rules
    name tools one by one.  Listing tools is the allow list's alone (None: unchecked)."""
    if (d.interface_id, d.method_id) != _MCP_CALL:
        return None
    cls = schema.struct_class(system.Mcp.BY_ORDINAL[d.method_id].params)
    params = cls.Reader(d.params.struct() or schema.empty_struct(d.params.msg))
    return f"{MCP_PREFIX}{params.name}"


class AllowList:
    """The set of (interface id, method ordinal) remote peers may call: an attenuation gate.

    ``mcp_tools`` are the `SERVER.TOOL`s of the node's MCP servers it exports;
    ``entries`` every line's name and description, in file order; ``rules``
    the methods that wait for an approval (`kernel.approval`).
    """

    def __init__(
        self,
        allowed: set[tuple[int, int]],
        mcp_tools: frozenset[str] = frozenset(),
        entries: tuple[tuple[str, str], ...] = (),
        rules: dict[tuple[int, int], Rule] | None = None,
    ) -> None:
        self.allowed = allowed
        self.mcp_tools = mcp_tools
        self.entries = entries
        self.rules = rules or {}

    @classmethod
    def parse(cls, lines: Iterable[str]) -> AllowList:
        allowed = set()
        mcp_tools = set()
        entries = []
        rules = {}
        for number, raw in enumerate(lines, 1):
            text, _, comment = raw.partition("#")
            line, _, rule = text.strip().partition(" ")
            if not line:
                continue
            entries.append((line, comment.strip()))
            if line.startswith(MCP_PREFIX):
                tool = mcp_tool(line)
                if tool is None:
                    raise ValueError(
                        f"{ALLOW_FILE} line {number}: {line!r} is not mcp.SERVER.TOOL "
                        "(e.g. mcp.time.get_current_time)"
                    )
                mcp_tools.add(tool)
                continue
            iface_name, _, method = line.partition(".")
            iface = INTERFACES.get(iface_name.lower())
            found = [m for m in iface.METHODS if m.name == method] if iface else []
            if not found:
                raise ValueError(
                    f"{ALLOW_FILE} line {number}: {line!r} is not interface.method "
                    f"(interfaces: {', '.join(INTERFACES)})"
                )
            allowed.add((iface.ID, found[0].ordinal))
            if rule.strip():
                try:
                    rules[(iface.ID, found[0].ordinal)] = parse_rule(rule.strip())
                except ValueError as exc:
                    raise ValueError(f"{ALLOW_FILE} line {number}: {exc}") from None
        return cls(allowed, frozenset(mcp_tools), tuple(entries), rules)

    def name(self, interface_id: int, method_id: int) -> str:
        return METHOD_NAMES.get((interface_id, method_id), f"0x{interface_id:x}.{method_id}")

    def check(self, interface_id: int, method_id: int) -> None:
        if (interface_id, method_id) not in self.allowed:
            name = self.name(interface_id, method_id)
            raise ww.NotAllowed(f"{name} is not exported by this node")


class ExportedMembrane(stem.Membrane.Server):
    """The Membrane remote peers graft onto (through the host).

    A call meets the allow list first, then the image's `etc/policy.toml`
    (`kernel.policy`, if any) for the grafting peer, then its hooks
    (`kernel.hooks`), then any approval rule.
    """

    def __init__(
        self,
        grafted: Any,
        policy: AllowList,
        rules: Policy | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self._caps = grafted
        self._policy = policy
        self._rules = rules
        self._hooks = hooks

    async def graft(self, signer: Any) -> dict[str, Any]:
        # The host has checked the signer against the connection's peer key;
        # its `peer` names that peer.
        try:
            peer = codec.b58encode((await signer.peer()).peerId)
        except ww.RpcError as exc:
            raise ww.GraftRefused(f"the signer failed: {exc.reason}") from None
        print(f"kernel: peer {peer} grafted onto the export", file=sys.stderr, flush=True)
        names = ("identity", "host", "executor", "ipfs", "finder", "announcer")
        policy, approvals = self._policy, self._caps.approvals
        caps = {}
        for name in names:
            cap = gated(getattr(self._caps, name), policy.rules, policy.name, approvals, peer)
            if self._hooks is not None:
                cap = self._hooks.wrap(cap, peer)
            if self._rules is not None:
                cap = self._rules.wrap(cap, peer)
            caps[name] = ww.attenuate(cap, policy)
        caps["exports"] = ExportsServer(self._policy)
        if self._caps.mcp is not None and self._policy.mcp_tools:
            mcp = self._caps.mcp  # the allow list first, then the policy, per tool
            if self._rules is not None:
                mcp = self._rules.wrap(mcp, peer, name_call=mcp_call_name)
            caps["mcp"] = ExportedMcp(mcp, self._policy.mcp_tools)
        return caps


class ExportsServer(stem.Exports.Server):
    """What the allow list lets peers call, with the descriptions its comments give."""

    def __init__(self, policy: AllowList) -> None:
        self._policy = policy

    async def list(self) -> list[dict[str, str]]:
        return [{"name": name, "description": text} for name, text in self._policy.entries]


class ExportedMcp(system.Mcp.Server):
    """The node's Mcp narrowed to the allow list's `mcp.SERVER.TOOL` lines."""

    def __init__(self, mcp: Any, allowed: frozenset[str]) -> None:
        self._mcp = mcp
        self._allowed = allowed

    async def tools(self) -> list[dict[str, str]]:
        tools = (await self._mcp.tools()).tools
        return [
            {"name": t.name, "description": t.description, "inputSchema": t.inputSchema}
            for t in tools
            if t.name in self._allowed
        ]

    async def call(self, name: str, arguments: str) -> str:
        if name not in self._allowed:
            raise ww.NotAllowed(f"{MCP_PREFIX}{name} is not exported by this node")
        return (await self._mcp.call(name, arguments)).result


def load_policy(root: str = "/") -> AllowList:
    try:
        with open(f"{root.rstrip('/')}/{ALLOW_FILE}", encoding="utf-8") as f:
            return AllowList.parse(f)
    except FileNotFoundError:
        return AllowList(set())
