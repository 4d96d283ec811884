"""Epoch clock and guard (pure logic)."""

from __future__ import annotations

import pytest

from wetnode.membrane import Epoch, EpochClock
from wetnode.membrane.errors import StaleEpoch


def test_a_guard_passes_while_its_epoch_is_current() -> None:
    clock = EpochClock()
    clock.guard().check()
    assert clock.current.seq == 0


def test_a_guard_fails_with_stale_epoch_once_the_clock_advances() -> None:
    clock = EpochClock()
    guard = clock.guard()
    clock.advance(Epoch(seq=4, head=b"\x01", adopted_block=10))
    with pytest.raises(StaleEpoch, match=r"^staleEpoch: capability issued under epoch 0, .* 4"):
        guard.check()
    clock.guard().check()


def test_the_clock_refuses_to_go_back_or_stand_still() -> None:
    clock = EpochClock(Epoch(seq=3))
    for seq in (3, 2):
        with pytest.raises(ValueError, match="epoch seq must increase: current 3"):
            clock.advance(Epoch(seq=seq))
    assert clock.current == Epoch(seq=3)


def test_a_replacement_head_with_the_same_or_a_lower_contract_seq_is_a_newer_local_epoch() -> None:
    current = Epoch(seq=1, head=b"orphaned", adopted_block=9, head_seq=1)
    clock = EpochClock(current)
    guard = clock.guard()
    same_seq = current.successor(1, b"new branch", 12)
    lower_seq = current.successor(0, b"genesis", 12)
    assert same_seq == Epoch(seq=2, head=b"new branch", adopted_block=12, head_seq=1)
    assert lower_seq == Epoch(seq=2, head=b"genesis", adopted_block=12, head_seq=0)
    assert same_seq is not None
    clock.advance(same_seq)  # the clock accepts it, and the old capabilities go stale
    with pytest.raises(StaleEpoch):
        guard.check()


def test_a_new_head_keeps_the_contract_seq_as_the_epoch_number_and_the_same_head_is_none() -> None:
    current = Epoch(seq=3, head=b"three", adopted_block=9, head_seq=3)
    assert current.successor(4, b"four", 20) == Epoch(4, b"four", 20, head_seq=4)
    assert current.successor(3, b"three", 20) is None
    after_reorg = Epoch(seq=5, head=b"three'", adopted_block=21, head_seq=3)
    assert after_reorg.successor(4, b"four", 30) == Epoch(6, b"four", 30, head_seq=4)
