"""The policy's sans-IO decisions, driven with explicit clock readings."""

from __future__ import annotations

import pytest

from wetnode.guest.policy import (
    ByteBudget,
    ByteWindow,
    Call,
    Content,
    Decider,
    Expiry,
    Grant,
    ParamsBytes,
    PolicyDenied,
    Rate,
    ResultBytes,
    TokenBucket,
)

P, Q = "16Uiu2P", "16Uiu2Q"


def call(method: str = "executor.echo", peer: str = P, now: float = 0.0, **kw: object) -> Call:
    fields: dict = {"wall": 1000.0, "epochs": 0, "size": 64, **kw}
    return Call(method, peer, now, **fields)


def denied(decider: Decider, c: Call) -> str:
    with pytest.raises(PolicyDenied) as caught:
        decider.before(c)
    return caught.value.reason


def test_a_bucket_gives_its_burst_then_one_token_per_interval() -> None:
    bucket = TokenBucket(rate=10, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.1)
    assert bucket.take(0.05) == pytest.approx(0.05)
    assert bucket.take(0.1) == 0.0


def test_a_byte_window_refuses_past_its_limit_until_the_next_window() -> None:
    window = ByteWindow(limit=100, seconds=10)
    assert window.room(60, now=0.0) == 0.0
    window.spend(60, now=0.0)
    assert window.room(60, now=4.0) == pytest.approx(6.0)
    assert window.room(40, now=4.0) == 0.0
    assert window.room(60, now=10.0) == 0.0  # a new window


def test_expiry_by_time_and_by_epochs() -> None:
    assert Expiry(at=100.0).reason(99.0, 0) is None
    assert Expiry(at=100.0).reason(100.0, 0) == "expired at 1970-01-01T00:01:40Z"
    assert Expiry(epochs=2).reason(0.0, 1) is None
    assert Expiry(epochs=2).reason(0.0, 2) == "expired after 2 epochs"


def test_grants_are_per_peer_and_per_method() -> None:
    decider = Decider([Grant(frozenset({"executor.echo"}), frozenset({P}))])
    assert decider.before(call(peer=P)) == (None, [])
    assert denied(decider, call(peer=Q)) == (
        f"policyDenied: grant: peer {Q} has no grant for executor.echo"
    )
    assert denied(decider, call("host.id", P)) == (
        f"policyDenied: grant: peer {P} has no grant for host.id"
    )


def test_an_expired_grant_names_its_end() -> None:
    grant = Grant(frozenset({"*"}), expires=Expiry(epochs=2), name="grant trial")
    decider = Decider([grant])
    decider.before(call(epochs=1))
    assert denied(decider, call(epochs=2)) == (
        "policyDenied: grant trial for executor.echo expired after 2 epochs"
    )


def test_the_rate_rule_counts_per_peer_and_says_when_to_retry() -> None:
    decider = Decider(rules=[Rate(10, 2, methods=["executor.echo"])])
    decider.before(call(now=0.0))
    decider.before(call(now=0.0))
    assert denied(decider, call(now=0.0)) == (
        "policyDenied: rate executor.echo 10/s per peer exceeded (retry after 0.1 s)"
    )
    decider.before(call(peer=Q, now=0.0))  # Q has its own bucket
    decider.before(call("host.id", now=0.0))  # outside the rule's methods
    decider.before(call(now=0.1))  # a token came back


def test_a_global_rate_is_shared_by_every_peer() -> None:
    decider = Decider(rules=[Rate(1, 1, per_peer=False)])
    decider.before(call(peer=P))
    assert "1/s for all peers exceeded" in denied(decider, call(peer=Q))


def test_a_refused_call_spends_no_token() -> None:
    decider = Decider(rules=[Rate(1, 1), ParamsBytes(100)])
    assert "params bytes executor.echo: 500 B is over the 100 B" in denied(
        decider, call(size=500)
    )
    decider.before(call(size=50))  # the bucket is still full


def test_a_byte_budget_counts_params_and_results_per_peer() -> None:
    decider = Decider(rules=[ByteBudget(1000, 60)])
    first = call(size=400)
    decider.before(first)
    decider.after(first, 500, None)
    assert denied(decider, call(size=200, now=1.0)) == (
        "policyDenied: byte budget * 1000 B per 60 s per peer exhausted (retry after 59.0 s)"
    )
    decider.before(call(peer=Q, size=200, now=1.0))
    decider.before(call(size=200, now=60.0))


def test_a_result_cap_refuses_large_results() -> None:
    decider = Decider(rules=[ResultBytes(100)])
    with pytest.raises(PolicyDenied, match=r"result bytes executor\.echo: 101 B is over the 100 B"):
        decider.after(call(), 101, None)
    assert decider.after(call(), 100, None) == (None, [])


CARD = r"\b\d(?:[ -]?\d){12,15}\b"


def test_a_content_rule_blocks_params_naming_the_field() -> None:
    decider = Decider(rules=[Content("card", CARD, on="params")])
    params = {"message": "pay 4111 1111 1111 1111 now"}
    assert denied(decider, call(params=params)) == (
        "policyDenied: content card executor.echo params.message matches a blocked pattern"
    )
    assert decider.before(call(params={"message": "hello"})) == (None, [])
    assert not decider.reads_results("executor.echo")


def test_a_redact_rule_rewrites_results_and_says_what_changed() -> None:
    decider = Decider(rules=[Content("card", CARD, action="redact", on="results")])
    results = {"response": "a 4111-1111-1111-1111 b", "blob": b"x 4111111111111111"}
    changed, changes = decider.after(call(), 10, results)
    assert changed == {"response": "a [redacted] b", "blob": b"x [redacted]"}
    assert [str(c) for c in changes] == [
        "card redacted 1 match in results.response",
        "card redacted 1 match in results.blob",
    ]
    assert decider.after(call(), 10, {"response": "nothing"}) == (None, [])


def test_content_rules_look_into_lists_and_nested_structs() -> None:
    decider = Decider(rules=[Content("secret", "hunter2", on="params")])
    params = {"args": ["a", "b"], "inner": {"texts": ["ok", "my hunter2"]}}
    assert "params.inner.texts[1] matches" in denied(decider, call(params=params))


def test_a_rule_with_a_bad_pattern_or_action_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="is not a regular expression"):
        Content("x", "(")
    with pytest.raises(ValueError, match="action is block or redact"):
        Content("x", "a", action="drop")
    with pytest.raises(ValueError, match="calls/s > 0"):
        Rate(0)
