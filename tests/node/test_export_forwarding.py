"""The host re-serves pid0's exported Membrane to the peer that proves its key."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import capnp
import pytest
import trio

from tests.support.echo import Echo
from wetnode.keys import NodeKey, verify
from wetnode.membrane.servers import membrane as membrane_server
from wetnode.membrane.servers.export import export_of
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT, graft_message
from wetnode.rpc import schema
from wetnode.rpc.reasons import remote_reason
from wetnode.rpc.vat import open_vat

_stem = schema.stem()


class Pid0Membrane(_stem.Membrane.Server):
    """Stands in for pid0's export: grafts hand out an executor only."""

    def __init__(self) -> None:
        self.signatures: list[bytes] = []
        self.peers: list[bytes] = []

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        self.signatures.append(bytes((await signer.sign(7)).sig))
        self.peers.append(bytes((await signer.peer()).peerId))
        _context.results.executor = Echo("pid0 says ")


class NonceEcho(_stem.Signer.Server):
    """Answers without any key: proves liveness, not identity."""

    async def sign(self, nonce: int, **_: Any) -> bytes:
        return nonce.to_bytes(64, "big")


class SilentSigner(_stem.Signer.Server):
    """Takes the challenge and never answers."""

    async def sign(self, nonce: int, **_: Any) -> bytes:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class _Link:
    connection: Any = None


async def _graft_through_export(signer: Any, peer: NodeKey) -> tuple[Any, Pid0Membrane]:
    """A remote connection, as stream peer `peer`, grafts with `signer`: (outcome, pid0)."""
    async with open_vat() as vat:
        pid0 = Pid0Membrane()
        host_end, pid0_end = socket.socketpair()
        link = _Link()
        link.connection = await vat.run(vat.connect, host_end)
        await vat.run(vat.connect, pid0_end, pid0)
        export = export_of(link)
        remote_end, served_end = socket.socketpair()

        async def serve() -> None:
            await vat.connect(served_end, export(peer.peer_id))

        await vat.run(serve)
        remote = await vat.run(vat.connect, remote_end)

        async def graft_and_echo() -> Any:
            membrane = remote.bootstrap().cast_as(_stem.Membrane)
            try:
                caps = await membrane.graft(signer)
            except capnp.KjException as exc:
                return remote_reason(exc)
            reply = await caps.executor.echo("hi")
            try:
                await caps.host.id()
            except capnp.KjException:
                return reply.response, "no host"
            return reply.response, "host"

        with trio.fail_after(10):
            return await vat.run(graft_and_echo), pid0


async def test_a_peer_signing_with_its_own_key_grafts_through_to_pid0():
    peer = NodeKey.generate()
    outcome, pid0 = await _graft_through_export(SignerServer(GRAFT, peer), peer)
    assert outcome == ("pid0 says hi", "no host")  # pid0 handed out no host
    assert verify(peer.public_key, graft_message(7), pid0.signatures[0])  # relayed to the peer
    assert pid0.peers == [peer.peer_id_bytes]  # and pid0 learns, from the host, who grafted


async def test_a_signer_without_the_peers_key_is_refused_before_pid0_sees_it():
    peer = NodeKey.generate()
    refusal = f"graftRefused: the signer does not hold the key of peer {peer.peer_id}"
    for signer in (SignerServer(GRAFT, NodeKey.generate()), NonceEcho()):
        outcome, pid0 = await _graft_through_export(signer, peer)
        assert outcome == refusal
        assert pid0.signatures == []


async def test_a_remote_signer_that_never_answers_is_refused_within_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(membrane_server, "SIGN_TIMEOUT", 0.2)
    outcome, pid0 = await _graft_through_export(SilentSigner(), NodeKey.generate())
    assert outcome == "graftRefused: the signer did not answer within 0.2 s"
    assert pid0.signatures == []
