"""`ww mcp serve`: the `mcp` SDK's own client on a real node's export, over libp2p."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator

import pytest
import trio
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.kernel.node_process import WW, ServingNode, serving_node, wait_for_stderr
from tests.mcp.conftest import allow_layer, mcp_session
from tests.support.guests import loopback_env
from wetnode import codec
from wetnode.membrane.signing import GRAFT

pytestmark = pytest.mark.slow

ALLOW = "executor.echo  # hands the message back\n"


@pytest.fixture(scope="module")
def echo_node(kernel_image, ww_home, tmp_path_factory) -> Iterator[ServingNode]:
    """One node exporting `ALLOW` for the tests that only read and call it."""
    layer = allow_layer(tmp_path_factory.mktemp("echo-node"), ALLOW)
    with serving_node([str(kernel_image), str(layer)], loopback_env(ww_home)) as node:
        yield node


async def test_the_sdk_client_lists_the_exported_methods_and_calls_executor_echo(
    echo_node, node_env
):
    with trio.fail_after(120):
        async with mcp_session(echo_node.address, node_env) as session:
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert list(tools) == ["executor.echo"]
            echo = tools["executor.echo"]
            assert echo.description.startswith("hands the message back")
            assert echo.input_schema["properties"] == {"message": {"type": "string"}}

            result = await session.call_tool("executor.echo", {"message": "hi over MCP"})
            assert not result.is_error
            assert result.structured_content == {"response": "hi over MCP"}
            assert result.content[0].text == "hi over MCP"


async def test_a_method_outside_the_allow_list_is_a_tool_error_carrying_not_allowed(
    echo_node, node_env
):
    with trio.fail_after(120):
        async with mcp_session(echo_node.address, node_env) as session:
            refused = await session.call_tool("host.peers", {})
            assert refused.is_error
            assert refused.content[0].text.startswith("notAllowed: host.peers")
            bad = await session.call_tool("executor.echo", {"message": 3})
            assert bad.is_error and "is not a text" in bad.content[0].text
            # The session survives both: the next call works.
            again = await session.call_tool("executor.echo", {"message": "still here"})
            assert again.structured_content == {"response": "still here"}


async def test_http_serves_the_same_tools_on_loopback(echo_node, node_env):
    serve = subprocess.Popen(
        [*WW, "mcp", "serve", echo_node.address, "--http", "0"],
        stderr=subprocess.PIPE,
        env=node_env,
        text=True,
    )
    try:
        url = wait_for_stderr(serve, "serving MCP at", timeout=60).split()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
        with trio.fail_after(60):
            async with (
                streamable_http_client(url) as (read, write, *_),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                assert [t.name for t in (await session.list_tools()).tools] == ["executor.echo"]
                result = await session.call_tool("executor.echo", {"message": "http"})
                assert result.structured_content == {"response": "http"}
    finally:
        serve.kill()
        serve.wait(timeout=30)


def test_an_address_without_a_peer_id_is_one_line_and_a_non_zero_exit(node_env):
    result = subprocess.run(
        [sys.executable, "-m", "wetnode", "mcp", "serve", "/ip4/127.0.0.1/tcp/1"],
        capture_output=True,
        text=True,
        env=node_env,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ww mcp: "), result.stderr
    assert "/p2p/" in lines[0]


async def test_a_returned_capability_is_a_handle_a_later_call_uses(
    kernel_image, node_env, tmp_path
):
    layer = allow_layer(tmp_path, "identity.signer\nsigner.peer\n")
    with serving_node([str(kernel_image), str(layer)], node_env) as node, trio.fail_after(120):
        async with mcp_session(node.address, node_env) as session:
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert tools["signer.peer"].input_schema["required"] == ["handle"]
            issued = await session.call_tool("identity.signer", {"domain": GRAFT.name})
            assert not issued.is_error, issued.content
            assert issued.structured_content == {"signer": "signer/1"}
            peer = await session.call_tool("signer.peer", {"handle": "signer/1"})
            assert peer.structured_content is not None
            peer_id = base64.b64decode(peer.structured_content["peerId"])
            assert codec.b58encode(peer_id) == node.peer_id
            unknown = await session.call_tool("signer.peer", {"handle": "signer/9"})
            assert unknown.is_error and "not a capability handle" in unknown.content[0].text
