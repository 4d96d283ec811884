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
