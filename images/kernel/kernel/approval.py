"""Export rules that wait for a person: `require_approval` in etc/membrane.allow.

A line of the allow list may end in a rule::

    executor.echo require_approval(0xAb..., 0xCd..., 0xEf..., k=2, ttl=900)

A remote call to that method then waits: pid0 asks its `Approvals`
capability (docs/approvals.md) with a proposal naming the peer, the method
and the call's own arguments (`arguments`), and passes the call on only
once ``k`` of the listed addresses have signed it; an expired or denied
proposal fails the call with its reason (``approvalExpired`` /
``approvalDenied``).  Each call needs its own approval.  The rule holds for
the capabilities a graft hands out; the ones their calls return are held to
the allow list only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from wetnode.capnproto.caps import Cap, Delivery, as_cap
from wetnode.capnproto.errors import as_rpc_error
from wetnode.capnproto.loop import current_loop
from wetnode.capnproto.schema import empty_struct, interface_class, struct_class

_RULE = re.compile(r"^require_approval\((?P<args>[^()]*)\)$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
DEFAULT_TTL = 900
MAX_ARGUMENTS = 4096  # bytes of an argument list an approver is shown whole


@dataclass(frozen=True)
class Rule:
    approvers: tuple[str, ...]
    k: int
    ttl: int = DEFAULT_TTL


def parse_rule(text: str) -> Rule:
    """``require_approval(ADDR, ..., k=N[, ttl=SECONDS])``; ``ValueError`` says what is wrong."""
    match = _RULE.match(text.replace(" ", ""))
    if match is None:
        raise ValueError(f"{text!r} is not require_approval(0xADDRESS, ..., k=N)")
    approvers, options = [], {}
    for part in filter(None, match["args"].split(",")):
        name, sep, value = part.partition("=")
        if sep:
            if name not in ("k", "ttl") or not value.isdigit():
                raise ValueError(f"{part!r}: only k=N and ttl=SECONDS go after the approvers")
            options[name] = int(value)
        elif _ADDRESS.match(part):
            approvers.append(part)
        else:
            raise ValueError(f"{part!r} is not an Ethereum address (0x + 40 hex digits)")
    k = options.get("k", 1)
    if not approvers or not 1 <= k <= len(approvers):
        raise ValueError(f"k={k} needs between 1 and {len(approvers)} approvers listed")
    return Rule(tuple(approvers), k, options.get("ttl", DEFAULT_TTL))


class ApprovalGate(Cap):
    """``inner``, where the calls that have a rule wait for an approval first."""

    def __init__(
        self, inner: Cap, rules: dict[tuple[int, int], Rule], names: Any, approvals: Any, peer: str
    ) -> None:
        self.inner = inner
        self.rules = rules
        self.names = names  # (interface id, method) -> "executor.echo"
        self.approvals = approvals
        self.peer = peer

    def deliver(self, d: Delivery) -> None:
        rule = self.rules.get((d.interface_id, d.method_id))
        if rule is None:
            self.inner.deliver(d)
            return
        current_loop().spawn(self._approved(d, rule))

    async def _approved(self, d: Delivery, rule: Rule) -> None:
        method = self.names(d.interface_id, d.method_id)
        proposal = {
            "intent": f"peer {self.peer} calls {method} on this node's export",
            "action": method,
            "parameters": canonical({"peer": self.peer, **arguments(d)}),
            "risk": "high",
            "ttlSeconds": rule.ttl,
            "approvers": list(rule.approvers),
            "threshold": rule.k,
        }
        try:
            await self.approvals.request(proposal)
        except Exception as exc:  # the approval's refusal is the call's
            d.answer.set_exception(as_rpc_error(exc))
            return
        self.inner.deliver(d)


def arguments(d: Delivery) -> dict[str, Any]:
    """What the approver is shown of the call's parameters: they sign this exact call.

    ``{"arguments": {...}}``, every field of the method's parameters, ``Data``
    as ``0x`` + hex and a capability as ``"<capability>"``; when that is
    longer than `MAX_ARGUMENTS` bytes of canonical JSON, ``{"arguments_cut":
    {"bytes": N, "sha256": HEX, "head": TEXT}}`` instead: the first
    `MAX_ARGUMENTS` characters, and the hash of the whole text to compare
    with.  The waiting call holds its own parameters, so what runs once
    approved is what was shown.
    """
    method = interface_class(d.interface_id).BY_ORDINAL[d.method_id]
    params = struct_class(method.params)
    fields = params.Reader(d.params.struct() or empty_struct(d.params.msg)).to_dict()
    text = canonical(fields)
    if len(text) <= MAX_ARGUMENTS:
        return {"arguments": json.loads(text)}
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {"arguments_cut": {"bytes": len(text), "sha256": digest, "head": text[:MAX_ARGUMENTS]}}


def canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_plain
    )


def _plain(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    return "<capability>"  # the only other kind of value a decoded struct holds


def gated(
    target: Any, rules: dict[tuple[int, int], Rule], names: Any, approvals: Any, peer: str
) -> Any:
    """``target`` behind its rules (unchanged when there are none)."""
    if not rules:
        return target
    return ApprovalGate(as_cap(target), rules, names, approvals, peer)
