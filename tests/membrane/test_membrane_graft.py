"""Graft is a challenge-response against the membrane's key."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import trio
from membrane_support import NODE_KEY, Node, failure, graft, pid0_membrane

from wetnode.keys import NodeKey, verify
from wetnode.membrane.servers import membrane as membrane_server
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT, graft_message
from wetnode.rpc import schema

_stem = schema.stem()


class FailingSigner(_stem.Signer.Server):
    async def sign(self, nonce: int, **_: Any) -> bytes:
        raise RuntimeError("hardware wallet unplugged")


class ShortSigner(_stem.Signer.Server):
    async def sign(self, nonce: int, **_: Any) -> bytes:
        return b"\x01" * 10


async def test_graft_with_the_offered_signer_returns_working_capabilities(node: Node) -> None:
    async def scenario() -> tuple[str, bytes, bytes, bytes]:
        caps = await graft(await pid0_membrane(node))
        echoed = (await caps.executor.echo("hello")).response
        peer_id = (await caps.host.id()).peerId
        signer = (await caps.identity.signer(GRAFT.name)).signer
        sig = (await signer.sign(7)).sig
        signer_peer = (await signer.peer()).peerId
        return echoed, bytes(peer_id), bytes(sig), bytes(signer_peer)

    with trio.fail_after(10):
        echoed, peer_id, sig, signer_peer = await node.vat.run(scenario)
    assert echoed == "hello"
    assert peer_id == signer_peer == NODE_KEY.peer_id
    assert verify(NODE_KEY.public_key, graft_message(7), sig)


async def test_graft_refuses_a_null_signer(node: Node) -> None:
    async def scenario() -> str:
        membrane = await pid0_membrane(node)
        return await failure(membrane.graft_request().send())

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason == "graftRefused: no signer was passed to graft"


async def test_graft_refuses_a_signer_that_fails(node: Node) -> None:
    async def scenario() -> str:
        return await failure((await pid0_membrane(node)).graft(FailingSigner()))

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason.startswith("graftRefused: the signer failed:")
    assert "hardware wallet unplugged" in reason
    assert "Traceback" not in reason


async def test_graft_refuses_a_signature_from_another_key(node: Node) -> None:
    async def scenario() -> str:
        stranger = SignerServer(GRAFT, NodeKey.generate())
        return await failure((await pid0_membrane(node)).graft(stranger))

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason.startswith("graftRefused: the signature does not verify")


async def test_graft_refuses_a_malformed_signature(node: Node) -> None:
    async def scenario() -> str:
        return await failure((await pid0_membrane(node)).graft(ShortSigner()))

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason.startswith("graftRefused: the signature does not verify")


async def test_identity_signs_only_known_domains(node: Node) -> None:
    async def scenario() -> str:
        caps = await graft(await pid0_membrane(node))
        signer = caps.identity.signer("ethereum-tx").signer
        return await failure(signer.sign(1))

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason.startswith("identity.signer: unknown signing domain 'ethereum-tx'")


async def test_a_client_that_only_knows_membrane_grafts_the_same_way(node: Node) -> None:
    async def scenario() -> str:
        guest_view = await pid0_membrane(node)
        signer = (await guest_view.signer()).signer
        plain = guest_view.cast_as(_stem.Membrane)
        return (await (await plain.graft(signer)).executor.echo("wire")).response

    with trio.fail_after(10):
        assert await node.vat.run(scenario) == "wire"


class SilentSigner(_stem.Signer.Server):
    async def sign(self, nonce: int, **_: Any) -> bytes:
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")


async def test_graft_refuses_a_signer_that_never_answers(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(membrane_server, "SIGN_TIMEOUT", 0.2)

    async def scenario() -> str:
        return await failure((await pid0_membrane(node)).graft(SilentSigner()))

    with trio.fail_after(10):
        reason = await node.vat.run(scenario)
    assert reason == "graftRefused: the signer did not answer within 0.2 s"
