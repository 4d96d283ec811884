"""Approvers for the approval tests: key files, and the real `ww approve` as they run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import trio

from wetnode.approvals.store import ApprovalStore, approvals_path
from wetnode.keys import NodeKey

WW = [sys.executable, "-m", "wetnode"]


class Approvers:
    """Three approvers' key files, one outsider's, and `ww approve` in their data dir."""

    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.files = {}
        for name in ("alice", "bob", "carol", "outsider"):
            NodeKey.generate().save(tmp_path / name)
            self.files[name] = tmp_path / name
        if env is None:
            env = {k: v for k, v in os.environ.items() if not k.startswith("WW_")}
            env["WW_HOME"] = str(tmp_path / "home")
        self.env = env
        self.home = Path(env["WW_HOME"])

    def address(self, name: str) -> str:
        return NodeKey.load(self.files[name]).evm_address

    async def ww(self, *argv: str) -> subprocess.CompletedProcess[str]:
        def run() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*WW, "approve", *argv], env=self.env, capture_output=True, text=True, timeout=120
            )

        return await trio.to_thread.run_sync(run)

    async def pending(self, node: str | None = None, *, besides: str = "") -> str:
        """The ID of a pending proposal (of ``node``, other than ``besides``) once written."""
        with trio.fail_after(120):
            while True:
                # No event crosses into this test when the desk's worker thread
                # commits: look at the file, within the bound.
                store = ApprovalStore(approvals_path(self.home))
                try:
                    found = [
                        p.id
                        for p, status in store.proposals()
                        if status == "pending" and node in (None, p.node) and p.id != besides
                    ]
                finally:
                    store.close()
                if found:
                    return found[0]
                await trio.sleep(0.05)  # sleep-ok: bounded poll
