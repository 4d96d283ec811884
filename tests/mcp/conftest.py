"""Real nodes for the MCP tests: the built kernel, an allow list, and the SDK's own client."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
TIME_SERVER = f"time={PYTHON} -m mcp_server_time --local-timezone UTC"  # mcp-server-time (PyPI)
CRASHY_SERVER = f"crashy={PYTHON} {HERE / 'crashy_server.py'}"


def allow_layer(tmp_path: Path, text: str) -> Path:
    """A layer whose etc/membrane.allow is ``text`` (it wins over the kernel's own)."""
    layer = tmp_path / "allow"
    (layer / "etc").mkdir(parents=True)
    (layer / "etc" / "membrane.allow").write_text(text)
    return layer


@asynccontextmanager
async def mcp_session(address: str, env: dict[str, str]) -> AsyncIterator[ClientSession]:
    """The `mcp` SDK's client on `ww mcp serve ADDRESS` (stdio), initialised."""
    params = StdioServerParameters(
        command=PYTHON, args=["-m", "wetnode", "mcp", "serve", address], env=env
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session
