"""`ww run --mcp NAME=COMMAND`: MCP servers the node owns, as pid0's `Mcp` capability.

Real servers only: mcp-server-time from PyPI, and tests/mcp/crashy_server.py
(the SDK's own MCPServer) for a server that dies mid-call.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from tests.kernel.node_process import WW, Terminal, serving_node
from tests.mcp.conftest import CRASHY_SERVER, TIME_SERVER, allow_layer, mcp_session

pytestmark = pytest.mark.slow


def test_pid0_lists_a_local_servers_tools_and_calls_one(kernel_image, node_env):
    argv = [*WW, "run", "--port", "0", "--mcp", TIME_SERVER, str(kernel_image)]
    with Terminal(argv, node_env) as term:
        term.expect("\u276f ")
        tools = term.send("(mcp time tools)")
        assert '"get_current_time"' in tools and '"convert_time"' in tools
        now = term.send('(mcp time call get_current_time timezone "UTC")')
        assert ':timezone "UTC"' in now and ":datetime " in now
        unknown = term.send("(mcp time call no_such_tool)")
        assert "mcpFailed: MCP server time" in unknown and "no_such_tool" in unknown
        os.write(term.fd, b"(exit)\n")
        assert term.wait() == 0


async def test_a_remote_peer_calls_the_one_exported_tool_and_no_other(
    kernel_image, node_env, tmp_path
):
    layer = allow_layer(tmp_path, "mcp.time.get_current_time  # the time in a timezone\n")
    args = ["--mcp", TIME_SERVER, str(kernel_image), str(layer)]
    with serving_node(args, node_env) as node, trio.fail_after(120):
        async with mcp_session(node.address, node_env) as session:
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert list(tools) == ["mcp.time.get_current_time"]
            tool = tools["mcp.time.get_current_time"]
            assert tool.description == "the time in a timezone"
            assert "timezone" in tool.input_schema["properties"]  # the server's own schema

            # MCP -> Cap'n Proto over libp2p -> pid0 -> the node's MCP server.
            now = await session.call_tool("mcp.time.get_current_time", {"timezone": "UTC"})
            assert not now.is_error
            assert now.structured_content is not None
            assert now.structured_content["timezone"] == "UTC"

            other = await session.call_tool(
                "mcp.time.convert_time",
                {"source_timezone": "UTC", "time": "12:00", "target_timezone": "UTC"},
            )
            assert other.is_error
            assert other.content[0].text.startswith("notAllowed: mcp.time.convert_time")


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped has stopped, so it does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_a_server_dying_mid_call_fails_that_call_and_the_next_one_works_after_restart(
    kernel_image, node_env, tmp_path
):
    layer = allow_layer(tmp_path, "mcp.crashy.pid\nmcp.crashy.crash\n")
    args = ["--mcp", CRASHY_SERVER, str(kernel_image), str(layer)]
    with serving_node(args, node_env) as node:
        with trio.fail_after(120):
            async with mcp_session(node.address, node_env) as session:
                first = (await session.call_tool("mcp.crashy.pid", {})).structured_content
                assert first is not None
                first_pid = first["result"]
                assert _alive(first_pid)

                crashed = await session.call_tool("mcp.crashy.crash", {})
                assert crashed.is_error
                reason = crashed.content[0].text
                assert reason.startswith("mcpFailed: MCP server crashy went away during")
                assert "crash" in reason

                # The call waits (bounded) for the restarted server.
                second = (await session.call_tool("mcp.crashy.pid", {})).structured_content
                assert second is not None
                second_pid = second["result"]
                assert second_pid != first_pid and _alive(second_pid)

        node.proc.send_signal(signal.SIGTERM)
        assert node.proc.wait(timeout=60) == 0
    assert not _alive(first_pid)
    assert not _alive(second_pid), "stopping the node left its MCP server running"


def test_a_bad_mcp_option_is_one_line_and_exit_2(kernel_image, node_env):
    result = subprocess.run(
        [sys.executable, "-m", "wetnode", "run", "--mcp", "no-command", str(kernel_image)],
        capture_output=True,
        text=True,
        env=node_env,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ww run: --mcp: 'no-command' is not NAME=COMMAND (NAME of letters, digits, - and _), "
        "e.g. time=mcp-server-time"
    )
