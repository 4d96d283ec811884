"""Host reports and drives the injected network; Executor echoes."""

from __future__ import annotations

import trio
from membrane_support import ADDRS, NODE_KEY, Node, failure, graft, pid0_membrane

from wetnode.membrane import PeerInfo

PEER = b"\x00\x25" + bytes(37)
PEER_ADDR = bytes.fromhex("047f000001060fea")


async def test_host_reports_id_addrs_and_peers_from_the_network(node: Node) -> None:
    async def scenario() -> tuple[bytes, list[bytes], list[tuple[bytes, list[bytes]]]]:
        host = (await graft(await pid0_membrane(node))).host
        peer_id = bytes((await host.id()).peerId)
        addrs = [bytes(a) for a in (await host.addrs()).addrs]
        await host.connect(PEER, [PEER_ADDR])
        peers = [(bytes(p.peerId), [bytes(a) for a in p.addrs]) for p in (await host.peers()).peers]
        return peer_id, addrs, peers

    with trio.fail_after(10):
        peer_id, addrs, peers = await node.vat.run(scenario)
    assert peer_id == NODE_KEY.peer_id
    assert addrs == ADDRS
    assert peers == [(PEER, [PEER_ADDR])]
    assert node.network.connected == [PeerInfo(PEER, (PEER_ADDR,))]


async def test_host_connect_failure_reaches_the_guest_as_one_line(node: Node) -> None:
    async def scenario() -> str:
        host = (await graft(await pid0_membrane(node))).host
        return await failure(host.connect(PEER, []))

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason == "host.connect failed: no addresses to dial"


async def test_executor_echo_round_trips_through_host_executor(node: Node) -> None:
    async def scenario() -> list[str]:
        caps = await graft(await pid0_membrane(node))
        executor = caps.host.executor().executor  # pipelined
        return [(await executor.echo(m)).response for m in ("", "hi", "ünï\n" * 100)]

    with trio.fail_after(10):
        assert await node.vat.run(scenario) == ["", "hi", "ünï\n" * 100]


async def test_unexpected_server_errors_reach_the_guest_without_a_traceback(node: Node) -> None:
    async def scenario() -> str:
        caps = await graft(await pid0_membrane(node))
        return await failure(caps.executor.runBytes(b"\xff\xfe", [], []))

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason.startswith("UnicodeDecodeError: ")
    assert "Traceback" not in reason and "File " not in reason
