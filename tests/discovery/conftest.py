"""One DHT bootstrap node (B) for the discovery tests that only need a peer both sides know.

B serves the plain kernel from a data dir of its own and does nothing else:
every test that joins it announces and looks up names and CIDs of its own,
and a record B still holds for a node that has gone is not confirmed by it,
so the tests do not see each other through B.  A test that needs a fresh
node's state starts its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.discovery.nodes import Node, node
from tests.kernel.node_process import drain_stderr
from tests.support.guests import home_sharing_cache, loopback_env


@pytest.fixture(scope="session")
def hub(
    kernel_image: Path, ww_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Node]:
    data = home_sharing_cache(tmp_path_factory.mktemp("hub") / "b", ww_home)
    with node([str(kernel_image)], loopback_env(data)) as b:
        drain_stderr(b.proc)
        yield b
