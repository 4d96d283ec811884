"""HAMT-sharded directories: the same CIDs as Helia with Kubo's settings, and read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.helia import Helia
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.dagpb import Node
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.hamt import murmur3_x64_64
from wetnode.ipfs.unixfs import Kind, UnixFSData

pytestmark = pytest.mark.slow


def _flat_dir(root: Path, files: int, name_bytes: int) -> Path:
    root.mkdir()
    for i in range(files):
        name = f"{i:0{name_bytes}d}"
        (root / name).write_text(f"file {i}\n")
    return root


@pytest.mark.parametrize(
    ("files", "name_bytes", "sharded"),
    [(5957, 10, False), (5958, 10, True), (10_000, 10, True), (3000, 120, True)],
)
async def test_a_directory_gets_the_cid_helia_gives_it_with_kubo_settings(
    helia: Helia, tmp_path: Path, files: int, name_bytes: int, sharded: bool
) -> None:
    tree = _flat_dir(tmp_path / "dir", files, name_bytes)
    backend = EmbeddedBackend(tmp_path / "store")
    ours = await backend.add_path(tree)
    assert ours == Cid.parse(helia.add_tree(tree))
    root = UnixFSData.decode(_data(backend, ours))
    assert (root.kind == Kind.HAMT_SHARD) is sharded
    listed = await backend.ls(f"/ipfs/{ours}")
    assert [entry.name for entry in listed] == sorted(p.name for p in tree.iterdir())
    last = f"{files - 1:0{name_bytes}d}"
    assert await backend.cat(f"/ipfs/{ours}/{last}") == f"file {files - 1}\n".encode()


def _data(backend: EmbeddedBackend, cid: Cid) -> bytes:
    return Node.decode(backend.store.path_of(cid).read_bytes(), cid).data or b""


def test_the_shard_hash_is_murmur3_x64_64_as_helia_computes_it() -> None:
    """Vectors from ipfs-unixfs-importer's hash function (@multiformats/murmur3's first
    8 bytes, reversed), whose bytes the shard levels take from the last one."""
    vectors = {"": "00" * 8, "hello": "029bbd41b3a7d8cb", "0123456789abcdefXYZ": "1d904a6c0275d399"}
    for text, js_hex in vectors.items():
        assert murmur3_x64_64(text.encode()) == bytes.fromhex(js_hex)[::-1]
