"""`--mdns`: two nodes on one network find each other with no address given.

Both ways: the node up first hears the second announce itself, and the
second hears the first answer its query (while it is still registering,
which is when a report used to be lost).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.discovery.nodes import home, node

pytestmark = pytest.mark.slow


def test_two_nodes_with_mdns_each_find_the_other(
    kernel_image: Path, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    with (
        node(["--mdns", str(kernel_image)], home(tmp_path, "a", ww_home, node_env)) as a,
        node([str(kernel_image)], {**home(tmp_path, "b", ww_home, node_env), "WW_MDNS": "1"}) as b,
    ):
        (found_b,) = a.wait_for(f"mDNS: found peer {b.peer_id}", timeout=60)
        assert b.address.rsplit("/p2p/", 1)[0] in found_b
        (found_a,) = b.wait_for(f"mDNS: found peer {a.peer_id}", timeout=60)
        assert a.address.rsplit("/p2p/", 1)[0] in found_a
