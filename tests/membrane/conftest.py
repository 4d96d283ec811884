"""The ``node`` fixture: a membrane host serving pid0 over a real socket pair."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from membrane_support import Node, running_node


@pytest.fixture
async def node() -> AsyncIterator[Node]:
    async with running_node() as running:
        yield running
