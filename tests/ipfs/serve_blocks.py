"""A second node process for bitswap tests: adds a tree and serves its blocks.

Runs the node's swarm (Noise, yamux) on 127.0.0.1 with bitswap over the
embedded block store under `$WW_HOME`, adds the tree given as argument,
prints `READY <multiaddr> <cid>` and serves until its stdin closes.
Tests start it with `serving`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from subprocess import PIPE

import trio

from wetnode.ipfs.bitswap import open_bitswap
from wetnode.net.swarm import open_swarm


async def main(tree: Path) -> None:
    async with open_swarm(port=0, host="127.0.0.1") as swarm, open_bitswap(swarm.host) as ipfs:
        cid = await ipfs.add_path(tree)
        print("READY", swarm.addrs()[0], cid, flush=True)
        stdin = trio.lowlevel.FdStream(sys.stdin.fileno())
        while await stdin.receive_some(4096):
            pass


@asynccontextmanager
async def serving(tree: Path, home: Path) -> AsyncIterator[tuple[str, str]]:
    """This script in its own process, data dir ``home``: (its multiaddr, the tree's CID)."""
    env = {**os.environ, "WW_HOME": str(home)}
    proc = await trio.lowlevel.open_process(
        [sys.executable, __file__, str(tree)], env=env, stdin=PIPE, stdout=PIPE
    )
    try:
        assert proc.stdout is not None
        line = b""
        with trio.fail_after(30):
            while not line.endswith(b"\n"):
                chunk = await proc.stdout.receive_some(4096)
                assert chunk, "serve_blocks.py exited before it was ready"
                line += chunk
        _, address, root = line.decode().split()
        yield address, root
    finally:
        assert proc.stdin is not None
        await proc.stdin.aclose()
        with trio.move_on_after(10):
            await proc.wait()
        if proc.returncode is None:
            proc.kill()


if __name__ == "__main__":
    trio.run(main, Path(sys.argv[1]))
