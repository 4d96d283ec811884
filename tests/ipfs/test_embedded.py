"""The embedded backend: add a tree, then read it back by path, list it, export it, pin it."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

import pytest
from test_known_cids import build_tree

from wetnode.ipfs import importer, reader
from wetnode.ipfs.cid import RAW, Cid
from wetnode.ipfs.dagpb import Link, Node
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.errors import ContentNotFound, CorruptBlock, InvalidCid, PathNotFound
from wetnode.ipfs.unixfs import UnixFSData


@pytest.fixture
async def added(tmp_path: Path) -> tuple[EmbeddedBackend, Cid, Path]:
    backend = EmbeddedBackend(tmp_path / "ipfs")
    tree = build_tree(tmp_path / "tree")
    os.symlink("sub/deeper/note.md", tree / "link")
    return backend, await backend.add_path(tree), tree


async def test_cat_reads_files_by_ipfs_path(added: tuple[EmbeddedBackend, Cid, Path]) -> None:
    backend, root, tree = added
    assert await backend.cat(f"/ipfs/{root}/sub/deeper/note.md") == b"# nested\n"
    assert await backend.cat(f"{root}/big.bin") == (tree / "big.bin").read_bytes()
    assert await backend.cat(f"/ipfs/{root}/empty") == b""


async def test_ls_lists_sorted_entries_with_type_and_size(
    added: tuple[EmbeddedBackend, Cid, Path],
) -> None:
    backend, root, _ = added
    entries = await backend.ls(f"/ipfs/{root}")
    assert [(e.name, e.type, e.size) for e in entries] == [
        ("Zeta", "file", 23),
        ("big.bin", "file", 600 * 1024 + 17),
        ("empty", "file", 0),
        ("hello.txt", "file", 6),
        ("link", "symlink", len("sub/deeper/note.md")),
        ("sub", "directory", 0),
    ]
    hello = next(e for e in entries if e.name == "hello.txt")
    assert str(Cid.from_bytes(hello.cid)) == "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"
    assert await backend.ls(f"/ipfs/{root}/sub/nothing") == []


async def test_export_materialises_the_same_tree(
    added: tuple[EmbeddedBackend, Cid, Path], tmp_path: Path
) -> None:
    backend, root, tree = added
    out = tmp_path / "out"
    await backend.export(f"/ipfs/{root}", out)
    (tree / ".hidden").unlink()  # never imported
    assert _same(filecmp.dircmp(tree, out))
    assert os.readlink(out / "link") == "sub/deeper/note.md"


def _same(cmp: filecmp.dircmp[str]) -> bool:
    return (
        not cmp.left_only
        and not cmp.right_only
        and not cmp.diff_files
        and not cmp.funny_files
        and all(_same(sub) for sub in cmp.subdirs.values())
    )


async def test_resolve_path_names_the_node(added: tuple[EmbeddedBackend, Cid, Path]) -> None:
    backend, root, _ = added
    resolved, remainder = await backend.resolve_path(f"/ipfs/{root}/hello.txt")
    assert resolved == "/ipfs/QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"
    assert remainder == []


async def test_pins_are_added_listed_and_removed(added: tuple[EmbeddedBackend, Cid, Path]) -> None:
    backend, root, _ = added
    assert await backend.pin_ls() == [root]
    sub = await backend.pin_add(f"/ipfs/{root}/sub")
    assert set(await backend.pin_ls()) == {root, sub}
    await backend.pin_rm(f"/ipfs/{root}")
    assert await backend.pin_ls() == [sub]
    with pytest.raises(PathNotFound, match="not pinned"):
        await backend.pin_rm(f"/ipfs/{root}")


async def test_block_put_and_get_round_trip(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path)
    block = Node((), UnixFSData.file(b"x").encode()).encode()
    cid = await backend.block_put(block)
    assert await backend.block_get(str(cid)) == block


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("/ipfs/notacid/x", InvalidCid, "invalid CID 'notacid'"),
        ("/ipns/example.com", InvalidCid, "only /ipfs/"),
        ("{root}/nope", PathNotFound, "no entry 'nope'"),
        ("{root}/hello.txt/deeper", PathNotFound, "is a file"),
        ("{root}/sub", PathNotFound, "is a directory, not a file"),
        ("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR", ContentNotFound, "not in the local"),
    ],
)
async def test_bad_paths_fail_with_a_clear_error(
    added: tuple[EmbeddedBackend, Cid, Path], path: str, error: type[Exception], message: str
) -> None:
    backend, root, _ = added
    with pytest.raises(error, match=message):
        await backend.cat(path.format(root=root))


async def test_ls_of_a_file_says_to_use_cat(added: tuple[EmbeddedBackend, Cid, Path]) -> None:
    backend, root, _ = added
    with pytest.raises(PathNotFound, match="not a directory"):
        await backend.ls(f"/ipfs/{root}/hello.txt")


async def test_a_tampered_block_stops_a_read(added: tuple[EmbeddedBackend, Cid, Path]) -> None:
    backend, root, _ = added
    hello = Cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN")
    backend.store.path_of(hello).write_bytes(b"\x0a\x0c\x08\x02\x12\x06jello\n\x18\x06")
    with pytest.raises(CorruptBlock, match="failed verification"):
        await backend.cat(f"/ipfs/{root}/hello.txt")


async def test_a_missing_or_tampered_chunk_stops_an_export_with_one_clear_error(
    added: tuple[EmbeddedBackend, Cid, Path], tmp_path: Path
) -> None:
    backend, root, _ = added
    big = await backend.blocks.get((await reader.resolve(backend.blocks, f"{root}/big.bin")).cid)
    first, second = Node.decode(big, root).links[:2]
    backend.store.delete(second.cid)
    with pytest.raises(ContentNotFound, match=str(second.cid)):
        await backend.export(f"/ipfs/{root}", tmp_path / "out1")
    backend.store.path_of(first.cid).write_bytes(b"not the chunk")
    with pytest.raises(CorruptBlock, match=str(first.cid)):
        await backend.cat(f"/ipfs/{root}/big.bin")


async def test_cidv1_raw_leaves_are_read(tmp_path: Path) -> None:
    """What `ipfs add --raw-leaves --cid-version=1` makes: raw chunks under a dag-pb file."""
    backend = EmbeddedBackend(tmp_path)
    chunks = [b"first chunk, ", b"second chunk"]
    leaves = [Cid.of_block(c, version=1, codec=RAW) for c in chunks]
    for cid, chunk in zip(leaves, chunks, strict=True):
        await backend.blocks.put(cid, chunk)
    data = UnixFSData.file(b"", tuple(len(c) for c in chunks))
    node = Node(tuple(Link(c, "", 20) for c in leaves), data.encode()).encode()
    root = Cid.of_block(node, version=1)
    await backend.blocks.put(root, node)
    assert str(root).startswith("bafy")
    assert await backend.cat(f"/ipfs/{root}") == b"first chunk, second chunk"


async def _directory(backend: EmbeddedBackend, name: str, child: Cid) -> Cid:
    """A hand-made directory node, as a hostile peer could serve it."""
    node = Node((Link(child, name, 10),), UnixFSData.directory().encode())
    return await backend.block_put(node.encode())


@pytest.mark.parametrize("name", ["..", ".", "a/b", ""])
async def test_export_refuses_unsafe_entry_names(tmp_path: Path, name: str) -> None:
    backend = EmbeddedBackend(tmp_path / "ipfs")
    file = await importer.add_bytes(backend.blocks, b"payload")
    root = await _directory(backend, name, file.cid)
    with pytest.raises(CorruptBlock, match="unsafe entry name"):
        await backend.export(f"/ipfs/{root}", tmp_path / "out")
    assert not (tmp_path / "payload").exists()


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside", "a/../../x"])
async def test_export_refuses_symlinks_leaving_the_tree(tmp_path: Path, target: str) -> None:
    backend = EmbeddedBackend(tmp_path / "ipfs")
    link = Node((), UnixFSData.symlink(target).encode()).encode()
    root = await _directory(backend, "l", await backend.block_put(link))
    with pytest.raises(CorruptBlock, match="points outside the tree"):
        await backend.export(f"/ipfs/{root}", tmp_path / "out")


async def test_a_dag_nested_without_end_is_refused(tmp_path: Path) -> None:
    backend = EmbeddedBackend(tmp_path / "ipfs")
    cid = (await importer.add_bytes(backend.blocks, b"bottom")).cid
    for _ in range(reader.MAX_DEPTH + 1):
        node = Node((Link(cid, "", 10),), UnixFSData.file(b"", (6,)).encode())
        cid = await backend.block_put(node.encode())
    with pytest.raises(CorruptBlock, match="levels deep"):
        await backend.cat(f"/ipfs/{cid}")
    with pytest.raises(CorruptBlock, match="levels deep"):
        await backend.export(f"/ipfs/{cid}", tmp_path / "out")
