"""The block store keeps blocks under their CID and refuses any block that does not match it."""

from __future__ import annotations

from pathlib import Path

import pytest

from wetnode.ipfs.blockstore import BlockStore
from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import ContentNotFound, CorruptBlock, InvalidCid

BLOCK = bytes.fromhex("0a0c08021206") + b"hello\n" + bytes.fromhex("1806")


async def test_a_stored_block_reads_back_under_its_cid(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    cid = Cid.of_block(BLOCK)
    await store.put(cid, BLOCK)
    assert str(cid) == "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"
    assert await store.get(cid) == BLOCK
    assert list(store.multihashes()) == [cid.key()]
    assert not [p for p in tmp_path.rglob(".tmp-*")]


async def test_a_tampered_block_on_disk_is_rejected(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    cid = Cid.of_block(BLOCK)
    await store.put(cid, BLOCK)
    store.path_of(cid).write_bytes(BLOCK.replace(b"hello", b"jello"))
    with pytest.raises(CorruptBlock, match=f"block {cid} failed verification"):
        await store.get(cid)


async def test_putting_bytes_under_a_wrong_cid_is_refused(tmp_path: Path) -> None:
    store = BlockStore(tmp_path)
    with pytest.raises(CorruptBlock):
        await store.put(Cid.of_block(b"other"), BLOCK)
    assert list(store.multihashes()) == []


async def test_a_missing_block_is_reported_with_its_cid(tmp_path: Path) -> None:
    cid = Cid.of_block(b"never stored")
    with pytest.raises(ContentNotFound, match=str(cid)):
        await BlockStore(tmp_path).get(cid)


@pytest.mark.parametrize(
    "text", ["", "hello", "QmNotBase58OOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOOO", "bafyinvalid!", "zzz"]
)
def test_invalid_cid_text_is_named_in_the_error(text: str) -> None:
    with pytest.raises(InvalidCid, match="invalid CID"):
        Cid.parse(text)


def test_cid_v1_base32_and_v0_of_the_same_block_share_a_multihash() -> None:
    v0 = Cid.parse("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN")
    v1 = Cid(1, v0.codec, v0.multihash)
    assert Cid.parse(str(v1)) == v1
    assert str(v1).startswith("bafy")
    assert Cid.from_bytes(v1.to_bytes()).multihash == v0.multihash
