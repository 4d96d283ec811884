"""The node's stdin for pid0 keeps what it read across a pid0 reboot (a real pipe)."""

from __future__ import annotations

import glob
import os
import platform

import pytest
import trio

from wetnode.membrane.terminal import TerminalInput

READ = {"x86_64": 0, "aarch64": 63}.get(platform.machine())  # the read(2) syscall number
pytestmark = pytest.mark.skipif(
    READ is None or not os.path.exists("/proc/self/task"), reason="needs Linux /proc"
)


def _blocked_reading(fd: int) -> bool:
    """True once a thread of this process sits in read(fd): the read is really under way."""
    for path in glob.glob("/proc/self/task/*/syscall"):
        try:
            with open(path) as f:
                fields = f.read().split()
        except OSError:  # the thread has just ended
            continue
        if len(fields) > 1 and fields[0] == str(READ) and int(fields[1], 16) == fd:
            return True
    return False


async def _cancelled_receive(stdin: TerminalInput, fd: int) -> None:
    """What a pid0 stopped for a new epoch leaves behind: a receive cancelled mid-read."""
    async with trio.open_nursery() as nursery:
        nursery.start_soon(stdin.receive_some)
        with trio.fail_after(10):
            while not _blocked_reading(fd):  # an observable state, polled within a bound
                await trio.sleep(0.01)  # sleep-ok: a thread in read(2) fires no event
        nursery.cancel_scope.cancel()


async def test_the_first_line_after_a_cancelled_read_reaches_the_next_reader():
    r, w = os.pipe()
    try:
        stdin = TerminalInput(r)
        await _cancelled_receive(stdin, r)
        os.write(w, b"(host id)\n")  # typed at the rebooted pid0's first prompt
        with trio.fail_after(10):
            assert await stdin.receive_some() == b"(host id)\n"
    finally:
        os.close(r)
        os.close(w)


async def test_a_pending_read_larger_than_the_next_ask_is_handed_out_in_pieces_then_eof():
    r, w = os.pipe()
    try:
        stdin = TerminalInput(r)
        await _cancelled_receive(stdin, r)  # its read asked for 64 KiB
        os.write(w, b"abcdef")
        os.close(w)
        w = -1
        with trio.fail_after(10):
            assert await stdin.receive_some(4) == b"abcd"
            assert await stdin.receive_some(4) == b"ef"
            assert await stdin.receive_some(4) == b""
            assert await stdin.receive_some(4) == b""
    finally:
        os.close(r)
        if w != -1:
            os.close(w)
