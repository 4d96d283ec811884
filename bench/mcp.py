"""MCP benchmark: one tool call through the bridge against a direct call to the same server.

Run: ``python -m bench mcp``.  Starts a real ``ww run`` node of this
checkout's kernel with ``--mcp time=<mcp-server-time>`` and an allow list
exporting ``mcp.time.get_current_time``, then times the `mcp` SDK client
calling that tool two ways, in alternating blocks:

* direct: the SDK's stdio client on its own ``mcp-server-time`` process;
* bridged: the SDK's stdio client on ``ww mcp serve <node>``, so each call is
  MCP (stdio) -> Cap'n Proto over libp2p -> pid0's export (wasm) -> the
  node's Mcp capability -> MCP (stdio) to the node's ``mcp-server-time``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import trio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from bench.timing import row
from tests.kernel.node_process import serving_node

KERNEL = Path(__file__).resolve().parents[1] / "images" / "kernel"
TIME = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]
TOOL = "get_current_time"
ARGS = {"timezone": "UTC"}
ROUNDS = 5  # alternating blocks of each
BLOCK = 40  # calls per block
WARM = 10


@asynccontextmanager
async def _session(argv: list[str], env: dict[str, str]) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def _calls(session: ClientSession, name: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        result = await session.call_tool(name, ARGS)
        samples.append(time.perf_counter() - start)
        assert not result.is_error, result.content
    return samples


async def _main() -> None:
    from wetnode.cell.python_guest import build_project

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        kernel = work / "kernel"
        shutil.copytree(KERNEL, kernel, ignore=shutil.ignore_patterns("boot", "__pycache__"))
        await trio.to_thread.run_sync(build_project, kernel)  # this checkout's kernel
        (work / "allow" / "etc").mkdir(parents=True)
        (work / "allow" / "etc" / "membrane.allow").write_text(f"mcp.time.{TOOL}\n")
        env = {**os.environ, "WW_HOME": str(work / "home"), "WW_LISTEN": "127.0.0.1"}
        args = ["--mcp", "time=" + " ".join(TIME), str(kernel), str(work / "allow")]
        # Blocks this thread until the node is ready; nothing else runs here meanwhile.
        with serving_node(args, env) as node:
            bridge = [sys.executable, "-m", "wetnode", "mcp", "serve", node.address]
            async with _session(TIME, env) as direct, _session(bridge, env) as bridged:
                await _calls(direct, TOOL, WARM)
                await _calls(bridged, f"mcp.time.{TOOL}", WARM)
                direct_samples: list[float] = []
                bridged_samples: list[float] = []
                for _ in range(ROUNDS):
                    direct_samples += await _calls(direct, TOOL, BLOCK)
                    bridged_samples += await _calls(bridged, f"mcp.time.{TOOL}", BLOCK)
    print(row("direct MCP call (stdio)", direct_samples, direct_samples))
    print(row("through ww mcp serve and the node", bridged_samples, direct_samples))


def main() -> None:
    trio.run(_main)


if __name__ == "__main__":
    main()
