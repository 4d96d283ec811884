"""A peer dying mid-call fails the call promptly; a restarted node can be re-dialled."""

from __future__ import annotations

import capnp
import pytest
import serve_echo
import trio
from libp2p.crypto.secp256k1 import create_new_key_pair

from wetnode.net.dial import open_remote, parse_peer_address
from wetnode.net.swarm import open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

PROMPT = 5.0  # seconds within which a dead peer must fail the call


async def _echo(cap, text):
    return (await cap.echo(text)).response


async def test_killed_peer_fails_the_call_with_disconnected_then_redial_works():
    secret = create_new_key_pair().private_key.to_bytes().hex()
    executor = schema.system().Executor
    async with open_vat() as vat, open_swarm(port=0, host="127.0.0.1") as swarm:
        with serve_echo.spawn(key=secret) as first:
            peer_id, transport = parse_peer_address(first.address)
            port = int(transport.value_for_protocol("tcp"))
            async with open_remote(swarm, vat, peer_id, [transport], interface=executor) as remote:
                failure: list[BaseException] = []
                failed = trio.Event()

                async def blocked_call() -> None:
                    with pytest.raises(capnp.KjException) as info:
                        await remote.run(_echo, "block")
                    failure.append(info.value)
                    failed.set()

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(blocked_call)
                    line = await trio.to_thread.run_sync(serve_echo.readline_within, first.proc, 30)
                    assert line == "BLOCKED\n"
                    first.proc.kill()
                    with trio.fail_after(PROMPT):
                        await failed.wait()
                assert failure[0].type == "DISCONNECTED"
                with pytest.raises(capnp.KjException, match="disconnected"):
                    await remote.run(_echo, "after death")

        with serve_echo.spawn(port=port, key=secret) as second:
            assert second.address == first.address
            async with open_remote(swarm, vat, peer_id, [transport], interface=executor) as again:
                assert await again.run(_echo, "back again") == "back again"
