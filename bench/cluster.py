"""Cluster epoch switch: 8 full nodes on one Atom contract move to a new head.

`NODES` real `ww run` processes of this checkout's kernel (each its own data
dir and key, one shared compile cache), all following one Atom on a real
anvil with `--confirmation-depth DEPTH`; the first is the hub the others
bootstrap from.  A head is a small layer (`etc/epoch`) under the kernel:
the publisher `ww push`es it into the hub's store and sets it on the
contract, so every other node fetches it over bitswap when it adopts it.

Each of `EPOCHS` rounds mines the blocks up to the last confirmation but one,
then times from just before the final confirmation block is mined until
each node has (1) logged `epoch N adopted` and (2) printed pid0's ready line
on the new head.  Per round the figure is the slowest node; medians of the
rounds.  The baseline, in the same run, is (1): the epoch pipeline alone,
so the ratio is what rebooting pid0 on the new root costs; the steps in
between (old pid0 stopped, head fetched, pid0 started) say where it goes.
Goal: the switch (2) <= 2 s.

    python -m bench cluster
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.guests import built_kernel
from bench.timing import row
from tests.kernel.node_process import WW, free_port
from tests.support.devchain import Anvil
from wetnode.ipfs.cid import Cid
from wetnode.stem import contract

NODES = 8
EPOCHS = 5
DEPTH = 2  # confirmations before a head is final
BOOT_TIMEOUT = 600.0  # seconds for the cluster to come up (8 cold starts on 2 cores)
SWITCH_TIMEOUT = 120.0  # seconds for every node to run a new head
READY = '{"event": "ready"'
STAGES = [  # what each node logs on the way to running a new head, in order
    ("adopted (the epoch pipeline)", "epoch {seq} adopted at block"),
    ("old pid0 stopped", "epoch {seq} adopted: rebooting"),
    ("head fetched (bitswap)", "epoch {seq}: base layer"),
    ("pid0 started (root built, loaded, attached)", "pid0 booted"),
    ("pid0 ready (grafted, exported)", READY),
]

Line = tuple[int, float, str]  # (node index, when it was read, the stderr line)


@dataclass
class Member:
    """One `ww run` of the cluster and the stderr lines its reader thread has passed on."""

    index: int
    port: int
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)


def _read(member: Member, lines: queue.Queue[Line]) -> None:
    assert member.proc.stderr is not None
    for line in member.proc.stderr:
        lines.put((member.index, time.monotonic(), line))


def _home(work: Path, name: str) -> dict[str, str]:
    home = work / name
    (work / "cache").mkdir(exist_ok=True)
    home.mkdir()
    (home / "cache").symlink_to(work / "cache")
    return {**os.environ, "WW_HOME": str(home), "WW_LOG": "info", "WW_LISTEN": "127.0.0.1"}


def _push(layer: Path, env: dict[str, str], *stem: str) -> str:
    done = subprocess.run(
        [*WW, "push", "--partial", str(layer), *stem],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise SystemExit(f"ww push {layer}: {done.stderr.strip()}")
    return done.stdout.split()[0]


def _head(work: Path, seq: int) -> Path:
    layer = work / f"head-{seq}"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "epoch").write_text(f"{seq}\n")
    return layer


class Cluster:
    """The nodes, and a wait for a line from each of them (bounded)."""

    def __init__(self) -> None:
        self.members: list[Member] = []
        self.lines: queue.Queue[Line] = queue.Queue()

    def start(self, args: list[str], env: dict[str, str]) -> Member:
        port = free_port()
        proc = subprocess.Popen(
            [*WW, "run", "--port", str(port), *args],
            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
            env=env, text=True,
        )  # fmt: skip
        member = Member(len(self.members), port, proc)
        self.members.append(member)
        threading.Thread(target=_read, args=(member, self.lines), daemon=True).start()
        return member

    def wait_each(self, *texts: str, timeout: float, skip: int = 0) -> list[list[float]]:
        """For each of ``texts`` in turn, when each node (but the first ``skip``) printed
        a line holding it; a text counts only after the node printed the previous one."""
        stage = [len(texts) if m.index < skip else 0 for m in self.members]
        times = [[0.0] * len(self.members) for _ in texts]
        deadline = time.monotonic() + timeout
        while min(stage) < len(texts):
            try:
                index, at, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                late = [m.index for m in self.members if stage[m.index] < len(texts)]
                raise SystemExit(f"nodes {late} did not print {texts!r} in {timeout:g}s") from None
            member = self.members[index]
            member.lines.append(line)
            if stage[index] < len(texts) and texts[stage[index]] in line:
                times[stage[index]][index] = at
                stage[index] += 1
        return times

    def stop(self) -> None:
        for member in self.members:
            member.proc.kill()
        for member in self.members:
            member.proc.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch, Anvil() as chain:
        work = Path(scratch)
        kernel = built_kernel(work)
        hub_env = _home(work, "node0")
        key = chain.private_keys[0]
        first = Cid.parse(_push(_head(work, 0), hub_env)).to_bytes()
        atom = contract.deploy(chain.url, key, first)
        stem = ["--stem", atom, "--rpc-url", chain.url]
        follow = [*stem, "--ws-url", chain.ws_url, "--confirmation-depth", str(DEPTH)]
        cluster = Cluster()
        try:
            started = time.monotonic()
            hub = cluster.start([*follow, str(kernel)], hub_env)
            cluster.wait_each(READY, timeout=BOOT_TIMEOUT)
            ready = json.loads(next(line for line in hub.lines if READY in line))
            address = f"/ip4/127.0.0.1/tcp/{hub.port}/p2p/{ready['peer_id']}"
            for index in range(1, NODES):
                env = _home(work, f"node{index}")
                cluster.start(["--bootstrap", address, *follow, str(kernel)], env)
            cluster.wait_each(READY, timeout=BOOT_TIMEOUT, skip=1)
            print(
                f"{NODES} nodes up in {time.monotonic() - started:.1f} s; "
                f"confirmation depth {DEPTH}; {EPOCHS} epochs"
            )
            slowest: list[list[float]] = [[] for _ in STAGES]  # per stage, per epoch
            for seq in range(1, EPOCHS + 1):
                _push(_head(work, seq), hub_env, *stem, "--key", key)
                chain.mine(DEPTH - 1)
                start = time.monotonic()
                chain.mine()
                texts = [text.replace("{seq}", str(seq)) for _, text in STAGES]
                times = cluster.wait_each(*texts, timeout=SWITCH_TIMEOUT)
                for stage, at in enumerate(times):
                    slowest[stage].append(max(at) - start)
                soonest = min(times[-1]) - start
                print(
                    f"  epoch {seq}: all adopted {slowest[0][-1] * 1e3:.0f} ms, all running "
                    f"pid0 {slowest[-1][-1] * 1e3:.0f} ms (first {soonest * 1e3:.0f} ms)"
                )
        finally:
            cluster.stop()
    adopted, running = slowest[0], slowest[-1]
    print(row("last node running the new head", running, adopted, target="<= 2 s"))
    print(row("last node adopting it (baseline)", adopted, adopted))
    print("  where it goes (the slowest node at each step, from the final block; medians):")
    for (name, _), samples in zip(STAGES, slowest, strict=True):
        print(f"    {name:<46} {statistics.median(samples) * 1e3:8.0f} ms")
