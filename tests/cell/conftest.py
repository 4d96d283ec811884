"""The cell tests' own helper fixture (the probe guest and the engine are tests/conftest.py's)."""

from __future__ import annotations

import pytest
import trio


async def _read_all(stream: trio.abc.ReceiveStream | None) -> bytes:
    assert stream is not None, "stream is not piped"
    chunks = []
    while chunk := await stream.receive_some():
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def read_all():
    """`await read_all(stream)`: everything until EOF."""
    return _read_all
