"""The kernel's `require_approval` rule as etc/membrane.allow spells it."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from wetnode.capnproto import schema, wire
from wetnode.capnproto.caps import Delivery, Pending, reread
from wetnode.guest.schemas import system

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "images" / "kernel"))

from kernel.approval import DEFAULT_TTL, MAX_ARGUMENTS, Rule, arguments, parse_rule
from kernel.export import AllowList

A, B = "0x" + "ab" * 20, "0x" + "cd" * 20


def test_a_rule_names_approvers_k_and_ttl_spaces_or_not():
    assert parse_rule(f"require_approval({A}, {B}, k=2, ttl=60)") == Rule((A, B), 2, 60)
    assert parse_rule(f"require_approval({A})") == Rule((A,), 1, DEFAULT_TTL)


def test_an_allow_line_with_a_rule_allows_the_method_and_gates_it():
    policy = AllowList.parse(["host.id", f"executor.echo require_approval({A}, {B}, k=2)"])
    assert len(policy.allowed) == 2
    assert list(policy.rules.values()) == [Rule((A, B), 2)]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("executor.echo require_approval(0x12, k=1)", "'0x12' is not an Ethereum address"),
        (f"executor.echo require_approval({A}, k=2)", "k=2 needs between 1 and 1 approvers"),
        (f"executor.echo require_approval({A}, n=2)", "only k=N and ttl=SECONDS"),
        ("executor.echo approve_please", "is not require_approval(0xADDRESS, ..., k=N)"),
    ],
)
def test_a_bad_rule_names_its_line(line, reason):
    with pytest.raises(ValueError, match=r"etc/membrane.allow line 2: .*" + re.escape(reason)):
        AllowList.parse(["host.id", line])


def _delivery(iface: Any, method: str, **fields: Any) -> Delivery:
    """A received call of ``iface.method`` with ``fields`` as its parameters."""
    found = next(m for m in iface.METHODS if m.name == method)
    params = schema.struct_class(found.params)
    built = wire.MessageBuilder()
    schema.fill(params.Builder(built.init_root(params.DATA_WORDS, params.PTR_COUNT)), fields)
    return Delivery(iface.ID, found.ordinal, reread(built).root(), Pending())


def test_the_approver_is_shown_every_argument_of_the_call():
    echo = _delivery(system.Executor, "echo", message="pay 5 to 0xbob")
    assert arguments(echo) == {"arguments": {"message": "pay 5 to 0xbob"}}
    run = _delivery(system.Executor, "runBytes", wasm=b"\x00asm", args=["-v"], env=["A=1"])
    assert arguments(run) == {"arguments": {"wasm": "0x0061736d", "args": ["-v"], "env": ["A=1"]}}


def test_arguments_past_the_cap_are_cut_with_the_hash_of_the_whole():
    long = "x" * (MAX_ARGUMENTS + 100)
    cut = arguments(_delivery(system.Executor, "echo", message=long))["arguments_cut"]
    whole = json.dumps({"message": long}, separators=(",", ":"))
    assert cut == {
        "bytes": len(whole),
        "sha256": hashlib.sha256(whole.encode()).hexdigest(),
        "head": whole[:MAX_ARGUMENTS],
    }
