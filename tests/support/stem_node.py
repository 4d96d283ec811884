"""A `ww run --stem` node on a real anvil, booting the kernel from an Atom's heads.

Each head is the session's built kernel with an allow list of its own,
pushed into the node's embedded store; `StemHeads.advance` pushes the next
one and sets it on the Atom, then mines past the confirmation depth so the
node adopts it.  The epoch tests of the kernel and of `ww mcp serve` share it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.kernel.node_process import WW, free_port, ready_line, start_node
from tests.support.devchain import Anvil
from wetnode.ipfs.cid import Cid
from wetnode.stem import contract

DEPTH = 2  # confirmations before a head is final: small, so a test mines few blocks
PUSH_TIMEOUT = 120.0


@dataclass
class StemHeads:
    """The heads of one Atom, deployed on ``chain``, for nodes on the data dir of ``env``."""

    chain: Anvil
    kernel_image: Path
    env: dict[str, str]
    workdir: Path
    atom: str = ""
    _pushed: int = 0

    @property
    def run_flags(self) -> list[str]:
        """`ww run` flags that follow the Atom (the head is final after `DEPTH` blocks)."""
        return [
            "--stem", self.atom, "--rpc-url", self.chain.url, "--ws-url", self.chain.ws_url,
            "--confirmation-depth", str(DEPTH),
        ]  # fmt: skip

    def deploy(self, allow: str) -> str:
        """Deploy the Atom with the kernel exporting ``allow`` as its first head; its address."""
        cid = self._push(allow).split()[0]
        self.atom = contract.deploy(self.chain.url, self.key, Cid.parse(cid).to_bytes())
        return self.atom

    def advance(self, allow: str) -> str:
        """Push the kernel exporting ``allow`` as the Atom's next head and make it final."""
        pushed = self.push_head(allow)
        assert f"is now seq {self._pushed - 1}" in pushed, pushed
        return pushed

    def push_head(self, allow: str) -> str:
        """Like `advance`, without assuming the seq (a reorg may have dropped a head)."""
        pushed = self._push(allow, "--stem", self.atom, "--rpc-url", self.chain.url,
                            "--key", self.key)  # fmt: skip
        self.chain.mine(DEPTH)
        return pushed

    @property
    def key(self) -> str:
        return self.chain.private_keys[0]

    def _push(self, allow: str, *flags: str) -> str:
        tree = self.workdir / f"head-{self._pushed}"
        self._pushed += 1
        shutil.copytree(self.kernel_image, tree)
        (tree / "etc").mkdir(exist_ok=True)
        (tree / "etc" / "membrane.allow").write_text(allow)
        result = subprocess.run(
            [*WW, "push", str(tree), *flags], capture_output=True, text=True, env=self.env,
            timeout=PUSH_TIMEOUT,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout


@dataclass
class StemDaemon:
    proc: subprocess.Popen[str]
    peer: str  # /ip4/127.0.0.1/tcp/PORT/p2p/ID
    ready: dict[str, Any]  # its first ready line


@contextlib.contextmanager
def stem_daemon(heads: StemHeads) -> Iterator[StemDaemon]:
    """A daemon `ww run` following ``heads``' Atom on a free loopback port, killed at the end."""
    port = free_port()
    proc = start_node(["--port", str(port), *heads.run_flags], heads.env)
    try:
        ready = ready_line(proc)
        yield StemDaemon(proc, f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready['peer_id']}", ready)
    finally:
        proc.kill()
        proc.wait(timeout=30)
