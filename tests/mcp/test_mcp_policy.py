"""Policy rules name an export's MCP tools one by one (`mcp.SERVER.TOOL`).

A real node with mcp-server-time behind it, the `mcp` SDK's client through
`ww mcp serve`: the allow list exports two tools, the policy grants one of
them and rate-limits it.
"""

from __future__ import annotations

import pytest
import trio

from tests.kernel.node_process import serving_node
from tests.mcp.conftest import TIME_SERVER, allow_layer, mcp_session

pytestmark = pytest.mark.slow

POLICY = """\
[[export.grant]]
methods = ["mcp.time.get_current_time"]

[[export.rate]]
methods = ["mcp.time.get_current_time"]
calls = 0.001
burst = 1
"""


async def test_a_policy_grants_and_rate_limits_one_mcp_tool_and_refuses_the_other(
    kernel_image, node_env, tmp_path
):
    layer = allow_layer(tmp_path, "mcp.time.get_current_time\nmcp.time.convert_time\n")
    (layer / "etc" / "policy.toml").write_text(POLICY)
    args = ["--mcp", TIME_SERVER, str(kernel_image), str(layer)]
    with serving_node(args, node_env) as node, trio.fail_after(120):
        async with mcp_session(node.address, node_env) as session:
            # Listing is the allow list's: both tools, granted or not.
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            assert tools == ["mcp.time.convert_time", "mcp.time.get_current_time"]
            first = await session.call_tool("mcp.time.get_current_time", {"timezone": "UTC"})
            assert not first.is_error, first
            second = await session.call_tool("mcp.time.get_current_time", {"timezone": "UTC"})
            other = await session.call_tool(
                "mcp.time.convert_time",
                {"source_timezone": "UTC", "time": "12:00", "target_timezone": "UTC"},
            )
    assert second.is_error
    assert second.content[0].text.startswith(
        "policyDenied: rate mcp.time.get_current_time 0.001/s per peer exceeded (retry after"
    ), second.content
    assert other.is_error
    assert other.content[0].text.startswith("policyDenied: grant: peer 16Uiu2"), other.content
    assert other.content[0].text.endswith("has no grant for mcp.time.convert_time"), other.content
