"""Our importer gives the CIDs `ipfs add -r` gives, checked against a real js-ipfs daemon."""

from __future__ import annotations

import os
from pathlib import Path

import aleph_cid
import pytest
from jsipfs_daemon import JsIpfs

from wetnode.ipfs import importer
from wetnode.ipfs.blockstore import BlockStore
from wetnode.ipfs.cid import Cid

EMPTY_DIR = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
EMPTY_FILE = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
HELLO = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"  # b"hello\n"


def pattern(size: int, seed: int = 1) -> bytes:
    """Deterministic, incompressible-looking bytes (no randomness: CIDs are pinned)."""
    block = bytes((i * 131 + seed * 7 + (i >> 8)) & 0xFF for i in range(65536))
    return (block * (size // len(block) + 1))[:size]


def build_tree(root: Path) -> Path:
    """Small file, empty file, multi-chunk file, nested and empty dirs, a hidden file."""
    root.mkdir()
    (root / "hello.txt").write_bytes(b"hello\n")
    (root / "empty").write_bytes(b"")
    (root / "big.bin").write_bytes(pattern(600 * 1024 + 17))
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "sub" / "deeper" / "note.md").write_text("# nested\n")
    (root / "sub" / "nothing").mkdir()
    (root / "Zeta").write_text("upper case sorts first\n")
    (root / ".hidden").write_text("ipfs add -r skips dotfiles by default\n")
    return root


async def test_symlink_node_is_encoded_as_go_unixfs_does(tmp_path: Path) -> None:
    # js-ipfs's HTTP add cannot take symlinks, so this pins go-unixfs's bytes:
    # PBNode{Data: UnixFS{Type: Symlink, Data: target}} and no filesize.
    os.symlink("a/b.txt", tmp_path / "l")
    store = BlockStore(tmp_path / "blocks")
    cid = (await importer.add_path(store, tmp_path / "l")).cid
    assert await store.get(cid) == bytes.fromhex("0a0b08041207") + b"a/b.txt"


async def add(tmp_path: Path, path: Path) -> Cid:
    return (await importer.add_path(BlockStore(tmp_path / "blocks"), path)).cid


@pytest.mark.parametrize(
    ("content", "expected"), [(b"", EMPTY_FILE), (b"hello\n", HELLO)], ids=["empty", "hello"]
)
async def test_well_known_file_cids(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "f").write_bytes(content)
    assert str(await add(tmp_path, tmp_path / "f")) == expected


async def test_empty_directory_has_the_well_known_cid(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    assert str(await add(tmp_path, tmp_path / "d")) == EMPTY_DIR


@pytest.mark.parametrize(
    "size", [256 * 1024, 256 * 1024 + 1, 175 * 256 * 1024 + 5], ids=["one-chunk", "two", "deep"]
)
async def test_file_cids_match_js_ipfs(tmp_path: Path, jsipfs: JsIpfs, size: int) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(pattern(size, seed=size))
    assert await add(tmp_path, path) == Cid.parse(jsipfs.add_tree(path))


async def test_tree_cid_matches_js_ipfs(tmp_path: Path, jsipfs: JsIpfs) -> None:
    tree = build_tree(tmp_path / "tree")
    assert await add(tmp_path, tree) == Cid.parse(jsipfs.add_tree(tree))


async def test_tree_cid_matches_aleph_cid(tmp_path: Path) -> None:
    # aleph-cid hashes the file set only: it sees neither dotfiles nor empty directories.
    tree = build_tree(tmp_path / "tree")
    (tree / ".hidden").unlink()
    (tree / "sub" / "nothing").rmdir()
    assert str(await add(tmp_path, tree)) == aleph_cid.hash_folder(str(tree), cid_version=0)
