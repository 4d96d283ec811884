"""`cat` hands a file over in one piece, so it counts what it reads: a DAG of a few KiB
can link one chunk a million times (issue 12, attack 11: one `cat` of such a DAG
OOM-killed the node)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import trio

from tests.support.dags import CHUNK, Dags
from wetnode.ipfs import reader
from wetnode.ipfs.budget import ResultBudget
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


def test_cats_that_would_build_past_the_guests_budget_are_refused_and_give_back_their_bytes(
    tmp_path: Path,
):
    """One guest's cats share its budget while they build: with 3 of 4 chunks' worth
    already being built for it, a 2-chunk cat is refused; once those are done, it runs."""
    two_chunks = Dags(tmp_path).claiming_file(2 * CHUNK, leaves=2)
    blocks = EmbeddedBackend(tmp_path / "ipfs").blocks
    path = f"/ipfs/{two_chunks}"
    budget = ResultBudget(4 * CHUNK)
    budget.take(3 * CHUNK, "another cat")
    with pytest.raises(TooLarge, match=f"{path}: the results this guest's calls are building"):
        trio.run(partial(reader.cat, blocks, path, budget=budget))
    assert budget.building == 3 * CHUNK, "the refused cat kept bytes it had taken"
    budget.give(3 * CHUNK)
    assert len(trio.run(partial(reader.cat, blocks, path, budget=budget))) == 2 * CHUNK
    assert budget.building == 0
