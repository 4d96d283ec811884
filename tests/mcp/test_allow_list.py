"""The kernel's allow list with MCP tools and descriptions, run natively (pure Python)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "images" / "kernel"))

from kernel.export import AllowList
from kernel.mcp import McpShellError, arguments


def test_mcp_lines_export_single_tools_and_comments_describe_entries():
    policy = AllowList.parse(
        [
            "# exported to peers\n",
            "executor.echo  # hands the message back\n",
            "mcp.time.get_current_time # the time in a timezone\n",
            "mcp.files.read.v2\n",
        ]
    )
    assert policy.mcp_tools == {"time.get_current_time", "files.read.v2"}
    assert policy.entries == (
        ("executor.echo", "hands the message back"),
        ("mcp.time.get_current_time", "the time in a timezone"),
        ("mcp.files.read.v2", ""),
    )
    assert len(policy.allowed) == 1  # only executor.echo is a Cap'n Proto method


@pytest.mark.parametrize("line", ["mcp.time", "mcp..tool", "mcp.time."])
def test_an_mcp_line_without_server_and_tool_names_its_line(line):
    with pytest.raises(ValueError, match=rf"line 2: '{line}' is not mcp.SERVER.TOOL"):
        AllowList.parse(["executor.echo\n", f"{line}\n"])


def test_shell_arguments_are_key_value_pairs_or_one_json_object():
    assert arguments([]) == "{}"
    assert arguments(["timezone", "UTC", "n", 3]) == '{"timezone": "UTC", "n": 3}'
    assert arguments(['{"timezone": "UTC"}']) == '{"timezone": "UTC"}'
    with pytest.raises(McpShellError, match="key value pairs"):
        arguments(["timezone"])
