"""A client process calls another process's exported capability over libp2p."""

from __future__ import annotations

import re
import subprocess
import sys

import capnp
import libp2p.identity.identify.identify as identify
import pytest
import trio
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.network.stream.exceptions import StreamEOF
from libp2p.peer.id import ID

from wetnode import client
from wetnode.net.dial import BadAddress, Unreachable, open_remote, parse_peer_address
from wetnode.net.protocol import PROTOCOL
from wetnode.net.swarm import AGENT_VERSION, open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

WW = [sys.executable, "-m", "wetnode"]


async def _echo(cap, text):
    return (await cap.echo(text)).response


async def _run_bytes(cap):
    return await cap.runBytes(b"\0asm", [], [])


async def _host_id(cap):
    return (await cap.cast_as(schema.system().Host).id()).peerId


async def test_client_api_calls_an_allowed_method(node):
    async with client.dial(node.address, interface=schema.system().Executor) as remote:
        assert await remote.run(_echo, "hello over libp2p") == "hello over libp2p"


async def test_a_method_the_export_refuses_fails_with_its_reason(node):
    async with client.dial(node.address, interface=schema.system().Executor) as remote:
        with pytest.raises(capnp.KjException, match="runBytes is not exported"):
            await remote.run(_run_bytes)
        assert await remote.run(_echo, "still usable") == "still usable"


async def test_host_capabilities_are_not_reachable_through_the_export(node):
    async with client.dial(node.address, interface=schema.system().Executor) as remote:
        with pytest.raises(capnp.KjException, match="not implemented"):
            await remote.run(_host_id)


async def test_only_the_export_protocol_is_served(node):
    peer_id, transport = parse_peer_address(node.address)
    async with open_vat() as vat, open_swarm(port=0, host="127.0.0.1") as swarm:
        with pytest.raises(Unreachable, match=re.escape("/ww/0.1.0/vat/host")):
            async with open_remote(swarm, vat, peer_id, [transport], protocol="/ww/0.1.0/vat/host"):
                pass
        served = (await _identify(swarm, peer_id)).protocols
    assert PROTOCOL in served
    assert [p for p in served if p.startswith("/ww/")] == [PROTOCOL]


async def test_node_identifies_as_wetware(node):
    peer_id, transport = parse_peer_address(node.address)
    async with open_swarm(port=0, host="127.0.0.1") as swarm:
        await swarm.connect(peer_id, [transport])
        assert (await _identify(swarm, peer_id)).agent_version == AGENT_VERSION


async def _identify(swarm, peer_id):
    """Run the identify protocol against the peer and parse its answer."""
    stream = await swarm.open_stream(peer_id, str(identify.ID))
    raw = b""
    with trio.fail_after(10):
        while chunk := await _read_or_eof(stream):
            raw += chunk
    return identify.parse_identify_response(raw)


async def _read_or_eof(stream) -> bytes:
    try:
        return await stream.read(65536)
    except StreamEOF:
        return b""


async def test_many_calls_share_one_stream_and_all_answer(node):
    async with client.dial(node.address, interface=schema.system().Executor) as remote:
        results: list[str] = []

        async def one(i: int) -> None:
            results.append(await remote.run(_echo, str(i)))

        async with trio.open_nursery() as nursery:
            for i in range(40):
                nursery.start_soon(one, i)
        assert sorted(results, key=int) == [str(i) for i in range(40)]


async def test_wrong_peer_id_at_a_live_address_is_refused(node):
    _, transport = parse_peer_address(node.address)
    stranger = ID.from_pubkey(create_new_key_pair().public_key)
    with pytest.raises(Unreachable, match=str(stranger)):
        async with client.dial(f"{transport}/p2p/{stranger}"):
            pass


@pytest.mark.parametrize(
    "address",
    ["garbage", "/ip4/127.0.0.1/tcp/2025", "/ip4/127.0.0.1/tcp/2025/p2p/notapeer"],
)
def test_bad_addresses_are_one_line_errors(address):
    with pytest.raises(BadAddress) as info:
        parse_peer_address(address)
    assert "\n" not in str(info.value)


def test_ww_dial_calls_echo_and_prints_the_answer(node):
    done = subprocess.run(
        [*WW, "dial", node.address, "echo", "hi from the CLI"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "hi from the CLI\n"), done.stderr


def test_ww_dial_reports_a_refused_method_in_one_line(node):
    done = subprocess.run(
        [*WW, "dial", "--interface", "system.Host", node.address, "id"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "not implemented" in done.stderr
    assert "Traceback" not in done.stderr


def test_ww_dial_rejects_a_bad_peer_id_without_traceback():
    done = subprocess.run(
        [*WW, "dial", "/ip4/127.0.0.1/tcp/2025/p2p/notapeer", "echo", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("ww dial: ") and done.stderr.count("\n") == 1
