"""A slow step says how long it has taken, every few seconds, and a quick one says nothing."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from wetnode.notice import ELAPSED_EVERY, with_elapsed


@pytest.fixture
def autojump_clock() -> trio.testing.MockClock:
    return trio.testing.MockClock(autojump_threshold=0)


async def _takes(seconds: float) -> str:
    await trio.sleep(seconds)  # sleep-ok: the step's own duration, on a mock clock
    return "done"


async def test_a_step_of_twelve_seconds_says_so_at_five_and_ten(capsys, autojump_clock):
    assert await with_elapsed("compiling pid0", lambda: _takes(12)) == "done"
    assert capsys.readouterr().err.splitlines() == [
        "compiling pid0 … 5 s",
        "compiling pid0 … 10 s",
    ]


async def test_a_quick_step_prints_nothing(capsys, autojump_clock):
    assert await with_elapsed("compiling pid0", lambda: _takes(ELAPSED_EVERY / 2)) == "done"
    assert capsys.readouterr().err == ""


async def test_cancelling_the_step_cancels_the_work_at_once(autojump_clock):
    with trio.move_on_after(7) as scope:
        await with_elapsed("compiling pid0", lambda: _takes(60))
    assert scope.cancelled_caught
    assert trio.current_time() == pytest.approx(7)
