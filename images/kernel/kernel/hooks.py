"""Policy hooks: `[[export.hook]]` tables, the hook children, the gate that asks them.

A hook is an agent image at `etc/hooks/<name>/` (`boot/main.py` on the
shared runtime, built with `ww build`; `wetnode.guest.policy.hooks` says
how to write one).  The kernel starts each at boot as a bare child
(`Binary.spawnBare`: its graft hands out no capability) and reaches its
export through `Process.hook(budget)`, which the host bounds in time: the
guest loop has no timers, so only the host can stop a hook that loops from
holding a call.  A check that fails for any reason (the hook raised,
trapped, missed its budget, or is gone) refuses the event: fail closed,
unless the node runs with `--hooks-fail-open` (`WW_HOOKS_FAIL_OPEN`, the
node's switch, which an image cannot set).  A hook that failed is stopped
and a fresh one answers the next event.

The phases are `pre_call` (the hook may refuse the call or change its
params), `post_call` (it sees the result and may refuse or change it),
`spawn` (a service pid0 is about to start) and `dial` (a connection pid0's
own `host` is about to open).  With ``params = true`` an event carries the
params (and, post-call, the results) as JSON.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import wetnode.guest as ww
from kernel.approval import canonical
from wetnode import codec
from wetnode.capnproto import schema
from wetnode.capnproto.caps import Cap, Delivery, Pending, as_cap
from wetnode.capnproto.errors import as_rpc_error
from wetnode.capnproto.loop import current_loop
from wetnode.guest.policy import ANY, PolicyDenied
from wetnode.guest.policy.hooks import PHASES
from wetnode.guest.policy.membrane import encode, encoded_size, method_of, plain
from wetnode.guest.schemas import system

HOOKS_DIR = "etc/hooks"
DEFAULT_BUDGET_MS = 1000  # see docs/policy.md: a check's round trip, with room for a loaded node
FAIL_OPEN = "WW_HOOKS_FAIL_OPEN"  # set by the node (`--hooks-fail-open`), never by the image
HOOK_KEYS = {"name", "phases", "params", "budget_ms"}
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_BY_NAME = {name: value for value, name in PHASES.items()}
_PRE, _POST = system.HookPhase.preCall, system.HookPhase.postCall
_SPAWN, _DIAL = system.HookPhase.spawn, system.HookPhase.dial


@dataclass(frozen=True)
class HookSpec:
    """One `[[export.hook]]` table: which hook, for which phases and methods."""

    name: str
    methods: frozenset[str] | None  # None: every method
    phases: frozenset[int]  # `system.HookPhase` values
    params: bool  # whether events carry the params and results as JSON
    budget_ms: int
    line: int  # where the table is, for the boot errors that name it

    @property
    def component(self) -> str:
        return f"/{HOOKS_DIR}/{self.name}/boot/main.wasm"

    def covers(self, phase: int, method: str) -> bool:
        """Whether this hook hears the event; `methods` narrows calls, not spawns or dials."""
        if phase not in self.phases:
            return False
        methods = self.methods
        return phase in (_SPAWN, _DIAL) or methods is None or ANY in methods or method in methods


def hook_spec(t: dict[str, Any], methods: list[str] | None, line: int) -> HookSpec:
    """The `HookSpec` of one table (``ValueError`` says what is wrong with it)."""
    name = t["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"a hook's name is letters, digits, - and _ (its directory), not {name!r}")
    phases = t.get("phases", ["pre_call"])
    if not isinstance(phases, list) or not phases or not all(p in _BY_NAME for p in phases):
        raise ValueError(f"phases is a list of {', '.join(map(repr, _BY_NAME))}, not {phases!r}")
    budget = t.get("budget_ms", DEFAULT_BUDGET_MS)
    if not isinstance(budget, int) or isinstance(budget, bool) or not 0 < budget <= 60_000:
        raise ValueError(f"budget_ms is a whole number of milliseconds, 1 to 60000, not {budget!r}")
    params = t.get("params", False)
    if not isinstance(params, bool):
        raise ValueError(f"params is true or false, not {params!r}")
    frozen = None if methods is None else frozenset(methods)
    return HookSpec(name, frozen, frozenset(_BY_NAME[p] for p in phases), params, budget, line)


def missing(root: str, specs: Iterable[HookSpec]) -> tuple[HookSpec, str] | None:
    """The first hook whose component is not in the image, with what to do about it."""
    for spec in specs:
        if not os.path.isfile(f"{root.rstrip('/')}{spec.component}"):
            where = f"{HOOKS_DIR}/{spec.name}"
            return spec, (
                f"hook {spec.name!r} is missing: no {where}/boot/main.wasm in the image "
                f"(write {where}/boot/main.py, then `ww build {where}`)"
            )
    return None


class HookChild:
    """One hook's child guest: started at boot, started afresh after it failed."""

    def __init__(self, spec: HookSpec, binary: Any) -> None:
        self.spec = spec
        self._binary = binary
        self._process: Any = None
        self._hook: Any = None

    async def start(self) -> None:
        """Start the child and wait until it runs (a failure is an `RpcError`)."""
        await self._launch()

    def _launch(self) -> Any:
        """A new child; pipelined, so no await: events that arrive together share it."""
        spawned = self._binary.spawnBare([], [])
        self._process = spawned.process
        self._hook = self._process.hook(self.spec.budget_ms).hook
        return spawned

    async def check(self, event: dict[str, Any]) -> Any:
        if self._hook is None:
            self._launch()
        hook = self._hook
        try:
            return (await hook.check(event)).verdict
        except ww.RpcError:
            if self._hook is hook:  # the first of the failed checks replaces it
                self._hook = None
                self._process.kill()  # already gone when the host stopped it
            raise


