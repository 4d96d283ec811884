"""wetnode.guest.policy: composable policy membranes for any guest capability.

A `Policy` holds grants (who may call which methods, until when) and rules
(rates, byte budgets, content rules, result caps) and wraps capabilities:
``policy.wrap(caps.executor, peer)``.  Every refusal is a Cap'n Proto
exception whose reason starts with ``policyDenied:`` and names the rule and
why, e.g. ``policyDenied: rate executor.echo 10/s per peer exceeded (retry
after 0.3 s)``.  The decisions are sans-IO (`decide`, `rules`); `membrane`
does the reading and re-encoding; `hooks` is what a policy hook (a guest
of its own the kernel asks about each call) returns.  See docs/policy.md.
"""

from __future__ import annotations

from wetnode.guest.policy import hooks
from wetnode.guest.policy.decide import ByteWindow, Change, Expiry, PolicyDenied, TokenBucket
from wetnode.guest.policy.membrane import Policy, PolicyCap, method_name
from wetnode.guest.policy.rules import (
    ANY,
    ByteBudget,
    Call,
    Content,
    Decider,
    Grant,
    ParamsBytes,
    Rate,
    ResultBytes,
    Rule,
)

__all__ = [
    "ANY",
    "ByteBudget",
    "ByteWindow",
    "Call",
    "Change",
    "Content",
    "Decider",
    "Expiry",
    "Grant",
    "ParamsBytes",
    "Policy",
    "PolicyCap",
    "PolicyDenied",
    "Rate",
    "ResultBytes",
    "Rule",
    "TokenBucket",
    "hooks",
    "method_name",
]
