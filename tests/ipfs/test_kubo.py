"""The Kubo-RPC backend against a real js-ipfs daemon, and against daemons that misbehave."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest
import trio
from jsipfs_daemon import JsIpfs
from test_known_cids import build_tree, pattern

from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import BackendDown, ContentNotFound, CorruptBlock, InvalidCid, PathNotFound
from wetnode.ipfs.kubo import KuboBackend

UNKNOWN = "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"  # nobody has this


@pytest.fixture
async def kubo(jsipfs: JsIpfs) -> AsyncIterator[KuboBackend]:
    backend = KuboBackend(jsipfs.api, timeout=2)
    yield backend
    await backend.aclose()


async def test_version_answers(kubo: KuboBackend) -> None:
    assert await kubo.version() == "0.18.1"


async def test_what_we_add_the_daemon_cats(
    kubo: KuboBackend, jsipfs: JsIpfs, tmp_path: Path
) -> None:
    tree = build_tree(tmp_path / "tree")
    root = await kubo.add_path(tree)
    assert Cid.parse(jsipfs.add_tree(tree)) == root
    assert jsipfs.cat(f"/ipfs/{root}/big.bin") == (tree / "big.bin").read_bytes()
    assert root in await kubo.pin_ls()


async def test_what_the_daemon_adds_we_cat_ls_and_export(
    kubo: KuboBackend, jsipfs: JsIpfs, tmp_path: Path
) -> None:
    tree = tmp_path / "from-daemon"
    (tree / "d").mkdir(parents=True)
    (tree / "d" / "data.bin").write_bytes(pattern(300 * 1024, seed=9))
    (tree / "readme").write_text("added by js-ipfs\n")
    root = jsipfs.add_tree(tree)
    assert await kubo.cat(f"/ipfs/{root}/readme") == b"added by js-ipfs\n"
    assert [(e.name, e.type) for e in await kubo.ls(f"/ipfs/{root}")] == [
        ("d", "directory"),
        ("readme", "file"),
    ]
    await kubo.export(f"/ipfs/{root}/d", tmp_path / "out")
    assert (tmp_path / "out" / "data.bin").read_bytes() == pattern(300 * 1024, seed=9)


async def test_pin_and_block_ops(kubo: KuboBackend) -> None:
    block = bytes.fromhex("0a0a08021204") + b"pin!" + bytes.fromhex("1804")
    cid = await kubo.block_put(block)
    assert await kubo.block_get(str(cid)) == block
    assert await kubo.pin_add(f"/ipfs/{cid}") == cid
    assert cid in await kubo.pin_ls()
    await kubo.pin_rm(f"/ipfs/{cid}")
    assert cid not in await kubo.pin_ls()


async def test_unfindable_content_fails_within_the_bound(kubo: KuboBackend) -> None:
    with trio.fail_after(10):
        with pytest.raises(ContentNotFound, match=f"{UNKNOWN} was not found within 2s"):
            await kubo.cat(f"/ipfs/{UNKNOWN}")


async def test_invalid_cid_and_missing_path(
    kubo: KuboBackend, jsipfs: JsIpfs, tmp_path: Path
) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a").write_text("a")
    root = jsipfs.add_tree(tmp_path / "tree")
    with pytest.raises(InvalidCid, match="invalid CID 'Qmnope'"):
        await kubo.cat("/ipfs/Qmnope")
    with pytest.raises(PathNotFound, match="no entry 'b'"):
        await kubo.cat(f"/ipfs/{root}/b")


async def test_a_backend_that_is_down_is_named(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before we dial: nobody listens
    backend = KuboBackend(f"127.0.0.1:{port}", timeout=2)
    try:
        with pytest.raises(BackendDown, match=f"IPFS API at http://127.0.0.1:{port} does not"):
            await backend.cat(f"/ipfs/{UNKNOWN}")
    finally:
        await backend.aclose()


async def test_a_daemon_serving_a_forged_block_is_caught(nursery: trio.Nursery) -> None:
    """A real (tiny) HTTP server that answers every block/get with the wrong bytes."""
    body = bytes.fromhex("0a0c08021206") + b"jello\n" + bytes.fromhex("1806")
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )

    async def handler(stream: trio.SocketStream) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            request += await stream.receive_some(4096)
        await stream.send_all(response)
        await stream.aclose()

    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    backend = KuboBackend(f"http://127.0.0.1:{port}", timeout=2)
    try:
        with pytest.raises(CorruptBlock, match="QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"):
            await backend.cat("/ipfs/QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN")
    finally:
        await backend.aclose()
