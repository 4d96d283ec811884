"""What the attack tests share: a daemon node, its memory, a bystander that must be served.

Every wait is bounded; the node is killed when its block ends.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import trio

from tests.kernel.node_process import free_port, ready_line, start_node
from tests.support.procfs import rss_bytes
from wetnode.client import dial

BYSTANDER_BOUND = 1.0  # seconds within which the node must answer an honest peer
# The shared node's limits (conftest.py), low so the attacks reach them quickly.
HANDSHAKE = 2.0  # --net-handshake-timeout
PENDING = 16  # --net-max-pending
PER_ADDRESS = 4  # --net-max-pending-per-address
LIMIT = 8  # --net-max-connections
IDLE = 1.0  # --net-idle
STREAMS = 16  # --net-max-streams
FLOW_CALLS = 4  # --rpc-max-calls


@dataclass
class Node:
    address: str  # /ip4/127.0.0.1/tcp/PORT/p2p/ID
    port: int
    proc: subprocess.Popen[str]
    stderr: list[str] = field(default_factory=list)

    def rss(self) -> int:
        """The node's resident memory now, in bytes (from /proc)."""
        return rss_bytes(self.proc.pid)

    def fds(self) -> int:
        """How many file descriptors the node holds now."""
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))


@contextlib.contextmanager
def running_node(args: list[str], env: dict[str, str]) -> Iterator[Node]:
    """A daemon `ww run ARGS` on a free loopback port; its stderr kept (drained) in ``stderr``."""
    port = free_port()
    proc = start_node(["--port", str(port), *args], env)
    try:
        address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready_line(proc)['peer_id']}"
        node = Node(address, port, proc)
        assert proc.stderr is not None
        threading.Thread(target=lambda: node.stderr.extend(proc.stderr), daemon=True).start()
        yield node
    finally:
        proc.kill()
        proc.wait(timeout=30)


async def echo(caps: Any, text: str) -> str:
    return (await caps.executor.echo(text)).response


@contextlib.asynccontextmanager
async def bystander(node: Node) -> AsyncIterator[list[float]]:
    """An honest peer, grafted before the attack, calling echo in a loop for the block.

    Yields the latencies of its calls so far, and makes one more call when
    the block ends; a call slower than ``BYSTANDER_BOUND``, or one that
    fails, fails the block.
    """
    latencies: list[float] = []

    async def loop(remote: Any) -> None:
        while True:
            start = trio.current_time()
            with trio.fail_after(BYSTANDER_BOUND):
                assert await remote.run(echo, "still here") == "still here"
            latencies.append(trio.current_time() - start)
            await trio.sleep(0.05)  # sleep-ok: a steady pace, not synchronisation

    async with dial(node.address, graft=True) as remote, trio.open_nursery() as nursery:
        assert await remote.run(echo, "warm") == "warm"
        nursery.start_soon(loop, remote)
        yield latencies
        nursery.cancel_scope.cancel()
        with trio.fail_after(BYSTANDER_BOUND):
            assert await remote.run(echo, "after") == "after"
