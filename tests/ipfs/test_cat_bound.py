"""`cat` hands a file over in one piece, so it counts what it reads: a DAG of a few KiB
can link one chunk a million times (issue 12, attack 11: one `cat` of such a DAG
OOM-killed the node)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from tests.support.dags import CHUNK, Dags
from wetnode.ipfs import reader
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.errors import TooLarge

TIB = 1 << 40


def test_a_file_stating_a_terabyte_is_refused_before_a_chunk_is_read(tmp_path: Path):
    huge = Dags(tmp_path).claiming_file(TIB, leaves=16)  # (Dags runs trio itself)
    backend = EmbeddedBackend(tmp_path / "ipfs")
    with pytest.raises(TooLarge, match=f"/ipfs/{huge} states 1,099,511,627,776 bytes, more than"):
        trio.run(backend.cat, f"/ipfs/{huge}")


def test_a_file_holding_more_than_it_states_is_cut_off_at_the_bound(tmp_path: Path):
    liar = Dags(tmp_path).claiming_file(10, leaves=8)  # says 10 bytes, holds 8 x 256 KiB
    blocks = EmbeddedBackend(tmp_path / "ipfs").blocks
    path = f"/ipfs/{liar}"
    with pytest.raises(TooLarge, match="holds more than the 1,048,576 bytes a cat returns"):
        trio.run(reader.cat, blocks, path, 4 * CHUNK)
    assert len(trio.run(reader.cat, blocks, path, 8 * CHUNK)) == 8 * CHUNK
