"""pid0 reads bootstrap peers from `etc/bootstrap` in its image, besides `--bootstrap`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.discovery.nodes import Node, home
from tests.kernel.node_process import WW, Terminal, free_port

pytestmark = pytest.mark.slow

PROMPT = "\u276f "


def _layer(tmp_path: Path, text: str) -> Path:
    layer = tmp_path / "bootstrap-layer"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "bootstrap").write_text(text)
    return layer


def test_a_peer_listed_in_etc_bootstrap_is_joined_and_carries_announcements(
    kernel_image: Path, hub: Node, node_env: dict[str, str], ww_home: Path, tmp_path: Path
) -> None:
    b = hub
    layer = _layer(tmp_path, f"# the hub\n\n{b.address}\n")
    argv_a = [*WW, "run", "--port", str(free_port()), str(kernel_image), str(layer)]
    argv_c = [*WW, "run", "--port", "0", "--bootstrap", b.address, str(kernel_image)]
    with (
        Terminal(argv_a, home(tmp_path, "a", ww_home, node_env)) as a,
        Terminal(argv_c, home(tmp_path, "c", ww_home, node_env)) as c,
    ):
        a.expect(PROMPT)
        c.expect(PROMPT)
        assert b.peer_id in a.send("(host peers)")
        assert "announced image-booted" in a.send('(announce "image-booted")')
        assert "/ip4/127.0.0.1/tcp/" in c.send('(find "image-booted")')


def test_a_line_of_etc_bootstrap_that_is_no_address_stops_the_boot_naming_it(
    kernel_image: Path, node_env: dict[str, str], tmp_path: Path
) -> None:
    layer = _layer(tmp_path, "# peers\n/ip4/127.0.0.1/tcp/4001\n")
    result = subprocess.run(
        [*WW, "run", "--port", "0", str(kernel_image), str(layer)],
        env=node_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "kernel: etc/bootstrap line 2:" in last and "/p2p/PEER_ID" in last, result.stderr
    assert "Traceback" not in result.stderr