class Hooks:
    """Every hook of the policy, and how their verdicts turn into refusals.

    ``names`` maps a call to its ``interface.method``; ``fail_open`` lets an
    event a hook failed on go on (the node's switch, see the module).
    """

    def __init__(
        self,
        children: list[HookChild],
        names: Callable[[int, int], str],
        fail_open: bool = False,
    ) -> None:
        self.children = children
        self.names = names
        self.fail_open = fail_open

    def covering(self, phase: int, method: str) -> list[HookChild]:
        return [c for c in self.children if c.spec.covers(phase, method)]

    async def ask(self, child: HookChild, event: dict[str, Any]) -> dict[str, Any] | None:
        """The fields a transform changes, None to go on as is; `PolicyDenied` to refuse."""
        name, method = child.spec.name, event["method"]
        try:
            verdict = await child.check(event)
            action, rationale = verdict.action, verdict.rationale
            if action == system.HookAction.transform:
                changes = json.loads(verdict.replacement)
                if not isinstance(changes, dict):
                    raise ValueError("a transform's replacement is a JSON object of fields")
        except (ww.RpcError, ValueError) as exc:
            why = exc.reason if isinstance(exc, ww.RpcError) else str(exc)
            if self.fail_open:
                _say(f"hook {name} {method} failed ({why}); allowed: the node runs with "
                     "--hooks-fail-open")  # fmt: skip
                return None
            raise PolicyDenied(f"hook {name} {method}: the hook failed, so it is refused "
                               f"(fail closed): {why}") from None  # fmt: skip
        if action == system.HookAction.allow:
            return None
        if action == system.HookAction.transform:
            _say(f"hook {name} {method}: transformed {', '.join(sorted(changes))} ({rationale})")
            return changes
        raise PolicyDenied(f"hook {name} {method}: {rationale or 'blocked'}")

    async def allows(
        self, phase: int, method: str, peer: str = "", args: Iterable[str] = ()
    ) -> None:
        """A spawn or dial event for every hook covering it (`PolicyDenied` refuses it)."""
        for child in self.covering(phase, method):
            event = {"phase": phase, "method": method, "peer": peer, "args": list(args)}
            if await self.ask(child, event) is not None:  # nothing to transform: fail closed
                raise PolicyDenied(f"hook {child.spec.name} {method}: a {PHASES[phase]} event "
                                   "is allowed or blocked, not transformed")  # fmt: skip

    def wrap(self, target: Any, peer: str) -> Any:
        """``target`` with these hooks on its calls from ``peer`` (a client stays a client;
        None, a capability the graft did not give, stays None)."""
        if target is None:
            return None
        cap = HookGate(as_cap(target), self, peer)
        return type(target)(cap) if isinstance(target, schema.TypedClient) else cap


