"""Content routing: a node finds the holder of an image through the DHT, never told of it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from libp2p.peer.id import ID

from tests.discovery.nodes import Node, home, node, push
from tests.kernel.node_process import WW, free_port
from tests.support.devchain import Anvil
from wetnode.ipfs.cid import Cid
from wetnode.keys import NodeKey
from wetnode.stem import contract

pytestmark = pytest.mark.slow

DEPTH = 2  # confirmations before a head is final


def test_a_node_boots_an_image_it_finds_through_its_bootstrap_peer(
    kernel_image: Path, hub: Node, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    b = hub
    env_a = home(tmp_path, "a", ww_home, node_env)
    cid = push(kernel_image, env_a)  # only A holds it
    with node(["--bootstrap", b.address, str(kernel_image)], env_a) as a:
        a.wait_for(f"providing {cid} on the DHT")
        env_c = home(tmp_path, "c", ww_home, node_env)
        with node(["--bootstrap", b.address, f"/ipfs/{cid}"], env_c) as c:  # pid0 is up
            assert a.peer_id not in " ".join(map(str, c.proc.args))  # A was never named to C
            # The layer was fetched in full before pid0 booted: its last progress line.
            done = [line for line in c.seen if f"/ipfs/{cid}: " in line and "MiB in" in line]
            assert done, c.seen


def test_a_new_stem_head_is_provided_as_the_epoch_advances_and_found_by_a_fresh_node(
    kernel_image: Path, hub: Node, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    b = hub
    env_a = home(tmp_path, "a", ww_home, node_env)
    first = Cid.parse(push(kernel_image, env_a)).to_bytes()
    head = tmp_path / "v2" / "image"
    shutil.copytree(kernel_image, head)
    (head / "etc").mkdir(exist_ok=True)
    (head / "etc" / "v2").write_text("the next head\n")
    with Anvil() as chain:
        key = chain.private_keys[0]
        stem = ["--stem", contract.deploy(chain.url, key, first), "--rpc-url", chain.url]
        follow = [*stem, "--ws-url", chain.ws_url, "--confirmation-depth", str(DEPTH)]
        with node(["--bootstrap", b.address, *follow], env_a) as a:
            pushed = subprocess.run(
                [*WW, "push", str(head), *stem, "--key", key],
                env=env_a, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert "is now seq 1" in pushed.stdout, pushed.stderr
            cid = pushed.stdout.split()[0]
            chain.mine(DEPTH)
            a.wait_for("epoch 1 adopted")
            # At once, not at the next pass over the pins (every 10 minutes).
            a.wait_for(f"providing {cid} on the DHT", timeout=60)
            fresh = {**home(tmp_path, "c", ww_home, node_env), "WW_LOG": "warning"}
            listed = subprocess.run(
                [*WW, "run", "--dry-run", "--bootstrap", b.address, f"/ipfs/{cid}"],
                env=fresh, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert f"  v2  <- /ipfs/{cid}" in listed.stdout, listed.stdout  # etc/v2, only in the new head


def test_a_malformed_bootstrap_address_is_a_one_line_usage_error(
    kernel_image: Path, node_env: dict[str, str]
) -> None:
    result = subprocess.run(
        [*WW, "run", "--bootstrap", "/ip4/127.0.0.1/tcp/x", str(kernel_image)],
        env=node_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--bootstrap:" in lines[0] and "/ip4/127.0.0.1/tcp/x" in lines[0]


def test_a_bootstrap_peer_that_is_down_is_a_warning_and_the_node_boots(
    kernel_image: Path, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    dead = ID.from_pubkey(NodeKey.generate().libp2p_key_pair().public_key)
    address = f"/ip4/127.0.0.1/tcp/{free_port()}/p2p/{dead}"
    env = home(tmp_path, "x", ww_home, node_env)
    with node(["--bootstrap", address, str(kernel_image)], env) as booted:  # pid0 is up
        (warning,) = booted.wait_for(f"bootstrap peer {dead}")
        assert "WARNING" in warning and "not reached" in warning
