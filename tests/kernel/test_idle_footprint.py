"""What an idle kernel node loads: not the packages it does not use (issue 21's memory).

One real `ww run` of the kernel, started with Python's import-time report on
(``PYTHONPROFILEIMPORTTIME``: every module the process imports is one stderr
line), read up to pid0's ready line.  A node with no ``--stem``, no approvals
asked for and no ``--mcp`` needs none of the Ethereum stack or the MCP SDK:
eth_account and eth_keys brought eth_utils, pydantic and py_ecc, ~18 MB of every
node's RSS.  Nor does it resolve names over HTTPS: dnspython (under py-libp2p)
imported httpx2, httpcore2 and h2 for that, 3.4 MiB (`wetnode.net.plain_dns`).
Nor does it ask for certificates over ACME or read IPNS records: py-libp2p's
AutoTLS and records modules imported httpx, requests and cbor2 for that, with
httpx's command line, ~7 MB (`wetnode.net.deferred_imports` defers them).
The RSS itself is measured by `python -m bench net` (docs/performance.md): a
bound on it here would flap, since how much of the mapped runtime artifact is
resident moves by ~6 MiB from boot to boot (the kernel's page-cache fault-around).
"""

from __future__ import annotations

import importlib.util
import select
import subprocess
import time
from pathlib import Path

import pytest
from node_process import free_port, start_node

from tests.support.guests import loopback_env
from wetnode.net.deferred_imports import DEFERRED

pytestmark = pytest.mark.slow

DNS_OVER_HTTPS = ("httpx2", "httpcore2", "h2")
DEFERRED_DEPENDENCIES = (  # what the deferred packages import: deferred with them
    "click",
    "pygments",
    "urllib3",
    "charset_normalizer",
)
UNUSED_AT_IDLE = (
    *("eth_account", "eth_keys", "eth_utils", "pydantic", "py_ecc", "web3", "mcp"),
    *DNS_OVER_HTTPS,
    *DEFERRED,
    *DEFERRED_DEPENDENCIES,
)


def _imports_until_ready(proc: subprocess.Popen, timeout: float = 180) -> set[str]:
    """The top-level packages the node imported before its ready line (bounded)."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    packages: set[str] = set()
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([proc.stderr], [], [], left)[0]:
            break
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith('{"event"'):
            return packages
        if line.startswith("import time:") and "|" in line:
            packages.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    proc.kill()
    raise AssertionError("the node printed no ready line")


def test_an_idle_node_loads_none_of_the_packages_it_never_calls(kernel_image: Path, ww_home: Path):
    env = {**loopback_env(ww_home), "PYTHONPROFILEIMPORTTIME": "1"}
    proc = start_node(["--port", str(free_port()), str(kernel_image)], env)
    try:
        packages = _imports_until_ready(proc)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert {"libp2p", "dns"} <= packages  # the report is read: the node did import its stack
    # Installed (the MCP SDK needs httpx2), so dnspython and py-libp2p would have imported them.
    assert all(importlib.util.find_spec(name) for name in (*DNS_OVER_HTTPS, *DEFERRED))
    assert sorted(packages.intersection(UNUSED_AT_IDLE)) == []