class HookGate(Cap):
    """``inner`` whose calls from ``peer`` meet the pre-call and post-call hooks.

    Capabilities its results carry are gated the same way (the membrane
    property), whether or not a hook covers the call.
    """

    def __init__(self, inner: Cap, hooks: Hooks, peer: str) -> None:
        self.inner = inner
        self.hooks = hooks
        self.peer = peer

    def deliver(self, d: Delivery) -> None:
        current_loop().spawn(self._call(d))

    async def _call(self, d: Delivery) -> None:
        hooks = self.hooks
        try:
            method = hooks.names(d.interface_id, d.method_id)
            params = d.params
            for child in hooks.covering(_PRE, method):
                event = self._event(_PRE, method, child, d, params)
                if (changes := await hooks.ask(child, event)) is not None:
                    params = _changed(params, method_of(d, "hook").params, changes)
            post = hooks.covering(_POST, method)
            # The params as delivered, read before they go: the post-call events' part.
            seen = [self._event(_POST, method, child, d, params) for child in post]
            relay = Pending()
            self.inner.deliver(Delivery(d.interface_id, d.method_id, params, relay))
            result = await relay
            for child, event in zip(post, seen, strict=True):
                event["resultBytes"] = encoded_size(result)
                if child.spec.params:
                    event["result"] = _json(result, method_of(d, "hook").results)
                if (changes := await hooks.ask(child, event)) is not None:
                    result = _changed(result, method_of(d, "hook").results, changes)
            result.msg.caps = [HookGate(c, hooks, self.peer) for c in result.msg.caps]
        except Exception as exc:  # every outcome answers the call
            d.answer.set_exception(as_rpc_error(exc))
            return
        d.answer.set_result(result)

    def _event(
        self, phase: int, method: str, child: HookChild, d: Delivery, params: Any
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "phase": phase, "method": method, "peer": self.peer,
            "paramsBytes": encoded_size(params),
        }  # fmt: skip
        if child.spec.params:
            event["params"] = _json(params, method_of(d, "hook").params)
        return event

    def __repr__(self) -> str:
        return f"<hooked {self.inner!r} for {self.peer or 'local'}>"


def _ordinal(interface: type[schema.Interface], name: str) -> tuple[int, int]:
    return interface.ID, next(m.ordinal for m in interface.METHODS if m.name == name)


_DIALS = {_ordinal(system.Host, name): f"host.{name}" for name in ("dial", "connect")}
_SPAWNS = {_ordinal(system.Binary, "spawn"), _ordinal(system.Binary, "spawnBare"),
           _ordinal(system.Binary, "spawnWith"), _ordinal(system.Executor, "runBytes")}  # fmt: skip
_BINARIES = {_ordinal(system.Executor, "loadPath"), _ordinal(system.Executor, "load"),
             _ordinal(system.Host, "executor")}  # fmt: skip
BYTES = "<bytes>"  # what a spawn event names when the component came as bytes


