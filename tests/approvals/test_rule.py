"""The kernel's `require_approval` rule as etc/membrane.allow spells it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "images" / "kernel"))

from kernel.approval import DEFAULT_TTL, Rule, parse_rule
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
