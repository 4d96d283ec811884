"""`ww run --dry-run --peer` fetches `/ipfs/` layers the way `ww run` does: from that peer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import trio
from serve_blocks import serving

pytestmark = pytest.mark.slow


def _dry_run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "wetnode", "run", "--dry-run", "--ipfs-timeout", "5", *args]
    env = {"WW_HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


async def test_dry_run_lists_a_tree_only_the_given_peer_holds(tmp_path: Path) -> None:
    tree = tmp_path / "image"
    (tree / "boot").mkdir(parents=True)
    (tree / "boot" / "main.wasm").write_bytes(b"\0asm only-on-the-peer")
    (tree / "etc").mkdir()
    (tree / "etc" / "peer-only.conf").write_text("served over bitswap\n")
    async with serving(tree, tmp_path / "serving-node") as (address, root):
        alone = await trio.to_thread.run_sync(_dry_run, tmp_path / "alone", f"/ipfs/{root}")
        listed = await trio.to_thread.run_sync(
            _dry_run, tmp_path / "dialer", "--peer", address, f"/ipfs/{root}"
        )
    assert listed.returncode == 0, listed.stderr
    assert "peer-only.conf" in listed.stdout
    assert "main.wasm" in listed.stdout
    # Without the peer, nobody has it: one line, exit 1, no traceback.
    assert alone.returncode == 1
    assert "Traceback" not in alone.stderr
    assert f"/ipfs/{root}" in alone.stderr.strip().splitlines()[-1]