class LocalGate(Cap):
    """pid0's own `host` and `executor`, with the dial and spawn hooks on them.

    `host.dial` and `host.connect` are dial events naming the peer; starting
    a child (`Binary.spawn`, `spawnBare`, `spawnWith`, `Executor.runBytes`) is a spawn
    event naming its component's path (`BYTES` for one sent as bytes) and
    its args.  The `Binary` a `loadPath` returns remembers its path, and the
    executors and binaries these return are gated the same way.
    """

    def __init__(self, inner: Cap, hooks: Hooks, path: str = BYTES) -> None:
        self.inner = inner
        self.hooks = hooks
        self.path = path

    def deliver(self, d: Delivery) -> None:
        key = (d.interface_id, d.method_id)
        if key in _DIALS or key in _SPAWNS or key in _BINARIES:
            current_loop().spawn(self._call(d, key))
        else:
            self.inner.deliver(d)

    async def _call(self, d: Delivery, key: tuple[int, int]) -> None:
        try:
            # A reader, not a dict: runBytes' and load's params hold a whole component.
            cls = schema.struct_class(method_of(d, "hook").params)
            params = cls.Reader(d.params.struct() or schema.empty_struct(d.params.msg))
            if key in _DIALS:
                peer = codec.b58encode(bytes(params.peerId))
                await self.hooks.allows(_DIAL, _DIALS[key], peer=peer)
            elif key in _SPAWNS:
                await self.hooks.allows(_SPAWN, self.path, args=list(params.args))
            path = str(params.path) if "path" in cls.FIELD_MAP else BYTES
            relay = Pending()
            self.inner.deliver(Delivery(d.interface_id, d.method_id, d.params, relay))
            result = await relay
            if key in _BINARIES:
                result.msg.caps = [LocalGate(c, self.hooks, path) for c in result.msg.caps]
        except Exception as exc:  # every outcome answers the call
            d.answer.set_exception(as_rpc_error(exc))
            return
        d.answer.set_result(result)


class OwnCaps:
    """pid0's graft, its `host` and `executor` behind `LocalGate` (the rest as they are)."""

    def __init__(self, caps: Any, hooks: Hooks) -> None:
        self._caps = caps
        for name, interface in (("host", system.Host), ("executor", system.Executor)):
            cap = getattr(caps, name)
            gated = None if cap is None else interface.Client(LocalGate(as_cap(cap), hooks))
            setattr(self, name, gated)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._caps, name)


def _json(ptr: Any, type_id: int) -> str:
    """Params or results as the JSON a hook reads (`Data` as "0x" + hex)."""
    return canonical(plain(ptr, type_id))


def _changed(ptr: Any, type_id: int, changes: dict[str, Any]) -> Any:
    """``ptr``'s struct with a transform's ``changes`` (JSON values) applied."""
    fields = schema.struct_class(type_id).FIELD_MAP
    values = plain(ptr, type_id)
    for name, value in changes.items():
        field = fields.get(name)
        if field is None:
            raise PolicyDenied(f"hook: a transform names {name!r}, which is not a field "
                               f"(fields: {', '.join(fields)})")  # fmt: skip
        if field.type[0] == "data" and isinstance(value, str):
            value = bytes.fromhex(value.removeprefix("0x"))
        values[name] = value
    return encode(values, type_id)


def _say(text: str) -> None:
    print(f"kernel: policy: {text}", file=sys.stderr, flush=True)


def fail_open() -> bool:
    """Whether the node runs with `--hooks-fail-open` (it tells pid0 in its env)."""
    return os.environ.get(FAIL_OPEN) == "1"


async def start(
    executor: Any, specs: list[HookSpec], names: Callable[[int, int], str], where: str
) -> Hooks:
    """Start every hook's child; one that cannot start is a `ValueError` naming
    ``where`` (the policy file) and its table's line."""
    children = []
    for spec in specs:
        child = HookChild(spec, executor.loadPath(spec.component).binary)
        try:
            await child.start()
        except ww.RpcError as exc:
            raise ValueError(
                f"{where} line {spec.line}: hook {spec.name!r} did not start: {exc.reason}"
            ) from None
        children.append(child)
    return Hooks(children, names, fail_open())
