"""docs/stem.md's first steps through the real `ww` on a real anvil (issue 15, item 4).

A freshly deployed stem's head is the empty directory: a node follows it with
no peer, and a head nobody serves ends in one line after progress notes, not
half a minute of blank screen.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from node_process import WW, ready_line, start_node

from tests.support.devchain import Anvil

pytestmark = pytest.mark.slow

NOBODY_HAS = "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  # a CID of nothing here


def _ww(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WW, *args], capture_output=True, text=True, env=env, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _deploy(chain: Anvil, env: dict[str, str], *extra: str) -> str:
    done = _ww(env, "stem", "deploy", "--rpc-url", chain.url, "--key", chain.private_keys[0],
               *extra)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _follow(chain: Anvil, address: str) -> list[str]:
    return ["--stem", address, "--rpc-url", chain.url, "--ws-url", chain.ws_url,
            "--confirmation-depth", "0"]  # fmt: skip


def test_a_fresh_stem_boots_the_kernel_over_its_empty_head_with_no_peer(
    chain, node_env, kernel_image
):
    address = _deploy(chain, node_env)
    proc = start_node(["--port", "0", *_follow(chain, address), str(kernel_image)], node_env)
    try:
        ready = ready_line(proc, timeout=120)
        assert ready["event"] == "ready" and ready["addrs"], ready
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_following_an_empty_head_alone_says_to_publish_an_image(chain, node_env):
    address = _deploy(chain, node_env)
    done = _ww(node_env, "run", "--port", "0", *_follow(chain, address))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "is the empty directory (nothing published yet)" in last, done.stderr
    assert "ww push --stem" in last, last


def test_a_head_nobody_serves_is_progress_then_one_line_naming_it(chain, node_env):
    address = _deploy(chain, node_env, "--cid", NOBODY_HAS)
    started = time.monotonic()
    done = _ww(node_env, "run", "--port", "0", *_follow(chain, address))
    took = time.monotonic() - started
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert f"fetching /ipfs/{NOBODY_HAS} … 5 s" in done.stderr, done.stderr  # not a blank screen
    assert lines[-1].startswith(f"ww run: cannot fetch the head of epoch 0 (/ipfs/{NOBODY_HAS})")
    assert "no peer is connected" in lines[-1] and "ww push" in lines[-1], lines[-1]
    assert took < 25, f"{took:.0f} s: the fetch should give up soon with nobody to ask"
