"""Real `ww` processes for the discovery tests: each with its own data dir, on loopback."""

from __future__ import annotations

import contextlib
import json
import select
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.kernel.node_process import WW, free_port, start_node
from tests.support.guests import home_sharing_cache


def home(tmp_path: Path, name: str, ww_home: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` with a data dir of its own (empty block store) sharing the compile cache."""
    path = home_sharing_cache(tmp_path / name, ww_home)
    return {**env, "WW_HOME": str(path), "WW_LOG": "info"}


def push(tree: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [*WW, "push", str(tree)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@dataclass
class Node:
    address: str  # /ip4/127.0.0.1/tcp/PORT/p2p/ID
    proc: subprocess.Popen[str]
    seen: list[str]  # its stderr lines so far

    @property
    def peer_id(self) -> str:
        return self.address.rsplit("/", 1)[1]

    def wait_for(self, *texts: str, timeout: float = 120) -> list[str]:
        """Read stderr until a line holding each of ``texts`` has been seen (bounded)."""
        wanted = list(texts)
        found = []
        deadline = time.monotonic() + timeout
        for line in self.seen:
            for text in [t for t in wanted if t in line]:
                wanted.remove(text)
                found.append(line)
        assert self.proc.stderr is not None
        while wanted:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stderr], [], [], max(left, 0))
            line = self.proc.stderr.readline() if ready else ""
            if not line:
                raise AssertionError(f"no line with {wanted!r}; stderr: {''.join(self.seen)!r}")
            self.seen.append(line)
            for text in [t for t in wanted if t in line]:
                wanted.remove(text)
                found.append(line)
        return found


@contextlib.contextmanager
def node(args: list[str], env: dict[str, str]) -> Iterator[Node]:
    """A daemon `ww run ARGS` on a free loopback port, up (pid0 ready); killed after."""
    port = free_port()
    proc = start_node(["--port", str(port), *args], env)
    started = Node("", proc, [])
    try:
        (line,) = started.wait_for('{"event"', timeout=180)
        started.address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{json.loads(line)['peer_id']}"
        yield started
    finally:
        proc.kill()
        proc.wait(timeout=30)
