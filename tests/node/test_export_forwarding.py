"""The host re-serves pid0's exported Membrane: calls reach what pid0 handed out."""

from __future__ import annotations

import socket
from typing import Any

import trio

from wetnode.node import _export_of
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, open_vat

_system = schema.system()
_stem = schema.stem()


class Echo(_system.Executor.Server):
    async def echo(self, message: str, **_: Any) -> str:
        return f"pid0 says {message}"


class Pid0Membrane(_stem.Membrane.Server):
    """Stands in for pid0's export: grafts hand out an executor only."""

    def __init__(self) -> None:
        self.signatures: list[bytes] = []

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        self.signatures.append(bytes((await signer.sign(7)).sig))
        _context.results.executor = Echo()


class RemoteSigner(_stem.Signer.Server):
    async def sign(self, nonce: int, **_: Any) -> bytes:
        return nonce.to_bytes(8, "big")


class _Link:
    connection: Any = None


async def test_remote_graft_is_forwarded_to_pid0_and_its_caps_answer():
    async with open_vat() as vat:
        pid0 = Pid0Membrane()
        host_end, pid0_end = socket.socketpair()
        link = _Link()
        link.connection = await vat.run(vat.connect, host_end)
        await vat.run(vat.connect, pid0_end, pid0)
        export = _export_of(link)

        remote_end, served_end = socket.socketpair()

        async def serve() -> None:
            await vat.connect(served_end, export())

        await vat.run(serve)
        remote = await vat.run(vat.connect, remote_end)

        async def graft_and_echo(vat: Vat) -> tuple[str, bool]:
            membrane = remote.bootstrap().cast_as(_stem.Membrane)
            caps = await membrane.graft(RemoteSigner())
            reply = await caps.executor.echo("hi")
            host_missing = False
            try:
                await caps.host.id()
            except Exception:
                host_missing = True
            return reply.response, host_missing

        with trio.fail_after(10):
            reply, host_missing = await vat.run(graft_and_echo, vat)
        assert reply == "pid0 says hi"
        assert host_missing, "pid0 handed out no host: the remote must not get one"
        assert pid0.signatures == [(7).to_bytes(8, "big")]
