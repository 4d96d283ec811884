"""`etc/policy.toml`: the grants and rules of pid0's export and children, read at boot.

The file composes the guest SDK's policy library (`wetnode.guest.policy`)::

    [[export.grant]]                 # who may call what, until when
    peers = ["16Uiu2HAm..."]         # peer IDs; "*" is any peer
    methods = ["executor.echo"]
    expires = 2026-12-31T00:00:00Z   # optional: a TOML date-time with an offset
    epochs = 2                       # optional: ends after the node adopts 2 epochs

    [[export.rate]]                  # a token bucket per peer (per = "all": one bucket)
    methods = ["executor.echo"]
    calls = 10                       # a second
    burst = 10

    [[export.params_bytes]]          # per call
    limit = 1024
    [[export.result_bytes]]
    limit = 65536
    [[export.byte_budget]]           # params + results, per peer per window
    bytes = 1048576
    seconds = 60
    [[export.content]]               # a regex over Text and Data fields
    name = "card"
    pattern = '\\b\\d(?:[ -]?\\d){12,15}\\b'
    action = "block"                 # or "redact" (with `replacement`)
    on = "params"                    # or "results", "both"
    [[export.hook]]                  # policy code in a child guest (`kernel.hooks`)
    name = "guard"                   # etc/hooks/guard/boot/main.wasm, built by `ww build`
    phases = ["pre_call"]            # and "post_call", "spawn", "dial"

    [[service.NAME.grant]]           # what pid0 hands its service svc/NAME (`kernel.children`)
    methods = ["executor.echo"]      # the same rules; grants name no peers, hooks none
    [[path.rate]]                    # ... and every PATH tool the shell runs
    calls = 5

`etc/membrane.allow` still says what is exported at all; the policy narrows
it.  Without `[[export.grant]]` tables every exported method is granted to
every peer and only the rules apply.  Anything the kernel cannot read (TOML
that does not parse, an unknown table, key, rule or method, a hook or a
service the image lacks) is a `PolicyError` naming the file and the line, and pid0 does
not boot.
docs/policy.md is the reference.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kernel.export import mcp_tool
from kernel.hooks import HOOK_KEYS, HookSpec, hook_spec, missing
from wetnode import codec
from wetnode.guest.policy import (
    ANY,
    ByteBudget,
    Content,
    Expiry,
    Grant,
    ParamsBytes,
    Policy,
    Rate,
    ResultBytes,
    Rule,
)

POLICY_FILE = "etc/policy.toml"


class PolicyError(ValueError):
    """The policy file cannot be used: the message names the file and the line."""


def _rate(t: dict[str, Any], methods: list[str] | None) -> Rule:
    per = t.get("per", "peer")
    if per not in ("peer", "all"):
        raise ValueError(f'per is "peer" or "all", not {per!r}')
    return Rate(t["calls"], t.get("burst"), per_peer=per == "peer", methods=methods)


def _content(t: dict[str, Any], methods: list[str] | None) -> Rule:
    return Content(
        t["name"],
        t["pattern"],
        action=t.get("action", "block"),
        on=t.get("on", "both"),
        replacement=t.get("replacement", "[redacted]"),
        methods=methods,
    )


# Each rule table: its keys (beyond `methods`), the required ones, and how it is built.
RULES: dict[str, tuple[set[str], set[str], Callable[[dict[str, Any], Any], Rule]]] = {
    "rate": ({"calls", "burst", "per"}, {"calls"}, _rate),
    "params_bytes": ({"limit"}, {"limit"}, lambda t, m: ParamsBytes(t["limit"], methods=m)),
    "result_bytes": ({"limit"}, {"limit"}, lambda t, m: ResultBytes(t["limit"], methods=m)),
    "byte_budget": (
        {"bytes", "seconds"},
        {"bytes", "seconds"},
        lambda t, m: ByteBudget(t["bytes"], t["seconds"], methods=m),
    ),
    "content": (
        {"name", "pattern", "action", "on", "replacement"},
        {"name", "pattern"},
        _content,
    ),
}
GRANT_KEYS = {"peers", "methods", "expires", "epochs", "name"}
KINDS = ["grant", *RULES, "hook"]
# What pid0 hands a child is called by that child alone: its grants name no peers.
CHILD_GRANT_KEYS = GRANT_KEYS - {"peers"}
CHILD_KINDS = ["grant", *RULES]
SECTIONS = ("export", "service", "path")
SECTIONS_TEXT = "[export], [service.NAME] and [path]"
_SERVICE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a directory of svc/, not . or ..


class _Lines:
    """Where each `[[export.KIND]]` table and its keys are in the file (tomllib keeps no lines)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {}
        for number, line in enumerate(self.lines, 1):
            match = re.match(r"\s*\[\[?\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?", line)
            if match:
                self.headers.setdefault(match[1].replace('"', ""), []).append(number)

    def of(self, table: str, index: int = 0, key: str | None = None) -> int:
        starts = self.headers.get(table, [])
        if index >= len(starts):  # not a [table]: a key (`rate = 1` under [export])
            key_line = re.compile(rf"\s*{re.escape(table.rsplit('.', 1)[-1])}\s*=")
            return next((n for n, line in enumerate(self.lines, 1) if key_line.match(line)), 1)
        start = starts[index]
        if key is not None:
            later = [n for ns in self.headers.values() for n in ns if n > start]
            end = min(later, default=len(self.lines) + 1)
            for number in range(start + 1, end):
                if re.match(rf"\s*{re.escape(key)}\s*=", self.lines[number - 1]):
                    return number
        return start

    def error(self, table: str, index: int, key: str | None, why: str) -> PolicyError:
        """`why`, naming the file and the line of `table` (its `index`th, at `key`)."""
        return PolicyError(f"{POLICY_FILE} line {self.of(table, index, key)}: {why}")


