"""One real `ww run` node booting the real kernel, shared by every attack of the session.

The kernel image (built once a session by the real `ww build`) and the
shared data dir are tests/conftest.py's.  The node's limits are set low
through ``WW_*`` variables (which a node without them ignores), so the
attacks reach them quickly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harden.attack import (
    FLOW_CALLS,
    HANDSHAKE,
    IDLE,
    LIMIT,
    PENDING,
    PER_ADDRESS,
    STREAMS,
    Node,
    running_node,
)
from tests.support.guests import loopback_env


@pytest.fixture(scope="session")
def node(kernel_image, ww_home) -> Iterator[Node]:
    env = loopback_env(
        ww_home,
        NET_HANDSHAKE_TIMEOUT=HANDSHAKE,
        NET_MAX_PENDING=PENDING,
        NET_MAX_PENDING_PER_ADDRESS=PER_ADDRESS,
        NET_MAX_CONNECTIONS=LIMIT,
        NET_IDLE=IDLE,
        NET_MAX_STREAMS=STREAMS,
        RPC_MAX_CALLS=FLOW_CALLS,
    )
    with running_node([str(kernel_image)], env) as running:
        yield running
