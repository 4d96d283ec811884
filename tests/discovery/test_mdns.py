"""`--mdns`: two nodes on one network find each other with no address given.

(Two processes on one host share UDP port 5353; here only the node already
up hears the other's announcement, so the test checks that direction.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.discovery.nodes import home, node

pytestmark = pytest.mark.slow


def test_two_nodes_with_mdns_join_each_other(
    kernel_image: Path, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    with (
        node(["--mdns", str(kernel_image)], home(tmp_path, "a", ww_home, node_env)) as a,
        node([str(kernel_image)], {**home(tmp_path, "b", ww_home, node_env), "WW_MDNS": "1"}) as b,
    ):
        # A, up first, hears B announce itself at B's address.
        (found,) = a.wait_for(f"mDNS: found peer {b.peer_id}", timeout=30)
        assert b.address.rsplit("/p2p/", 1)[0] in found
