"""Two libp2p hosts (real TCP on loopback): one adds a tree, the other fetches it over bitswap."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import trio
import varint
from libp2p import new_host
from libp2p.abc import IHost, INetStream
from libp2p.bitswap.cid import get_cid_prefix
from libp2p.bitswap.config import BITSWAP_PROTOCOL_V120
from libp2p.bitswap.messages import create_message
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.network.stream.exceptions import StreamEOF
from libp2p.peer.peerinfo import info_from_p2p_addr
from multiaddr import Multiaddr
from serve_blocks import serving

from wetnode.ipfs.bitswap import BitswapBackend, open_bitswap
from wetnode.ipfs.errors import ContentNotFound
from wetnode.ipfs.layer import IpfsLayerSource
from wetnode.net.swarm import open_swarm

pytestmark = pytest.mark.slow

UNKNOWN = "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"


async def _pair(
    stack: AsyncExitStack, tmp_path: Path, timeout: float
) -> tuple[BitswapBackend, BitswapBackend, list[IHost]]:
    """Node a, node b connected to it, and their hosts."""
    hosts: list[IHost] = []
    for _ in range(2):
        host = new_host(key_pair=create_new_key_pair())
        await stack.enter_async_context(host.run([Multiaddr("/ip4/127.0.0.1/tcp/0")]))
        hosts.append(host)
    a = await stack.enter_async_context(open_bitswap(hosts[0], tmp_path / "a", timeout=timeout))
    b = await stack.enter_async_context(open_bitswap(hosts[1], tmp_path / "b", timeout=timeout))
    with trio.fail_after(10):
        await hosts[1].connect(info_from_p2p_addr(hosts[0].get_addrs()[0]))
    return a, b, hosts


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[BitswapBackend, BitswapBackend]]:
    async with AsyncExitStack() as stack:
        a, b, _ = await _pair(stack, tmp_path, timeout=3)
        yield a, b


async def test_a_tree_added_on_one_node_is_fetched_by_the_other(
    pair: tuple[BitswapBackend, BitswapBackend], tmp_path: Path
) -> None:
    a, b = pair
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "motd").write_text("over bitswap\n")
    (tree / "big.bin").write_bytes(os.urandom(700 * 1024))
    root = await a.add_path(tree)
    assert not b.store.has(root)
    with trio.fail_after(60):
        assert await b.cat(f"/ipfs/{root}/etc/motd") == b"over bitswap\n"
        await b.export(f"/ipfs/{root}", tmp_path / "out")
    assert (tmp_path / "out" / "big.bin").read_bytes() == (tree / "big.bin").read_bytes()
    assert b.store.has(root)  # kept: the next read is local


def _bitswap_streams_opened(host: IHost) -> list[INetStream]:
    return [
        stream
        for conn in host.get_network().get_connections()
        for stream in conn.get_streams()
        if str(stream.get_protocol()).startswith("/ipfs/bitswap/")
        and stream.muxed_stream.is_initiator  # type: ignore[attr-defined]
    ]


async def test_each_node_writes_on_one_stream_it_opened_and_keeps_it_open(
    tmp_path: Path,
) -> None:
    """Bitswap 1.2.0: wants go on the asker's stream, answers on one the responder
    opens, and both stay open for what comes next (py-libp2p's bitswap answered on
    the asker's stream, which Helia and Kubo never read, and closed it when idle)."""
    async with AsyncExitStack() as stack:
        a, b, hosts = await _pair(stack, tmp_path, timeout=10)
        serving_host, fetching_host = hosts
        roots = [await a.block_put(f"block {i}".encode()) for i in range(5)]
        with trio.fail_after(30):
            await b.block_get(str(roots[0]))
        wants = _bitswap_streams_opened(fetching_host)
        answers = _bitswap_streams_opened(serving_host)
        assert len(wants) == 1 and len(answers) == 1
        assert not wants[0].is_closed and not answers[0].is_closed
        with trio.fail_after(30):
            for root in roots[1:]:
                await b.block_get(str(root))
        assert _bitswap_streams_opened(fetching_host) == wants
        assert _bitswap_streams_opened(serving_host) == answers


async def test_blocks_a_peer_sends_unasked_are_not_kept(tmp_path: Path) -> None:
    """Only wanted blocks are stored: a peer cannot fill another's disk."""
    async with AsyncExitStack() as stack:
        a, b, hosts = await _pair(stack, tmp_path, timeout=10)
        pushed = b"nobody asked for this"
        cid = await a.block_put(pushed)
        block = (get_cid_prefix(cid.to_bytes()), pushed)
        message = create_message(blocks_v110=[block]).SerializeToString()
        with trio.fail_after(30):
            stream = await hosts[0].new_stream(hosts[1].get_id(), [BITSWAP_PROTOCOL_V120])
            await stream.write(varint.encode(len(message)) + message)
            await stream.close()
            with contextlib.suppress(StreamEOF):  # b read it all, then closed its side
                while await stream.read(1024):
                    pass
        assert not b.store.has(cid)
        with trio.fail_after(30):  # asked for, the same block is fetched and kept
            assert await b.block_get(str(cid)) == pushed
        assert b.store.has(cid)


async def test_content_no_peer_has_fails_within_the_bound(
    pair: tuple[BitswapBackend, BitswapBackend],
) -> None:
    _, b = pair
    with trio.fail_after(10), pytest.raises(ContentNotFound, match="not found within 3s"):
        await b.cat(f"/ipfs/{UNKNOWN}")


async def test_a_block_damaged_on_the_serving_node_is_not_accepted(
    tmp_path: Path,
) -> None:
    async with AsyncExitStack() as stack:
        a, b, _ = await _pair(stack, tmp_path, timeout=2)
        root = await a.block_put(b"\x0a\x04\x08\x02\x18\x00")
        a.store.path_of(root).write_bytes(b"\x0a\x04\x08\x02\x18\x01")
        with trio.fail_after(10), pytest.raises(ContentNotFound):
            await b.cat(f"/ipfs/{root}")
        assert not b.store.has(root)


async def test_a_tree_served_by_another_node_process_is_fetched(tmp_path: Path) -> None:
    """Two OS processes, each with the node's own swarm (Noise + yamux) and bitswap."""
    tree = tmp_path / "image"
    (tree / "boot").mkdir(parents=True)
    (tree / "boot" / "main.wasm").write_bytes(os.urandom(300 * 1024))
    async with serving(tree, tmp_path / "serving-node") as (address, root):
        info = info_from_p2p_addr(Multiaddr(address))
        async with (
            open_swarm(port=0, host="127.0.0.1") as swarm,
            open_bitswap(swarm.host, tmp_path / "fetching-node", timeout=10) as ipfs,
        ):
            with trio.fail_after(60):
                await swarm.connect(info.peer_id, info.addrs)
                layer = await IpfsLayerSource(ipfs, tmp_path / "cache").fetch(f"/ipfs/{root}")
    wasm = (layer / "boot" / "main.wasm").read_bytes()
    assert wasm == (tree / "boot" / "main.wasm").read_bytes()
