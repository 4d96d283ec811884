"""Discovery: a fresh node finds a provider and fetches a 1 MB image through the DHT.

A local swarm of `SWARM` lightweight node processes (the swarm, the DHT and
bitswap over their own block store; no guest), each joined through the
first.  One of them holds a 1 MB image and provides its root.  Each of
`RUNS` times a fresh node (new key, empty store, in this process) joins
through a node that is not the holder, then:

- find: the DHT lookup of the root's providers, until the holder is named;
- fetch: the whole image through bitswap, the holder found through the DHT;
- baseline, in the same run: the same fetch by a fresh node dialled straight
  to the holder (what `--peer` does), so the ratio is the DHT's cost.

Medians of the runs; the goal is find <= 1 s.

    python -m bench discovery
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import multiaddr
import trio
from libp2p.peer.id import ID

from bench.timing import row
from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.bitswap import open_bitswap
from wetnode.ipfs.cid import Cid
from wetnode.keys import NodeKey
from wetnode.net.dht import Dht, open_dht
from wetnode.net.routing import DhtContentRouting
from wetnode.net.swarm import open_swarm

SWARM = 12
RUNS = 10
IMAGE_BYTES = 1 << 20
Address = tuple[ID, multiaddr.Multiaddr]


def _split(text: str) -> Address:
    addr = multiaddr.Multiaddr(text)
    peer = addr.value_for_protocol("p2p")
    return ID.from_base58(peer), addr.decapsulate(multiaddr.Multiaddr(f"/p2p/{peer}"))


async def serve(store: Path, bootstrap: str | None, image: Path | None) -> None:
    """One lightweight node: print its address (and the root it provides), serve until killed."""
    key = NodeKey.generate().libp2p_key_pair()
    async with (
        open_swarm(key, port=0, host="127.0.0.1") as swarm,
        open_dht(swarm) as dht,
        open_bitswap(swarm.host, store) as ipfs,
    ):
        if bootstrap:
            await dht.bootstrap([_split(bootstrap)])
        root = await ipfs.add_path(image) if image else None
        if root is not None:
            await dht.provide(root.multihash)
        print(swarm.addrs()[0], root or "", flush=True)
        await trio.sleep_forever()


@asynccontextmanager
async def _fresh(
    work: Path, via: Address, *, dht_routing: bool
) -> AsyncIterator[tuple[Dht, IpfsBackend]]:
    key = NodeKey.generate().libp2p_key_pair()
    async with (
        open_swarm(key, port=0, host="127.0.0.1") as swarm,
        open_dht(swarm) as dht,
        open_bitswap(
            swarm.host,
            Path(tempfile.mkdtemp(dir=work)),
            timeout=30,
            routing=DhtContentRouting(dht) if dht_routing else None,
        ) as ipfs,
    ):
        if dht_routing:
            await dht.bootstrap([via])
        else:
            await swarm.connect(via[0], [via[1]])
        yield dht, ipfs


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        image = work / "image"
        (image / "boot").mkdir(parents=True)
        (image / "boot" / "main.wasm").write_bytes(os.urandom(IMAGE_BYTES))
        procs: list[subprocess.Popen[str]] = []
        try:
            addresses, root = _start_swarm(work, image, procs)
            print(
                f"{SWARM} node processes up; image {root}, {IMAGE_BYTES >> 20} MB; "
                f"medians of {RUNS} runs"
            )
            holder = _split(addresses[-1])
            others = [_split(a) for a in addresses[1:-1]]
            finds, fetches, direct = trio.run(_runs, work, Cid.parse(root), holder, others)
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
    print(row("find the provider (DHT)", finds, finds, target="<= 1 s"))
    print(row("fetch 1 MB, holder found by DHT", fetches, direct))
    print(row("fetch 1 MB, holder dialled (base)", direct, direct))


def _start_swarm(
    work: Path, image: Path, procs: list[subprocess.Popen[str]]
) -> tuple[list[str], str]:
    """The first node, then the others joined through it (the last one holds the image)."""
    addresses: list[str] = []
    root = ""
    for index in range(SWARM):
        args = [sys.executable, "-m", "bench.discovery", str(work / f"node{index}")]
        if addresses:
            args.append(addresses[0])
        if index == SWARM - 1:
            args.append(str(image))
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if not line:
            raise SystemExit(f"node {index} did not start")
        addresses.append(line[0])
        root = line[1] if len(line) > 1 else root
    return addresses, root


async def _runs(
    work: Path, root: Cid, holder: Address, others: list[Address]
) -> tuple[list[float], list[float], list[float]]:
    finds, fetches, direct = [], [], []
    for run in range(RUNS):
        via = others[run % len(others)]
        async with _fresh(work, via, dht_routing=True) as (dht, _):
            start = time.perf_counter()
            with trio.fail_after(30):
                found = await dht.find(root.multihash, 1)
            finds.append(time.perf_counter() - start)
            assert found and found[0].peer_id == holder[0], found
        async with _fresh(work, via, dht_routing=True) as (_, ipfs):
            fetches.append(await _fetch(ipfs, root, work))
        async with _fresh(work, holder, dht_routing=False) as (_, ipfs):
            direct.append(await _fetch(ipfs, root, work))
    return finds, fetches, direct


async def _fetch(ipfs: IpfsBackend, root: Cid, work: Path) -> float:
    start = time.perf_counter()
    with trio.fail_after(60):
        await ipfs.export(f"/ipfs/{root}", Path(tempfile.mkdtemp(dir=work)) / "out")
    return time.perf_counter() - start


if __name__ == "__main__":  # one lightweight node of the swarm: STORE [BOOTSTRAP [IMAGE]]
    store, *rest = sys.argv[1:]
    trio.run(
        serve,
        Path(store),
        rest[0] if rest else None,
        Path(rest[1]) if len(rest) > 1 else None,
    )
