"""Cap'n Proto signatures as MCP tool schemas and JSON values, on the real schemas (pycapnp)."""

from __future__ import annotations

import base64

import pytest

from wetnode.mcp.bridge import method_tool
from wetnode.mcp.capnp_json import Handles, input_schema, to_json, to_params
from wetnode.mcp.errors import McpError
from wetnode.rpc import schema


def _params(interface: str, method: str) -> object:
    module, iface = interface.split(".")
    return getattr(schema.load(module), iface).schema.methods[method].param_type


def test_data_lists_and_integers_get_json_schema_types_with_their_bounds():
    connect = input_schema(_params("system.Host", "connect"))
    assert connect["properties"] == {
        "peerId": {"type": "string", "contentEncoding": "base64"},
        "addrs": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}},
    }
    assert connect["required"] == ["peerId", "addrs"]
    read = input_schema(_params("system.ByteStream", "read"))
    assert read["properties"]["maxBytes"] == {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}


def test_base64_arguments_become_bytes_and_bad_ones_are_named():
    handles = Handles(str)
    params = to_params(
        _params("system.Host", "connect"),
        {"peerId": base64.b64encode(b"\x00\x25").decode(), "addrs": []},
        handles,
    )
    assert params == {"peerId": b"\x00\x25", "addrs": []}
    with pytest.raises(McpError, match="argument peerId: Data goes as base64"):
        to_params(_params("system.Host", "connect"), {"peerId": "!!", "addrs": []}, handles)
    with pytest.raises(McpError, match="argument 'addrs' is missing"):
        to_params(_params("system.Host", "connect"), {"peerId": ""}, handles)
    with pytest.raises(McpError, match=r"argument maxBytes: -1 is not a uint32"):
        to_params(_params("system.ByteStream", "read"), {"maxBytes": -1}, handles)


def test_a_struct_with_data_and_lists_comes_back_as_json_with_base64():
    peer = schema.system().PeerInfo
    message = peer.new_message(peerId=b"\x01", addrs=[b"\x02\x03"])
    assert to_json(peer.schema, message, Handles(str)) == {"peerId": "AQ==", "addrs": ["AgM="]}


def test_a_handle_names_one_capability_of_one_interface():
    binary_id = schema.system().Binary.schema.node.id
    handles = Handles(lambda i: "binary" if i == binary_id else "other")
    handle = handles.add(binary_id, "the capability")
    assert handle == "binary/1"
    assert handles.get(handle, binary_id) == "the capability"
    with pytest.raises(McpError, match="binary/1 is a binary, not a other"):
        handles.get(handle, binary_id + 1)
    handles.clear()
    with pytest.raises(McpError, match="not a capability handle of this session"):
        handles.get(handle)


def test_a_returned_capabilitys_methods_take_its_handle():
    spawn = method_tool("binary.spawn", "")
    assert spawn is not None
    assert spawn.input_schema["required"] == ["handle", "args", "env"]
    assert method_tool("executor.nope", "") is None
    assert method_tool("nothing.echo", "") is None
