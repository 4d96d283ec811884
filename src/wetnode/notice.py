"""Progress notes for slow steps: a plain stderr line by default, never a WARNING.

A build or a one-time compile takes seconds to a minute, and a silent
terminal looks hung, so the user should see that it started.  As WARNING log
lines these made every healthy run look like something was wrong.  A note
is logged at INFO when INFO is shown, else written to stderr as a plain line:
once either way.  `with_elapsed` repeats one every few seconds with the time
taken so far, for steps that can take a minute.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import outcome
import trio

log = logging.getLogger("wetnode.progress")

T = TypeVar("T")
ELAPSED_EVERY = 5.0  # seconds between "still at it" notes


def note(message: str) -> None:
    """Tell the user a slow step has started."""
    if log.isEnabledFor(logging.INFO):
        log.info("%s", message)
    else:  # on a terminal, over any live progress line (`ipfs.progress.ByteProgress`)
        clear = "\r\033[K" if sys.stderr.isatty() else ""
        print(f"{clear}{message}", file=sys.stderr, flush=True)


async def with_elapsed(
    label: str,
    work: Callable[[], Awaitable[T]],
    *,
    every: float = ELAPSED_EVERY,
    detail: Callable[[], str] | None = None,
) -> T:
    """``await work()``, noting ``label … N s`` every ``every`` seconds until it ends.

    A step that may wait a long time (a one-time compile, a fetch nobody may
    serve) then says how long it has taken instead of looking hung; a quick
    one prints nothing.  ``detail`` adds a figure to each note (bytes so far).
    Cancelling (Ctrl-C) cancels ``work``; its result or exception comes out
    bare, never wrapped in an exception group.
    """
    result: outcome.Outcome[T] | None = None
    async with trio.open_nursery() as nursery:

        async def run() -> None:
            nonlocal result
            result = await outcome.acapture(work)
            nursery.cancel_scope.cancel()

        nursery.start_soon(run)
        started = trio.current_time()
        while True:
            await trio.sleep(every)
            extra = f", {detail()}" if detail is not None else ""
            note(f"{label} … {trio.current_time() - started:.0f} s{extra}")
    assert result is not None
    return result.unwrap()
