"""pid0 relays what a service writes on stderr line by line, holding a bounded part of a line.

`kernel.main._relay` reads the service's stderr stream (an RPC `ByteStream`,
here a stand-in returning the chunks a service wrote) and says each line as
`kernel: service NAME: ...`.  A service writing without newlines used to grow
pid0's buffer without end (and re-copy it on every read), and pid0 reaching
its memory limit ends the node.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "images" / "kernel"))

from kernel.main import RELAYED_LINE, _relay


class _Written:
    """A service's stderr as the relay reads it: what it wrote, 64 KiB a read at most."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, max_bytes: int) -> SimpleNamespace:
        chunk, self._data = self._data[:max_bytes], self._data[max_bytes:]
        return SimpleNamespace(data=chunk)


def _relayed(data: bytes, capsys: pytest.CaptureFixture[str]) -> list[str]:
    asyncio.run(_relay("chatty", _Written(data)))
    prefix = "kernel: service chatty: "
    lines = capsys.readouterr().err.splitlines()
    assert all(line.startswith(prefix) for line in lines), lines[:3]
    return [line.removeprefix(prefix) for line in lines]


def test_each_line_a_service_writes_is_relayed_as_one_line(capsys):
    assert _relayed(b"one\ntwo\n\nthree", capsys) == ["one", "two", "", "three"]


def test_a_line_without_end_is_relayed_in_pieces_pid0_never_holds_whole(capsys):
    pieces = _relayed(b"z" * (10 * 1024 * 1024), capsys)  # 10 MiB, no newline
    assert "".join(pieces) == "z" * (10 * 1024 * 1024)
    assert max(map(len, pieces)) < 2 * RELAYED_LINE, max(map(len, pieces))
