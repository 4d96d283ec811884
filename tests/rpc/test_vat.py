"""The vat bridge: trio <-> pycapnp's asyncio thread, over real sockets."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import capnp
import pytest
import trio

from tests.support.echo import Echo
from tests.support.procfs import thread_names
from wetnode.rpc import schema
from wetnode.rpc.vat import Vat, generation_due, open_vat

REPO = Path(__file__).resolve().parents[2]


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


async def test_the_vat_thread_carries_its_name_in_the_os():
    async with open_vat():
        assert "ww-vat" in thread_names(os.getpid())  # top -H, py-spy, bench net's budget


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


class _Marker:
    """Set ``event`` (through the trio token) and record the thread it was freed on."""

    freed_on: list[str] = []

    def __init__(self, token: trio.lowlevel.TrioToken, event: trio.Event) -> None:
        self.token, self.event, self.cycle = token, event, self

    def __del__(self) -> None:
        _Marker.freed_on.append(threading.current_thread().name)
        self.token.run_sync_soon(self.event.set)


async def test_while_a_vat_is_open_cyclic_garbage_is_collected_on_the_vat_thread():
    enabled_before = gc.isenabled()
    async with open_vat():
        assert not gc.isenabled()
        freed = trio.Event()
        _Marker(trio.lowlevel.current_trio_token(), freed)  # a cycle nobody holds
        with trio.fail_after(10):
            while not freed.is_set():
                _ = [[] for _ in range(1000)]  # allocate, as the node's trio side does
                await trio.sleep(0.01)  # sleep-ok: lets the vat's periodic collector run
        assert _Marker.freed_on[-1] == "ww-vat"
    assert gc.isenabled() == enabled_before


def test_the_collector_picks_the_generation_the_interpreter_would():
    thresholds = (700, 10, 10)
    assert generation_due((700, 0, 0), thresholds, True) is None
    assert generation_due((701, 3, 0), thresholds, True) == 0
    assert generation_due((701, 11, 0), thresholds, True) == 1
    assert generation_due((701, 11, 11), thresholds, True) == 2
    assert generation_due((701, 11, 11), thresholds, False) == 1  # the full one waits
    assert generation_due((5000, 50, 50), (0, 10, 10), True) is None  # collection off


_CYCLE_ON_THE_VAT = """
import gc, socket, sys, trio
sys.path.insert(0, sys.argv[1])
from tests.support.echo import Echo
from tests.support.procfs import thread_names
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

async def main():
    async with open_vat() as vat:
        a, b = socket.socketpair()
        await vat.run(vat.connect, a, Echo())
        client = await vat.run(vat.connect, b, None)

        async def leave_a_cycle():
            cap = client.bootstrap().cast_as(schema.system().Executor)
            request = cap.echo_request(message="x")
            await request.send()
            try:
                raise ValueError("refused")
            except ValueError as exc:
                kept = exc  # the exception, its traceback, this frame, the request
            return kept is not None

        assert await vat.run(leave_a_cycle)
        for _ in range(200):  # enough allocation for many automatic collections
            _ = [[] for _ in range(1000)]
            await trio.lowlevel.checkpoint()
    print("survived")

trio.run(main)
"""


def test_a_cycle_holding_a_pycapnp_request_does_not_abort_the_process_when_trio_allocates():
    """The node's crash: the collector, run by the trio thread, freed a pycapnp request."""
    done = subprocess.run(
        [sys.executable, "-c", _CYCLE_ON_THE_VAT, str(REPO)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "survived\n"), done.stderr[-2000:]
