"""Hooks in a real kernel: Python hooks built with `ww build`, called by a remote peer.

One image holds five hooks: `guard` (`ww init --template hook` as it is)
blocks an echo it dislikes, `shout` changes a result it is asked to
(post-call), `gate` refuses one of the
image's services and every dial pid0 makes (spawn and dial), `spin` loops
forever and `trap` aborts.  The last two deny within their budget (fail
closed) and the node keeps serving; with `--hooks-fail-open` they let the
call through.
"""

from __future__ import annotations

import contextlib
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from tests.kernel.node_process import (
    free_port,
    ready_line,
    serving_node,
    start_node,
    wait_for_stderr,
)
from tests.support.guests import agent
from wetnode.client import dial
from wetnode.keys import NodeKey

pytestmark = pytest.mark.slow

BUDGET_MS = 1000  # spin's budget: the call it holds must come back refused after about this

HOOKS = {
    "guard": None,  # `ww init --template hook` as it is: blocks params with "forbidden"
    "shout": """
        import json

        import wetnode.guest as ww
        from wetnode.guest.policy import hooks
        from wetnode.guest.schemas import system


        class Shout(system.Hook.Server):
            async def check(self, event):
                response = json.loads(event.result)["response"]
                if response.startswith("shout: "):
                    return hooks.transform({"response": response.upper()}, "shouted")
                return hooks.allow()


        async def main():
            ww.export(Shout())
            await ww.serve_forever()
        """,
    "spin": """
        import wetnode.guest as ww
        from wetnode.guest.schemas import system


        class Spin(system.Hook.Server):
            async def check(self, event):
                while True:
                    pass


        async def main():
            ww.export(Spin())
            await ww.serve_forever()
        """,
    "gate": """
        import wetnode.guest as ww
        from wetnode.guest.policy import hooks
        from wetnode.guest.schemas import system


        class Gate(system.Hook.Server):
            async def check(self, event):
                if event.phase == system.HookPhase.dial:
                    return hooks.block(f"no dialing {event.peer} at boot")
                if "refused" in event.method:
                    return hooks.block("not this service")
                return hooks.allow()


        async def main():
            ww.export(Gate())
            await ww.serve_forever()
        """,
    "trap": """
        import os

        import wetnode.guest as ww
        from wetnode.guest.schemas import system


        class Trap(system.Hook.Server):
            async def check(self, event):
                os.abort()


        async def main():
            ww.export(Trap())
            await ww.serve_forever()
        """,
}

POLICY = f"""\
[[export.hook]]
name = "guard"
methods = ["executor.echo"]
params = true

[[export.hook]]
name = "shout"
methods = ["executor.echo"]
phases = ["post_call"]
params = true

[[export.hook]]
name = "spin"
methods = ["host.addrs"]
budget_ms = {BUDGET_MS}

[[export.hook]]
name = "trap"
methods = ["host.id"]

[[export.hook]]
name = "gate"
phases = ["spawn", "dial"]
"""
BOOTSTRAP_PEER = str(NodeKey.generate().peer_id)  # nobody: the dial hook refuses it first


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A layer: the allow list, the policy and the three hooks, each built by `ww build`."""
    layer = tmp_path_factory.mktemp("hooked")
    etc = layer / "etc"
    for name, source in HOOKS.items():
        if source is None:
            agent(etc / "hooks" / name, template="hook")
        else:
            agent(etc / "hooks" / name, textwrap.dedent(source))
    for service in ("allowed", "refused"):  # services the spawn hook is asked about
        agent(layer / "svc" / service)
    (etc / "membrane.allow").write_text("host.id\nhost.addrs\nexecutor.echo\n")
    (etc / "policy.toml").write_text(POLICY)
    (etc / "bootstrap").write_text(f"/ip4/127.0.0.1/tcp/9/p2p/{BOOTSTRAP_PEER}\n")
    return layer


@contextlib.contextmanager
def booted(args: list[str], env: dict[str, str], lines: list[str]) -> Iterator[tuple[str, Any]]:
    """A daemon `ww run ARGS`: its address, once each of ``lines`` (substrings, in the
    order the kernel prints them at boot) has been printed; the lines it printed."""
    port = free_port()
    proc = start_node(["--port", str(port), *args], env)
    try:
        seen = [wait_for_stderr(proc, line).strip() for line in lines]
        address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready_line(proc)['peer_id']}"
        yield address, seen
    finally:
        proc.kill()
        proc.wait(timeout=30)


async def outcome(call: Any) -> tuple[str, float]:
    """A remote call's text result or refusal reason, and how long it took."""
    started = time.monotonic()
    try:
        text = str(await call)
    except Exception as exc:  # the remote refusal, as pycapnp reports it
        text = str(exc)
    return text, time.monotonic() - started


