"""The node's MCP server supervisor on its own: real server processes, no node."""

from __future__ import annotations

import pytest
import trio

from tests.mcp.conftest import CRASHY_SERVER
from wetnode.mcp import local
from wetnode.mcp.errors import McpError
from wetnode.mcp.spec import parse_spec


async def test_a_server_that_cannot_start_is_reported_and_hides_no_other_servers_tools(
    monkeypatch,
):
    monkeypatch.setattr(local, "START_TIMEOUT", 10.0)  # the bound a call waits
    specs = [parse_spec("gone=/nonexistent/mcp-server"), parse_spec(CRASHY_SERVER)]
    with trio.fail_after(60):
        async with local.open_local_servers(specs) as servers:
            assert [t.name for t in await servers.tools()] == ["crashy.pid", "crashy.crash"]
            with pytest.raises(McpError, match=r"MCP server gone is not running: .*No such file"):
                await servers.call("gone.anything", {})
            with pytest.raises(McpError, match=r"no MCP tool 'nothing\.x'.*servers: crashy, gone"):
                await servers.call("nothing.x", {})


def test_mcp_options_name_one_server_each():
    spec = parse_spec("time=mcp-server-time --local-timezone 'Europe/Paris'")
    assert spec.name == "time"
    assert spec.argv == ("mcp-server-time", "--local-timezone", "Europe/Paris")
    for bad in ("time", "=cmd", "a.b=cmd", "time="):
        with pytest.raises(ValueError, match="is not NAME=COMMAND"):
            parse_spec(bad)
