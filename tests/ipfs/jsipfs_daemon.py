"""A real js-ipfs daemon (npm `ipfs` 0.66.1) for the tests: loopback only, offline.

Kubo's npm package fetches its binary from GitHub at install time, which this
machine cannot reach; js-ipfs installs from npm alone and serves the same
Kubo-RPC HTTP API.  See docs/ipfs.md for the configuration and why.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
JSIPFS = REPO_ROOT / "scripts/node/node_modules/.bin/jsipfs"
READY_TIMEOUT = 60.0


@dataclass
class JsIpfs:
    api: str  # http://127.0.0.1:<port>
    process: subprocess.Popen[str]
    repo: Path

    def add_tree(self, path: Path) -> str:
        """`ipfs add -r path` through the daemon's own importer: the root CID it reports.

        Like the `ipfs add -r` command line, dotfiles are not sent.
        """
        files = []
        for entry in [path, *sorted(path.rglob("*"))] if path.is_dir() else [path]:
            if any(part.startswith(".") for part in entry.relative_to(path).parts):
                continue
            name = quote(entry.relative_to(path.parent).as_posix(), safe="")
            if entry.is_dir():
                files.append(("file", (name, b"", "application/x-directory")))
            else:
                files.append(("file", (name, entry.read_bytes(), "application/octet-stream")))
        response = httpx.post(f"{self.api}/api/v0/add", files=files, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"js-ipfs add failed: {response.text}")
        lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
        return next(line["Hash"] for line in lines if line["Name"] == path.name)

    def cat(self, path: str) -> bytes:
        response = httpx.post(f"{self.api}/api/v0/cat", params={"arg": path, "timeout": "10s"})
        response.raise_for_status()
        return response.content

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _configure(repo: Path) -> None:
    """Loopback on random ports, no bootstrap, no discovery, no delegates."""
    config_path = repo / "config"
    config = json.loads(config_path.read_text())
    config["Addresses"] = {
        "Swarm": ["/ip4/127.0.0.1/tcp/0"],
        "API": "/ip4/127.0.0.1/tcp/0",
        "Gateway": "/ip4/127.0.0.1/tcp/0",
        "RPC": "/ip4/127.0.0.1/tcp/0",
        "Announce": [],
        "NoAnnounce": [],
        "Delegates": [],
    }
    config["Bootstrap"] = []
    config["Discovery"] = {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}}
    config_path.write_text(json.dumps(config, indent=2))


def start(repo: Path) -> JsIpfs:
    """Init a repo in ``repo``, start the daemon, return once its API is listening."""
    if not JSIPFS.exists():
        raise RuntimeError(f"{JSIPFS} is missing: run scripts/install.sh --test")
    env = {**os.environ, "IPFS_PATH": str(repo)}
    subprocess.run(
        [str(JSIPFS), "init", "--profile=test", "--empty-repo"],
        env=env,
        check=True,
        capture_output=True,
        timeout=READY_TIMEOUT,
    )
    _configure(repo)
    process = subprocess.Popen(
        [str(JSIPFS), "daemon", "--enable-preload=false"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = _drain(process, repo / "daemon.log")
    deadline = time.monotonic() + READY_TIMEOUT
    api = None
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise RuntimeError(f"js-ipfs not ready within {READY_TIMEOUT}s") from None
        if line is None:
            raise RuntimeError(f"js-ipfs exited: see {repo / 'daemon.log'}")
        if line.startswith("HTTP API listening on"):
            parts = line.split()[-1].split("/")  # /ip4/127.0.0.1/tcp/<port>/http
            api = f"http://{parts[2]}:{parts[4]}"
        if "Daemon is ready" in line and api is not None:
            return JsIpfs(api, process, repo)


def _drain(process: subprocess.Popen[str], log: Path) -> queue.Queue[str | None]:
    """The daemon's output, line by line, also copied to ``log``.

    A thread because the pipe must be read for the daemon's whole life (or it
    blocks on a full pipe) while the tests run; it ends when the daemon exits.
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        with open(log, "w") as out:
            for line in process.stdout:
                out.write(line)
                out.flush()
                lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, name="jsipfs-log", daemon=True).start()
    return lines
