"""Starting `ww run` in a subprocess and waiting (bounded) for pid0's ready line."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
import time
from typing import Any

from wetnode.rpc import schema

WW = [sys.executable, "-m", "wetnode"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`ww run ARGS` in daemon mode (stdin a pipe: closing it stops the node)."""
    return subprocess.Popen(
        [*WW, "run", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def ready_line(proc: subprocess.Popen, timeout: float = 180) -> dict[str, Any]:
    """Read stderr until the kernel's next ready line (bounded); return it parsed."""
    deadline = time.monotonic() + timeout
    seen = []
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith('{"event"'):
            return json.loads(line)
    proc.kill()
    raise AssertionError(f"no ready line; stderr so far: {''.join(seen)!r}")


class LiveSigner(schema.stem().Signer.Server):
    """A remote peer's signer: answers the exported membrane's liveness challenge."""

    async def sign(self, nonce: int, **_: Any) -> bytes:
        return nonce.to_bytes(8, "big")
