"""The policy membrane's cost: the remote echo through pid0's export, per policy, in one run.

Three `ww run` daemons of this checkout's kernel, each grafted by a
`wetnode.client.dial` client, answer ``executor.echo("ping")``; blocks of
calls alternate between them so the machine's load falls on each alike:

* (a) the allow list only (``etc/membrane.allow``: executor.echo);
* (b) plus an ``etc/policy.toml`` with a grant, a per-peer rate (high enough
  never to refuse), a params byte limit and a per-peer byte budget;
* (c) plus two content rules: a card-number regex that blocks params and one
  that redacts results (neither matches "ping": the cost is the scan).

Each call crosses libp2p, the host's export, pid0's policy in wasm and back.
* (d) plus a hook on executor.echo (`etc/hooks/pass/`, a Python hook built
  with `ww build` that allows every call): each call also crosses to the
  hook's child guest and back.

The figure is the median round trip, and its ratio to (a) (goals: (b) <=
1.1, (c) <= 1.2, (d) <= 2); the slowest call of each case says what a
hook's time budget must allow for on a loaded machine.

In process, the first three policies (read by the kernel's own
`kernel.policy.parse`) wrap an echo server behind the pure-Python RPC of the
guest SDK, natively: the policy's own cost per call, without the network's
noise (median of rounds of sequential calls).

    python -m bench policy
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from bench.guests import KERNEL, built_kernel
from bench.timing import echo_round_trips
from tests.guest.guest_peers import Wire
from tests.kernel.node_process import serving_node
from wetnode.client import dial
from wetnode.guest.schemas import system

BLOCK = 200  # calls per block
ROUNDS = 5  # blocks per node, alternating
LOCAL_CALLS = 2000  # sequential calls per in-process round
CHUNK = 100

LIMITS = """\
[[export.grant]]
methods = ["executor.echo"]

[[export.rate]]
calls = 1000000
burst = 1000000

[[export.params_bytes]]
limit = 4096

[[export.byte_budget]]
bytes = 1000000000000
seconds = 60
"""

CONTENT = r"""
[[export.content]]
name = "card"
pattern = '\b\d(?:[ -]?\d){12,15}\b'
on = "params"

[[export.content]]
name = "card-out"
pattern = '\b\d(?:[ -]?\d){12,15}\b'
action = "redact"
on = "results"
"""

HOOK = """
[[export.hook]]
name = "pass"
methods = ["executor.echo"]
"""

PASS_HOOK = """\
import wetnode.guest as ww
from wetnode.guest.policy import hooks
from wetnode.guest.schemas import system


class Pass(system.Hook.Server):
    async def check(self, event):
        return hooks.allow()


async def main():
    ww.export(Pass())
    await ww.serve_forever()
"""

CASES = {"(a) allow list only": None, "(b) + rate, byte budget": LIMITS,
         "(c) + content rules": LIMITS + CONTENT,
         "(d) + a hook": LIMITS + CONTENT + HOOK}  # fmt: skip
IN_PROCESS = ("(a) allow list only", "(b) + rate, byte budget", "(c) + content rules")


def _layer(work: Path, name: str, policy: str | None) -> str:
    etc = work / name / "etc"
    etc.mkdir(parents=True)
    (etc / "membrane.allow").write_text("executor.echo\n")
    if policy is not None:
        (etc / "policy.toml").write_text(policy)
    if policy is not None and "[[export.hook]]" in policy:
        from wetnode.cell.python_guest import build_project

        project = etc / "hooks" / "pass"
        (project / "boot").mkdir(parents=True)
        (project / "boot" / "main.py").write_text(PASS_HOOK)
        build_project(project)
    return str(work / name)


class _Echo(system.Executor.Server):
    async def echo(self, message: str) -> str:
        return message


def _in_process() -> dict[str, float]:
    """Median seconds per echo over the SDK's RPC, natively, behind each case's policy."""
    sys.path.insert(0, str(KERNEL))
    from kernel.export import METHOD_NAMES, AllowList
    from kernel.policy import parse

    names = AllowList(set()).name
    rounds: dict[str, list[float]] = {name: [] for name in IN_PROCESS}
    for _ in range(ROUNDS):
        for name in IN_PROCESS:
            text = CASES[name]
            server: Any = _Echo()
            if text is not None:
                server = parse(text, METHOD_NAMES.values(), names).wrap(server, "bench")
            w = Wire(b_bootstrap=server)
            try:
                echo = system.Executor.Client(w.a.bootstrap())

                async def chunk(echo: Any = echo) -> None:
                    for _ in range(CHUNK):  # Wire.run pumps a bounded number of turns
                        await echo.echo("ping")

                start = time.perf_counter()
                for _ in range(LOCAL_CALLS // CHUNK):
                    w.run(chunk())
                rounds[name].append((time.perf_counter() - start) / LOCAL_CALLS)
            finally:
                w.close()
    return {name: statistics.median(values) for name, values in rounds.items()}


async def _block(caps: Any) -> list[float]:
    return await echo_round_trips(caps.executor, BLOCK, "ping")


async def _run() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-policy-") as scratch:
        work = Path(scratch)
        kernel = await trio.to_thread.run_sync(built_kernel, work)
        env = {**os.environ, "WW_HOME": str(work / "home"), "WW_LISTEN": "127.0.0.1"}
        samples: dict[str, list[float]] = {name: [] for name in CASES}
        with contextlib.ExitStack() as nodes:
            # Each blocks this thread until its node is ready; nothing else runs meanwhile.
            addresses = {
                name: nodes.enter_context(
                    serving_node([str(kernel), _layer(work, f"case{i}", policy)], env)
                ).address
                for i, (name, policy) in enumerate(CASES.items())
            }
            async with contextlib.AsyncExitStack() as clients:
                remotes = {
                    name: await clients.enter_async_context(dial(address, graft=True))
                    for name, address in addresses.items()
                }
                for remote in remotes.values():
                    await remote.run(_block)  # warm up
                for _ in range(ROUNDS):
                    for name, remote in remotes.items():
                        samples[name] += await remote.run(_block)
    base = statistics.median(samples["(a) allow list only"])
    print(f"policy: {ROUNDS} x {BLOCK} remote echo calls per case, median (and slowest) "
          "round trip")  # fmt: skip
    goals = {"(b) + rate, byte budget": "<= 1.10", "(c) + content rules": "<= 1.20",
             "(d) + a hook": "<= 2"}  # fmt: skip
    for name, calls in samples.items():
        median = statistics.median(calls)
        goal = f"  goal {goals[name]}" if name in goals else ""
        print(f"  {name:26} {median * 1e3:7.2f} ms ({max(calls) * 1e3:6.1f})  "
              f"ratio {median / base:5.2f}{goal}")  # fmt: skip
    local = _in_process()
    base = local["(a) allow list only"]
    print(f"in process (the SDK's RPC, native): {ROUNDS} rounds x {LOCAL_CALLS} calls, median")
    for name, seconds in local.items():
        print(f"  {name:26} {seconds * 1e6:7.1f} us  ratio {seconds / base:5.2f}")


def main() -> None:
    trio.run(_run)


if __name__ == "__main__":
    main()