def _expiry(t: dict[str, Any]) -> Expiry | None:
    at, epochs = t.get("expires"), t.get("epochs")
    if at is None and epochs is None:
        return None
    if at is not None:
        if not isinstance(at, datetime.datetime) or at.tzinfo is None:
            raise ValueError("expires is a TOML date-time with an offset (2026-12-31T00:00:00Z)")
        at = at.timestamp()
    if epochs is not None and (not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"epochs is a whole number >= 1, not {epochs!r}")
    return Expiry(at, epochs)


def _names(t: dict[str, Any], key: str, known: set[str]) -> list[str] | None:
    names = t.get(key)
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{key} is a list of strings")
    for name in names:
        if name == ANY:
            continue
        if key == "methods" and name not in known and mcp_tool(name) is None:
            raise ValueError(f"{name!r} is not interface.method (e.g. executor.echo)")
        if key == "peers" and not _is_peer_id(name):
            raise ValueError(f"{name!r} is not a peer ID (base58, as `ww keygen` prints it)")
    return names


def _is_peer_id(text: str) -> bool:
    """A base58 multihash (identity 0x00 or sha2-256 0x12) of the right length."""
    try:
        raw = codec.b58decode(text)
    except ValueError:
        return False
    return len(raw) > 2 and raw[0] in (0x00, 0x12) and raw[1] == len(raw) - 2


@dataclass
class PolicyFile:
    """What the file says: the export's policy and hooks, and the policies pid0 wraps
    the capabilities it hands its `svc/` services (by name) and PATH children in."""

    export: Policy | None = None
    hooks: list[HookSpec] = field(default_factory=list)
    services: dict[str, Policy] = field(default_factory=dict)
    path: Policy | None = None
    service_lines: dict[str, int] = field(default_factory=dict)  # for the boot errors


def parse(
    text: str,
    known_methods: Iterable[str],
    names: Callable[[int, int], str],
    epochs: Callable[[], int] = lambda: 0,
) -> Policy:
    """The export's `Policy` a policy file's text describes; `PolicyError` says file and line."""
    export = parse_file(text, known_methods, names, epochs).export
    assert export is not None
    return export


