"""Two real nodes: B boots an image that only A has, fetched over bitswap at boot."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from node_process import WW, Terminal, serving_node, start_node, wait_for_stderr

from tests.support.guests import home_sharing_cache

pytestmark = pytest.mark.slow


def _push(path: Path, env: dict[str, str], *extra: str) -> str:
    result = subprocess.run(
        [*WW, "push", *extra, str(path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _fresh_home(tmp_path: Path, ww_home: Path, env: dict[str, str]) -> dict[str, str]:
    """A node with an empty block store, sharing only the compile cache (a cold cache
    would just add a compile of the kernel to the test)."""
    return {**env, "WW_HOME": str(home_sharing_cache(tmp_path / "home-b", ww_home))}


def test_a_node_boots_an_image_only_its_peer_has_and_cats_its_files(
    kernel_image, node_env, ww_home, tmp_path
):
    image = tmp_path / "image"
    shutil.copytree(kernel_image, image)
    (image / "share").mkdir()
    (image / "share" / "greeting.txt").write_text("hello from the image\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "note.txt").write_text("fetched at run time\n")
    image_cid = _push(image, node_env)
    notes_cid = _push(notes, node_env, "--partial")

    env_b = _fresh_home(tmp_path, ww_home, node_env)
    assert not (Path(env_b["WW_HOME"]) / "ipfs").exists()
    with serving_node([str(kernel_image)], node_env) as provider:
        argv = [*WW, "run", "--port", "0", "--peer", provider.address, f"/ipfs/{image_cid}"]
        with Terminal(argv, env_b) as term:
            term.expect("\u276f ")
            greeting = term.send(f'(ipfs cat "/ipfs/{image_cid}/share/greeting.txt")')
            assert "hello from the image" in greeting, greeting
            note = term.send(f'(ipfs cat "/ipfs/{notes_cid}/note.txt")')
            assert "fetched at run time" in note, note
            assert '"note.txt"' in term.send(f'(ipfs ls "/ipfs/{notes_cid}")')
            os.write(term.fd, b"(exit)\n")
            assert term.wait() == 0


def test_an_image_no_peer_has_is_a_one_line_error_after_a_bounded_wait(
    node_env, ww_home, tmp_path
):
    missing = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nm"  # a valid CID nobody has
    env_b = _fresh_home(tmp_path, ww_home, node_env)
    result = subprocess.run(
        [*WW, "run", "--port", "0", f"/ipfs/{missing}"],
        env={**env_b, "WW_IPFS_TIMEOUT": "2"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot fetch layer /ipfs/{missing}" in result.stderr.strip().splitlines()[-1]


def test_a_bad_peer_address_is_a_usage_error(kernel_image, node_env):
    result = subprocess.run(
        [*WW, "run", "--peer", "/ip4/127.0.0.1/tcp/1", str(kernel_image)],
        env=node_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--peer:" in result.stderr and "/p2p/PEER_ID" in result.stderr


def test_a_signal_while_layers_are_still_fetching_stops_the_node_at_once(
    node_env, ww_home, tmp_path
):
    """Ctrl-C during boot does not wait out the fetch (here: 120 s for content nobody has):
    the node gives up at once, as interrupted (130)."""
    missing = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nm"
    env_b = {**_fresh_home(tmp_path, ww_home, node_env), "WW_LOG": "info"}
    proc = start_node(["--port", "0", "--ipfs-timeout", "120", f"/ipfs/{missing}"], env_b)
    try:
        wait_for_stderr(proc, f"layer /ipfs/{missing}: fetching")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        proc.kill()
