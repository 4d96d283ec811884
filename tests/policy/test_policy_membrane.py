"""A capability behind a Policy, called over a real Cap'n Proto connection (pure-Python RPC)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.guest.guest_peers import Wire
from wetnode.capnproto import Failed
from wetnode.guest.policy import Change, Content, Grant, ParamsBytes, Policy, Rate, ResultBytes
from wetnode.guest.schemas import system

P = "16Uiu2P"
CARD = r"\b\d(?:[ -]?\d){12,15}\b"


class Executor(system.Executor.Server):
    async def echo(self, message: str) -> str:
        return message


class Host(system.Host.Server):
    async def id(self) -> bytes:
        return b"node"

    async def executor(self) -> Any:
        return Executor()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def served() -> Iterator[Any]:
    wires: list[Wire] = []

    def serve(policy: Policy, peer: str = P) -> tuple[Wire, Any]:
        w = Wire(b_bootstrap=policy.wrap(Host(), peer))
        wires.append(w)
        return w, system.Host.Client(w.a.bootstrap())

    yield serve
    for w in wires:
        w.close()


def reason(w: Wire, promise: Any) -> str:
    async def main() -> str:
        with pytest.raises(Failed) as caught:
            await promise
        return caught.value.reason

    return str(w.run(main()))


def test_capabilities_returned_through_a_wrapped_one_are_held_to_the_same_policy(served) -> None:
    w, host = served(Policy([Grant(frozenset({"host.executor", "executor.echo"}))]))

    async def main() -> str:
        executor = (await host.executor()).executor
        return str((await executor.echo("hi")).response)

    assert w.run(main()) == "hi"
    assert reason(w, host.id()) == f"policyDenied: grant: peer {P} has no grant for host.id"


def test_the_rate_limit_refuses_the_call_past_the_burst_and_recovers(served) -> None:
    clock = Clock()
    w, host = served(Policy(rules=[Rate(2, 2, methods=["executor.echo"])], monotonic=clock))

    async def echo() -> str:
        executor = (await host.executor()).executor
        return str((await executor.echo("x")).response)

    assert [w.run(echo()), w.run(echo())] == ["x", "x"]

    async def third() -> Any:
        executor = (await host.executor()).executor
        return executor.echo("x")

    assert reason(w, w.run(third())) == (
        "policyDenied: rate executor.echo 2/s per peer exceeded (retry after 0.5 s)"
    )
    clock.now = 0.5
    assert w.run(echo()) == "x"


def test_a_params_budget_and_a_result_cap_refuse_by_size(served) -> None:
    policy = Policy(rules=[ParamsBytes(200, methods=["executor.echo"]), ResultBytes(100)])
    w, host = served(policy)

    async def executor() -> Any:
        return (await host.executor()).executor

    ex = w.run(executor())
    # a struct of one pointer (8 B) and the text with its NUL, padded to words
    assert reason(w, ex.echo("x" * 300)) == (
        "policyDenied: params bytes executor.echo: 312 B is over the 200 B a call may send"
    )
    assert reason(w, ex.echo("y" * 120)) == (
        "policyDenied: result bytes executor.echo: 136 B is over the 100 B a call may return"
    )

    async def small() -> str:
        return str((await ex.echo("ok")).response)

    assert w.run(small()) == "ok"


def test_a_content_rule_blocks_params_and_a_redact_rule_rewrites_results(served) -> None:
    changes: list[tuple[str, Change]] = []
    policy = Policy(
        rules=[
            Content("card", CARD, on="params", methods=["executor.echo"]),
            Content("email", r"\w+@\w+\.com", action="redact", replacement="<email>"),
        ],
        on_change=lambda peer, change: changes.append((peer, change)),
    )
    w, host = served(policy)

    async def executor() -> Any:
        return (await host.executor()).executor

    ex = w.run(executor())
    assert reason(w, ex.echo("card 4111 1111 1111 1111")) == (
        "policyDenied: content card executor.echo params.message matches a blocked pattern"
    )

    async def mail() -> str:
        return str((await ex.echo("write to ann@example.com")).response)

    # the params are redacted on the way in: what the server saw is what it echoes
    assert w.run(mail()) == "write to <email>"
    assert [(peer, str(c)) for peer, c in changes] == [
        (P, "email redacted 1 match in params.message")
    ]


def test_policies_compose_when_one_wraps_a_capability_another_wrapped() -> None:
    inner = Policy([Grant(frozenset({"host.executor", "executor.echo"}))])
    outer = Policy(rules=[Rate(1, 1, methods=["host.executor"])], monotonic=Clock())
    w = Wire(b_bootstrap=outer.wrap(inner.wrap(Host(), P), P))
    try:
        host = system.Host.Client(w.a.bootstrap())

        async def echo() -> str:
            executor = (await host.executor()).executor
            return str((await executor.echo("hi")).response)

        assert w.run(echo()) == "hi"
        assert reason(w, host.executor()).startswith("policyDenied: rate host.executor 1/s")
        assert reason(w, host.id()).startswith("policyDenied: grant: ")
    finally:
        w.close()
