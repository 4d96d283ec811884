"""Real node processes for the network tests (see serve_echo.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import serve_echo


@pytest.fixture(scope="session")
def node() -> Iterator[serve_echo.NodeProcess]:
    """One shared node process serving the attenuated Executor on 127.0.0.1."""
    with serve_echo.spawn() as process:
        yield process
