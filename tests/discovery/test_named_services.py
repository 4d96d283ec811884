"""Guests find each other by name: A's pid0 announces, C's pid0 finds and calls it.

Three real nodes on loopback; C and A know only B.  The kernel shell drives
pid0 (`(announce ...)`, `(find ...)`, `(dial "name" ...)`) on pseudo-terminals.
The announcement goes when A stops, or when A adopts a new epoch (real anvil).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.discovery.nodes import Node, home, push
from tests.kernel.node_process import WW, Terminal, free_port
from tests.support.devchain import Anvil
from wetnode.ipfs.cid import Cid
from wetnode.stem import contract

pytestmark = pytest.mark.slow

PROMPT = "\u276f "
DEPTH = 2


def test_a_name_announced_by_one_pid0_is_found_and_dialled_by_another_until_it_stops(
    kernel_image: Path, hub: Node, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    b = hub
    bootstrap = ["--bootstrap", b.address]
    argv_a = [*WW, "run", "--port", str(free_port()), *bootstrap, str(kernel_image)]
    argv_c = [*WW, "run", "--port", str(free_port()), *bootstrap, str(kernel_image)]
    with (
        Terminal(argv_a, home(tmp_path, "a", ww_home, node_env)) as a,
        Terminal(argv_c, home(tmp_path, "c", ww_home, node_env)) as c,
    ):
        a.expect(PROMPT)
        c.expect(PROMPT)
        a_id = _host_id(a)
        assert "announced echo-service" in a.send('(announce "echo-service")')

        assert a_id in c.send('(find "echo-service")')
        assert "from-c" in c.send('(dial "echo-service" echo "from-c")')
        assert a_id not in c.send('(find "no-such-service")')

        os.write(a.fd, b"(exit)\n")
        assert a.wait() == 0
        # A's record is still held by B, but A no longer confirms it.
        after = c.send('(find "echo-service")')
        assert a_id not in after, after
        assert "nobody provides echo-service" in c.send('(dial "echo-service" echo "x")')


def test_an_announcement_is_withdrawn_when_the_announcing_node_adopts_a_new_epoch(
    kernel_image: Path,
    hub: Node,
    node_env: dict[str, str],
    ww_home: Path,
    tmp_path: Path,
    chain: Anvil,
) -> None:
    b = hub
    env_a = home(tmp_path, "a", ww_home, node_env)
    first = Cid.parse(push(kernel_image, env_a)).to_bytes()
    key = chain.private_keys[0]
    address = contract.deploy(chain.url, key, first)
    stem = ["--stem", address, "--rpc-url", chain.url]
    bootstrap = ["--bootstrap", b.address]
    argv_a = [*WW, "run", "--port", "0", *bootstrap, *stem, "--ws-url", chain.ws_url,
              "--confirmation-depth", str(DEPTH)]  # fmt: skip
    argv_c = [*WW, "run", "--port", "0", *bootstrap, str(kernel_image)]
    with (
        Terminal(argv_a, env_a) as a,
        Terminal(argv_c, home(tmp_path, "c", ww_home, node_env)) as c,
    ):
        a.expect(PROMPT)
        c.expect(PROMPT)
        a_id = _host_id(a)
        assert "announced epoch-service" in a.send('(announce "epoch-service")')
        assert a_id in c.send('(find "epoch-service")')

        (tmp_path / "v2").mkdir()
        shutil.copytree(kernel_image, tmp_path / "v2" / "image")
        (tmp_path / "v2" / "image" / "etc").mkdir(exist_ok=True)
        (tmp_path / "v2" / "image" / "etc" / "v2").write_text("the next head\n")
        pushed = subprocess.run(
            [*WW, "push", str(tmp_path / "v2" / "image"), *stem, "--key", key],
            env=env_a, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert "is now seq 1" in pushed.stdout, pushed.stderr
        chain.mine(DEPTH)
        a.expect("epoch 1 adopted")
        a.expect(PROMPT)  # the new pid0, which announced nothing
        after = c.send('(find "epoch-service")')
        assert a_id not in after, after


def _host_id(shell: Terminal) -> str:
    """The peer ID the kernel shell's `(host id)` prints."""
    shown = re.search(r'"(16Uiu2\w+)"', shell.send("(host id)"))
    assert shown is not None
    return shown.group(1)