async def echo(caps: Any, text: str) -> tuple[str, float]:
    async def get() -> str:
        return str((await caps.executor.echo(text)).response)

    return await outcome(get())


async def addrs(caps: Any) -> tuple[str, float]:
    async def get() -> str:
        return f"{len((await caps.host.addrs()).addrs)} addrs"

    return await outcome(get())


async def host_id(caps: Any) -> tuple[str, float]:
    async def get() -> str:
        return (await caps.host.id()).peerId.hex()

    return await outcome(get())


async def test_hooks_block_allow_transform_and_fail_closed_within_their_budget(
    warm_kernel, hooked, node_env
):
    boot = [f"bootstrap peer /ip4/127.0.0.1/tcp/9/p2p/{BOOTSTRAP_PEER}",
            "started service allowed", "service refused"]  # fmt: skip
    with booted([str(warm_kernel), str(hooked)], node_env, boot) as (address, seen):
        with trio.fail_after(240):
            async with dial(address, graft=True) as peer:
                allowed, _ = await peer.run(echo, "hello")
                blocked, _ = await peer.run(echo, "a forbidden word")
                shouted, _ = await peer.run(echo, "shout: hi")
                spun, spin_took = await peer.run(addrs)
                trapped, _ = await peer.run(host_id)
                after, _ = await peer.run(echo, "still here")
                spun_again, _ = await peer.run(addrs)  # a fresh spin child, refused again
                trapped_again, _ = await peer.run(host_id)
    assert allowed == "hello"
    assert "policyDenied: hook guard executor.echo: the word 'forbidden' is not allowed" in blocked
    assert shouted == "SHOUT: HI"
    assert "policyDenied: hook spin host.addrs: the hook failed" in spun, spun
    assert f"hookTimeout: the hook did not answer within its {BUDGET_MS} ms budget" in spun
    assert BUDGET_MS / 1000 <= spin_took < BUDGET_MS / 1000 + 5, spin_took
    assert "policyDenied: hook trap host.id: the hook failed" in trapped, trapped
    assert after == "still here"
    assert "hookTimeout" in spun_again, spun_again
    assert "policyDenied: hook trap host.id" in trapped_again, trapped_again
    # pid0's own dials and spawns at boot met the gate hook
    assert seen[0].endswith(f"not reached (policyDenied: hook gate host.connect: no dialing "
                            f"{BOOTSTRAP_PEER} at boot)"), seen  # fmt: skip
    assert seen[1] == "kernel: started service allowed", seen
    assert seen[2] == ("kernel: service refused failed to start: policyDenied: hook gate "
                       "/svc/refused/boot/main.wasm: not this service"), seen  # fmt: skip


async def test_with_hooks_fail_open_a_failing_hook_lets_the_call_through(
    warm_kernel, hooked, node_env
):
    args = ["--hooks-fail-open", str(warm_kernel), str(hooked)]
    with serving_node(args, node_env) as node:
        with trio.fail_after(240):
            async with dial(node.address, graft=True) as peer:
                spun, _ = await peer.run(addrs)
                trapped, _ = await peer.run(host_id)
                blocked, _ = await peer.run(echo, "a forbidden word")
    assert node.proc.stderr is not None
    stderr = node.proc.stderr.read()
    assert spun.endswith(" addrs"), spun
    assert int(trapped, 16) > 0, trapped  # the node's peer ID, as hex
    assert "hook spin host.addrs failed (" in stderr and "--hooks-fail-open" in stderr, stderr
    # Fail-open covers hooks that fail, not their verdicts: guard's block still holds.
    assert "policyDenied: hook guard executor.echo: the word 'forbidden'" in blocked, blocked