def parse_file(
    text: str,
    known_methods: Iterable[str],
    names: Callable[[int, int], str],
    epochs: Callable[[], int] = lambda: 0,
) -> PolicyFile:
    """Every section of a policy file's text: `[export]`, `[service.NAME]`, `[path]`."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f" line {match[1]}" if match else ""
        detail = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise PolicyError(f"{POLICY_FILE}{where}: {detail}") from None
    lines = _Lines(text)
    known = set(known_methods)
    fail = lines.error

    def policy(grants: list[Grant] | None, rules: list[Rule]) -> Policy:
        return Policy(grants, rules, names=names, epochs=epochs, on_change=_report)

    for top, value in doc.items():
        if top not in SECTIONS:
            raise fail(top, 0, None, f"unknown table [{top}] (the policy has {SECTIONS_TEXT})")
        if not isinstance(value, dict):
            raise fail(top, 0, None, f"{top} is a table (the policy has {SECTIONS_TEXT})")
    grants, rules, hooks = _section("export", doc.get("export", {}), lines, known)
    found = PolicyFile(policy(grants, rules), hooks)
    for name, section in doc.get("service", {}).items():
        table = f"service.{name}"
        if not isinstance(section, dict):
            why = f"{table} is written [[{table}.RULE]] (one table per rule)"
            raise fail(table, 0, None, why)
        if not _SERVICE.fullmatch(name):
            why = f"[[service.NAME.RULE]] names a svc/ directory, not {name!r}"
            raise fail(table, 0, None, why)
        grants, rules, _ = _section(table, section, lines, known, children=True)
        found.services[name] = policy(grants, rules)
        first = f"{table}.{next(iter(section))}" if section else table
        found.service_lines[name] = lines.of(first)
    if "path" in doc:
        grants, rules, _ = _section("path", doc["path"], lines, known, children=True)
        found.path = policy(grants, rules)
    return found


def _section(
    prefix: str,
    section: dict[str, Any],
    lines: _Lines,
    known: set[str],
    children: bool = False,
) -> tuple[list[Grant] | None, list[Rule], list[HookSpec]]:
    """The grants, rules and hooks of one section's `[[PREFIX.KIND]]` tables.

    ``children``: a section for what pid0 hands a child, whose calls come from that
    child, not a peer (no `peers`), and meet no hooks of their own.
    """
    fail = lines.error
    kinds = CHILD_KINDS if children else KINDS
    grants: list[Grant] | None = None
    rules: list[Rule] = []
    hooks: list[HookSpec] = []
    for kind, tables in section.items():
        table = f"{prefix}.{kind}"
        if kind not in kinds:
            raise fail(table, 0, None, f"unknown rule [[{table}]] (rules: {', '.join(kinds)})")
        if not isinstance(tables, list):
            raise fail(table, 0, None, f"{table} is written [[{table}]] (one table per rule)")
        if kind == "grant":
            allowed = CHILD_GRANT_KEYS if children else GRANT_KEYS
            required, build = {"methods"}, None
        elif kind == "hook":
            allowed, required, build = HOOK_KEYS, {"name"}, None
        else:
            allowed, required, build = RULES[kind]
        for index, t in enumerate(tables):
            for key in t:
                if key != "methods" and key not in allowed:
                    raise fail(table, index, key, f"unknown key {key!r} in [[{table}]]")
            missing = sorted(required - set(t))
            if missing:
                raise fail(table, index, None, f"[[{table}]] needs {', '.join(missing)}")
            key = None
            try:
                key = "methods"
                methods = _names(t, "methods", known)
                if kind == "grant":
                    key = "peers"
                    peers = _names(t, "peers", known)  # none given: any peer; [] is nobody
                    peers = [ANY] if peers is None else peers
                    key = "expires" if "expires" in t else "epochs"
                    expires = _expiry(t)
                    name = f"grant {t['name']}" if "name" in t else "grant"
                    grants = grants or []
                    grants.append(Grant(frozenset(methods or ()), frozenset(peers), expires, name))
                elif kind == "hook":
                    key = None
                    hooks.append(hook_spec(t, methods, lines.of(table, index)))
                else:
                    assert build is not None
                    key = None
                    rules.append(build(t, methods))
            except (ValueError, TypeError) as exc:
                raise fail(table, index, key, str(exc)) from None
    return grants, rules, hooks


def _report(peer: str, change: Any) -> None:
    print(f"kernel: policy: peer {peer}: {change}", file=sys.stderr, flush=True)


def load(root: str, known_methods: Iterable[str], names: Callable[[int, int], str]) -> PolicyFile:
    """The image's policy (an empty `PolicyFile` when it has no `etc/policy.toml`).

    A grant's `epochs` counts the epochs the node adopted since it started
    (`WW_EPOCHS`, set by the host each time it boots pid0).  A hook whose
    component the image lacks, or a `[service.NAME]` for a service it lacks,
    is a `PolicyError` naming its table's line.
    """
    try:
        with open(f"{root.rstrip('/')}/{POLICY_FILE}", encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return PolicyFile()
    adopted = int(os.environ.get("WW_EPOCHS", "0"))
    found = parse_file(text, known_methods, names, lambda: adopted)
    absent = missing(root, found.hooks)
    if absent is not None:
        spec, why = absent
        raise PolicyError(f"{POLICY_FILE} line {spec.line}: {why}")
    for name, line in found.service_lines.items():
        if not os.path.isfile(f"{root.rstrip('/')}/svc/{name}/boot/main.wasm"):
            raise PolicyError(
                f"{POLICY_FILE} line {line}: [service.{name}] names no service of the image "
                f"(no svc/{name}/boot/main.wasm)"
            )
    return found
