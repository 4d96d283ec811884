"""The vat bridge: trio <-> pycapnp's asyncio thread, over real sockets."""

from __future__ import annotations

import socket

import capnp
import pytest
import trio

from tests.support.echo import Echo
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, open_vat


class VatEcho(Echo):
    """Echo that can also await trio work ("from-trio") or fail on request ("boom")."""

    def __init__(self, vat: Vat | None = None) -> None:
        super().__init__()
        self.vat = vat

    async def echo(self, message, **kwargs):
        if message == "from-trio" and self.vat is not None:
            return await self.vat.to_trio(_trio_upper, message)
        if message == "boom":
            raise ValueError("boom requested")
        return await super().echo(message)


async def _trio_upper(text: str) -> str:
    await trio.lowlevel.checkpoint()
    return text.upper()


async def _pair(vat: Vat, left_bootstrap=None, right_bootstrap=None):
    a, b = socket.socketpair()
    left = await vat.run(vat.connect, a, left_bootstrap)
    right = await vat.run(vat.connect, b, right_bootstrap)
    return left, right


async def test_call_crosses_from_trio_to_a_pycapnp_server_and_back():
    async with open_vat() as vat:
        _, client_conn = await _pair(vat, left_bootstrap=VatEcho())

        async def call(text):
            cap = client_conn.bootstrap().cast_as(schema.system().Executor)
            return (await cap.echo(text)).response

        assert await vat.run(call, "hi") == "hi"


async def test_server_method_can_await_trio_work():
    async with open_vat() as vat:
        server = VatEcho()
        server.vat = vat
        _, client_conn = await _pair(vat, left_bootstrap=server)

        async def call():
            cap = client_conn.bootstrap().cast_as(schema.system().Executor)
            return (await cap.echo("from-trio")).response

        assert await vat.run(call) == "FROM-TRIO"


async def test_both_ends_export_a_bootstrap_capability():
    async with open_vat() as vat:
        left, right = await _pair(vat, VatEcho(), VatEcho())

        async def call(conn, text):
            cap = conn.bootstrap().cast_as(schema.system().Executor)
            return (await cap.echo(text)).response

        assert await vat.run(call, left, "to-right") == "to-right"
        assert await vat.run(call, right, "to-left") == "to-left"


async def test_remote_exception_reaches_trio_as_kj_exception():
    async with open_vat() as vat:
        _, client_conn = await _pair(vat, left_bootstrap=VatEcho())

        async def call():
            cap = client_conn.bootstrap().cast_as(schema.system().Executor)
            return await cap.echo("boom")

        with pytest.raises(capnp.KjException, match="boom requested"):
            await vat.run(call)


async def test_cancelling_trio_side_cancels_the_vat_task():
    async with open_vat() as vat:
        import asyncio

        cancelled = trio.Event()
        token = trio.lowlevel.current_trio_token()

        async def forever():
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                token.run_sync_soon(cancelled.set)
                raise

        with trio.move_on_after(0.05):
            await vat.run(forever)
        with trio.fail_after(5):
            await cancelled.wait()
