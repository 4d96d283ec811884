"""A second node process for bitswap tests: adds a tree and serves its blocks.

Runs the node's swarm (Noise, yamux) on 127.0.0.1 with bitswap over the
embedded block store under `$WW_HOME`, adds the tree given as argument,
prints `READY <multiaddr> <cid>` and serves until its stdin closes.
"""

from __future__ import annotations

import sys
from pathlib import Path

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


if __name__ == "__main__":
    trio.run(main, Path(sys.argv[1]))
