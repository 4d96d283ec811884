"""A local anvil dev chain: started on 127.0.0.1 with a kernel-chosen port.

Tests and the stem benchmark need a real chain that starts in a fraction of
a second and goes away with its owner.  No `ww` command starts one, so this
lives with the tests rather than in the library.  Anvil comes
from npm (``@foundry-rs/anvil``, installed by ``scripts/install.sh --test``).

Anvil prints ``Listening on HOST:PORT`` when it is ready, then one line per
RPC call; we wait for the first with a bounded read and then switch its
logging off (``anvil_setLoggingEnabled``) so the unread pipe cannot fill up
and stall the chain.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
NPM_BIN_GLOB = "scripts/node/node_modules/@foundry-rs/anvil-*/bin/anvil"
# The contract is compiled for this EVM version (scripts/build_contract.mjs).
HARDFORK = "cancun"
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: on Linux, get SIGTERM when the parent dies.

    A test run killed mid-way then leaves no orphan chain behind.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class DevChainError(RuntimeError):
    """Anvil could not be found or did not come up."""


def find_anvil() -> Path:
    """The anvil binary: $WW_ANVIL, the npm install in scripts/node, or PATH."""
    if env := os.environ.get("WW_ANVIL"):
        return Path(env)
    for candidate in sorted(REPO_ROOT.glob(NPM_BIN_GLOB)):
        return candidate
    if found := shutil.which("anvil"):
        return Path(found)
    raise DevChainError("anvil not found: run scripts/install.sh --test or set WW_ANVIL")


class Anvil:
    """One anvil process; use as a context manager so it always stops."""

    def __init__(self, *, startup_timeout: float = 20.0, chain_id: int = 31337) -> None:
        self.startup_timeout = startup_timeout
        self.chain_id = chain_id
        self.port = 0
        self.private_keys: list[str] = []
        self.accounts: list[str] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Anvil:
        self._tmp = tempfile.TemporaryDirectory(prefix="ww-anvil-")
        config_out = Path(self._tmp.name) / "anvil.json"
        cmd = [
            str(find_anvil()),
            "--host", "127.0.0.1",
            "--port", "0",
            "--hardfork", HARDFORK,
            "--chain-id", str(self.chain_id),
            "--config-out", str(config_out),
        ]  # fmt: skip
        log.info("starting anvil: %s", " ".join(cmd))
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        try:
            self.port = self._wait_listening()
            config = json.loads(config_out.read_text())
            self.private_keys = list(config["private_keys"])
            self.accounts = list(config["available_accounts"])
            self.rpc("anvil_setLoggingEnabled", [False])
        except BaseException:
            self.stop()
            raise
        log.info("anvil ready at %s", self.url)
        return self

    def _wait_listening(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        buffer = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DevChainError(f"anvil did not start within {self.startup_timeout} s")
                if not sel.select(remaining):
                    continue
                chunk = os.read(self._proc.stdout.fileno(), 4096)
                if not chunk:
                    raise DevChainError(f"anvil exited during startup: {buffer[-500:]!r}")
                buffer += chunk
                *complete, _partial = buffer.split(b"\n")
                for line in complete:
                    if line.startswith(b"Listening on "):
                        return int(line.rsplit(b":", 1)[1])

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        """One JSON-RPC call to this chain (for test helpers: mine, snapshot, reorg)."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
        reply = httpx.post(self.url, json=body, timeout=10).json()
        if "error" in reply:
            raise DevChainError(f"{method} failed: {reply['error']}")
        return reply["result"]

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", [hex(blocks)])

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
