"""IPFS: UnixFS import/export throughput and layer fetch cold vs cached.

Each figure is a median of several runs next to a baseline taken in the same run:
- import (hash, chunk, write blocks) of a 20 MB tree into the embedded block
  store, and export (read, verify, write files) back out, vs `shutil.copytree`
  of the same tree;
- fetching that tree as an image layer from a js-ipfs daemon over its Kubo RPC
  API (cold: every block fetched and verified) vs from the layer cache; the
  same from the embedded store, and from a second libp2p node over bitswap
  (two hosts in this process, TCP on loopback; 3 runs, it is slow);
- interop beside that node-to-node figure: the layer fetched over bitswap from a
  Helia 7 peer (tests/support/helia.py), and Helia fetching the whole tree from
  our node (a fresh Helia each run: it keeps what it fetched); 3 runs each.

    python -m bench ipfs
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trio

from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.kubo import KuboBackend
from wetnode.ipfs.layer import IpfsLayerSource

REPO = Path(__file__).resolve().parent.parent
TREE_MB = 20
RUNS = 5


def make_tree(root: Path) -> int:
    """20 MB in 4 dirs: a few large files (multi-chunk) and many small ones."""
    total = 0
    for d in range(4):
        sub = root / f"dir{d}" / "nested"
        sub.mkdir(parents=True)
        for i in range(4):
            data = os.urandom(1_000_000 + i * 200_000)
            (root / f"dir{d}" / f"big{i}.bin").write_bytes(data)
            total += len(data)
        for i in range(50):
            data = os.urandom(4096 + i * 17)
            (sub / f"small{i}.txt").write_bytes(data)
            total += len(data)
    return total


def median_seconds(runs: int, step: Callable[[Path], float]) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            times.append(step(Path(scratch)))
    return statistics.median(times)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def rate(size: int, seconds: float) -> str:
    return f"{size / 1e6 / seconds:7.1f} MB/s ({seconds * 1000:7.1f} ms)"


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        tree = work_dir / "tree"
        tree.mkdir()
        size = make_tree(tree)
        print(f"tree: {size / 1e6:.1f} MB, medians of {RUNS} runs")

        copy = median_seconds(RUNS, lambda s: timed(lambda: shutil.copytree(tree, s / "c")))
        print(f"  baseline copytree        {rate(size, copy)}")

        def import_once(scratch: Path) -> float:
            backend = EmbeddedBackend(scratch / "ipfs")
            return timed(lambda: trio.run(backend.add_path, tree))

        imp = median_seconds(RUNS, import_once)
        print(f"  import (embedded)        {rate(size, imp)}  {imp / copy:.1f}x copytree")

        store = EmbeddedBackend(work_dir / "ipfs")
        root = trio.run(store.add_path, tree)

        def export_once(scratch: Path) -> float:
            return timed(lambda: trio.run(store.export, f"/ipfs/{root}", scratch / "out"))

        exp = median_seconds(RUNS, export_once)
        print(f"  export (embedded)        {rate(size, exp)}  {exp / copy:.1f}x copytree")
        fetch_embedded(store, str(root), size)
        fetch_daemon(work_dir, tree, str(root), size)
        fetch_bitswap(work_dir, str(root), size)
        helia_both_ways(work_dir, tree, str(root), size)


def fetch_twice(
    backend_factory: Callable[[], IpfsBackend], spec: str, cache: Path
) -> tuple[float, float]:
    async def fetch() -> float:
        backend = backend_factory()
        try:
            start = time.perf_counter()
            await IpfsLayerSource(backend, cache).fetch(spec)
            return time.perf_counter() - start
        finally:
            await backend.aclose()

    cold = trio.run(fetch)
    cached = trio.run(fetch)
    shutil.rmtree(cache)
    return cold, cached


def report_fetch(label: str, size: int, results: list[tuple[float, float]]) -> None:
    cold = statistics.median(r[0] for r in results)
    cached = statistics.median(r[1] for r in results)
    print(
        f"  layer fetch {label:12} cold {rate(size, cold)}, cached {cached * 1000:.2f} ms "
        f"({cold / cached:.0f}x faster)"
    )


def fetch_embedded(store: EmbeddedBackend, root: str, size: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        results = [
            fetch_twice(lambda: store, f"/ipfs/{root}", Path(scratch) / f"cache{i}")
            for i in range(RUNS)
        ]
    report_fetch("embedded", size, results)


def fetch_daemon(work_dir: Path, tree: Path, root: str, size: int) -> None:
    sys.path.insert(0, str(REPO / "tests" / "ipfs"))
    try:
        import jsipfs_daemon
    except ImportError:
        print("  layer fetch from js-ipfs: skipped (tests/ipfs not found)")
        return
    if not jsipfs_daemon.JSIPFS.exists():
        print("  layer fetch from js-ipfs: skipped (run scripts/install.sh --test)")
        return
    daemon = jsipfs_daemon.start(work_dir / "jsipfs")
    try:
        assert daemon.add_tree(tree) == root, "daemon and wetnode disagree on the CID"
        results = [
            fetch_twice(lambda: KuboBackend(daemon.api), f"/ipfs/{root}", work_dir / f"c{i}")
            for i in range(RUNS)
        ]
        report_fetch("js-ipfs RPC", size, results)
    finally:
        daemon.stop()


def fetch_bitswap(work_dir: Path, root: str, size: int) -> None:
    """Node B fetches the tree node A holds, over a real libp2p connection."""
    from libp2p import new_host
    from libp2p.crypto.secp256k1 import create_new_key_pair
    from libp2p.peer.peerinfo import info_from_p2p_addr
    from multiaddr import Multiaddr

    from wetnode.ipfs.bitswap import open_bitswap

    async def once(run: int) -> tuple[float, float]:
        hosts = [new_host(key_pair=create_new_key_pair()) for _ in range(2)]
        listen = [Multiaddr("/ip4/127.0.0.1/tcp/0")]
        async with (
            hosts[0].run(listen),
            hosts[1].run(listen),
            open_bitswap(hosts[0], work_dir / "ipfs") as _a,
            open_bitswap(hosts[1], work_dir / f"bitswap-b{run}") as b,
        ):
            await hosts[1].connect(info_from_p2p_addr(hosts[0].get_addrs()[0]))
            cache = work_dir / f"bitswap-cache{run}"
            return await _cold_then_cached(IpfsLayerSource(b, cache), root)

    results = [trio.run(once, run) for run in range(3)]
    report_fetch("bitswap", size, results)


async def _cold_then_cached(source: IpfsLayerSource, root: str) -> tuple[float, float]:
    """Seconds to fetch the layer `/ipfs/<root>` over the network, then again from the cache."""
    start = time.perf_counter()
    await source.fetch(f"/ipfs/{root}")
    cold = time.perf_counter() - start
    start = time.perf_counter()
    await source.fetch(f"/ipfs/{root}")
    return cold, time.perf_counter() - start


def helia_both_ways(work_dir: Path, tree: Path, root: str, size: int) -> None:
    """Our node fetching from Helia, and Helia fetching from our node, each over bitswap."""
    from libp2p.peer.peerinfo import info_from_p2p_addr
    from multiaddr import Multiaddr

    from tests.support import helia as helia_peer
    from wetnode.ipfs.bitswap import open_bitswap
    from wetnode.net.swarm import open_swarm

    if not helia_peer.NODE22.exists():
        print("  Helia rows: skipped (run scripts/install.sh --test)")
        return

    async def from_helia(address: str, run: int) -> tuple[float, float]:
        info = info_from_p2p_addr(Multiaddr(address))
        async with (
            open_swarm(port=0, host="127.0.0.1") as swarm,
            open_bitswap(swarm.host, work_dir / f"from-helia{run}") as ipfs,
        ):
            await swarm.connect(info.peer_id, info.addrs)
            cache = work_dir / f"from-helia-cache{run}"
            return await _cold_then_cached(IpfsLayerSource(ipfs, cache), root)

    helia = helia_peer.start(work_dir / "helia")
    try:
        assert helia.add_tree(tree) == root, "Helia and wetnode disagree on the CID"
        results = [trio.run(from_helia, helia.multiaddr, run) for run in range(3)]
    finally:
        helia.stop()
    report_fetch("from Helia", size, results)

    async def to_helia(run: int) -> float:
        async with (
            open_swarm(port=0, host="127.0.0.1") as swarm,
            open_bitswap(swarm.host, work_dir / "ipfs"),
        ):
            fetcher = helia_peer.start(work_dir / f"helia-fetch{run}")
            try:
                out = work_dir / f"to-helia{run}"
                start = time.perf_counter()
                got = await trio.to_thread.run_sync(fetcher.fetch, root, str(swarm.addrs()[0]), out)
                seconds = time.perf_counter() - start
            finally:
                fetcher.stop()
            assert got == size, f"Helia read {got} bytes of {size}"
            return seconds

    seconds = statistics.median(trio.run(to_helia, run) for run in range(3))
    print(f"  Helia fetches from us    {rate(size, seconds)}")
