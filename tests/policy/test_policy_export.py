"""A real kernel whose image has an `etc/policy.toml`, called by two peers with their own keys."""

from __future__ import annotations

import time
from typing import Any

import pytest
import trio

from tests.kernel.node_process import failed_boot_lines, free_port, ready_line, start_node
from wetnode.client import dial
from wetnode.keys import NodeKey

pytestmark = pytest.mark.slow

CARD = r"\b\d(?:[ -]?\d){12,15}\b"
TRIAL_SECONDS = 45  # Q's trial grant ends this long after the node is started


def policy(p: str, q: str, trial_ends: float) -> str:
    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(trial_ends))
    return f"""\
[[export.grant]]
peers = ["{p}"]
methods = ["executor.echo", "host.id"]

[[export.grant]]
peers = ["{q}"]
methods = ["host.id"]

[[export.grant]]
name = "trial"
peers = ["{q}"]
methods = ["host.addrs"]
expires = {ends}

[[export.rate]]
methods = ["host.id"]
calls = 0.5
burst = 3

[[export.params_bytes]]
methods = ["executor.echo"]
limit = 512

[[export.content]]
name = "card"
pattern = '{CARD}'
on = "params"

[[export.content]]
name = "token"
pattern = 'secret-\\w+'
action = "redact"
on = "results"
"""


async def outcome(call: Any) -> str:
    """What a remote call gave: its text result, or the reason it was refused."""
    try:
        return str(await call)
    except Exception as exc:  # the remote refusal, as pycapnp reports it
        return str(exc)


async def echo(caps: Any, text: str) -> str:
    async def get() -> str:
        return str((await caps.executor.echo(text)).response)

    return await outcome(get())


async def host_id(caps: Any) -> str:
    async def get() -> str:
        return (await caps.host.id()).peerId.hex()

    return await outcome(get())


async def host_addrs(caps: Any) -> str:
    async def get() -> str:
        return f"{len((await caps.host.addrs()).addrs)} addrs"

    return await outcome(get())


async def test_grants_rates_budgets_content_and_expiry_hold_per_peer(
    warm_kernel, node_env, tmp_path
):
    p_key, q_key = NodeKey.generate(), NodeKey.generate()
    p, q = str(p_key.peer_id), str(q_key.peer_id)
    trial_ends = time.time() + TRIAL_SECONDS
    layer = tmp_path / "policy"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "membrane.allow").write_text("host.id\nhost.addrs\nexecutor.echo\n")
    (layer / "etc" / "policy.toml").write_text(policy(p, q, trial_ends))
    port = free_port()
    proc = start_node(["--port", str(port), str(warm_kernel), str(layer)], node_env)
    try:
        node = (await trio.to_thread.run_sync(ready_line, proc))["peer_id"]
        address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{node}"
        with trio.fail_after(240):
            async with dial(address, graft=True, secret=q_key.secret) as as_q:
                q_echo = await as_q.run(echo, "hi")
                q_id = await as_q.run(host_id)
                q_trial = await as_q.run(host_addrs)
            async with dial(address, graft=True, secret=p_key.secret) as as_p:
                assert await as_p.run(echo, "hi") == "hi"
                too_big = await as_p.run(echo, "x" * 600)
                card = await as_p.run(echo, "pay 4111 1111 1111 1111")
                redacted = await as_p.run(echo, "use secret-abc123 now")
                ids = [await as_p.run(host_id) for _ in range(4)]
                retry = float(ids[3].rsplit("retry after ", 1)[1].split(" s)")[0])
                await trio.sleep(retry)  # sleep-ok: the bucket's refill time is under test
                after_refill = await as_p.run(host_id)
            await trio.sleep_until(  # sleep-ok: the grant's wall-clock expiry is under test
                trio.current_time() + max(0.0, trial_ends - time.time()) + 0.5
            )
            async with dial(address, graft=True, secret=q_key.secret) as as_q:
                q_expired = await as_q.run(host_addrs)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    assert f"policyDenied: grant: peer {q} has no grant for executor.echo" in q_echo
    assert q_trial.endswith("addrs"), q_trial
    assert "policyDenied: params bytes executor.echo: 616 B is over the 512 B" in too_big
    assert "policyDenied: content card executor.echo params.message matches" in card
    assert redacted == "use [redacted] now"
    assert f"kernel: policy: peer {p}: token redacted 1 match in results.response" in stderr
    assert ids[0] == ids[1] == ids[2] == q_id  # P's three calls within the burst
    assert "policyDenied: rate host.id 0.5/s per peer exceeded (retry after" in ids[3], ids
    assert after_refill == ids[0]
    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(trial_ends))
    assert f"policyDenied: grant trial for host.addrs expired at {ends}" in q_expired


def test_a_node_whose_policy_names_an_unknown_method_exits_non_zero_with_one_line(
    warm_kernel, node_env, tmp_path
):
    layer = tmp_path / "bad"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "policy.toml").write_text(
        '[[export.grant]]\nmethods = ["executor.eccho"]\n'
    )
    lines = failed_boot_lines([str(warm_kernel), str(layer)], node_env, "policy.toml")
    assert lines == [
        "kernel: etc/policy.toml line 2: 'executor.eccho' is not interface.method "
        "(e.g. executor.echo)"
    ]
