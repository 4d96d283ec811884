"""Shared fixtures for the stem tests: helpers around the session's one real anvil (`chain`).

Each test deploys its own Atom, so tests do not see each other's heads; tests
that rewind the chain (evm_revert) only rewind past their own transactions.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import pytest
import trio
from eth_abi import encode as abi_encode

from tests.support.devchain import Anvil
from wetnode.stem import contract
from wetnode.stem.abi import SET_HEAD_SELECTOR
from wetnode.stem.rpc import HttpRpc

T = TypeVar("T")
WAIT = 15.0  # bound on any wait for the chain or the pipeline


@pytest.fixture
def owner_key(chain: Anvil) -> str:
    return chain.private_keys[0]


@pytest.fixture
def atom(chain: Anvil, owner_key: str) -> str:
    """A freshly deployed Atom whose head is b"genesis"."""
    return contract.deploy(chain.url, owner_key, b"genesis")


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def send_set_head(chain: Anvil, address: str, cid: bytes) -> int:
    """setHead from the (unlocked) deployer without blocking trio; returns its block.

    eth_sendTransactionSync answers with the receipt once the block is mined
    (a plain eth_sendTransaction can answer before anvil has mined it).
    """
    rpc = HttpRpc(chain.url)
    try:
        data = "0x" + (SET_HEAD_SELECTOR + abi_encode(["bytes"], [cid])).hex()
        tx = {"from": chain.accounts[0], "to": address, "data": data}
        receipt = await rpc.call("eth_sendTransactionSync", [tx])
        assert receipt["status"] == "0x1", receipt
        return int(receipt["blockNumber"], 16)
    finally:
        await rpc.aclose()


async def mine(chain: Anvil, blocks: int = 1) -> None:
    rpc = HttpRpc(chain.url)
    try:
        for _ in range(blocks):
            await rpc.call("evm_mine")
    finally:
        await rpc.aclose()


class Recorder(Generic[T]):
    """Collects what a callback receives and lets a test wait for a condition on it."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._changed = trio.Event()

    async def __call__(self, item: T) -> None:
        self.items.append(item)
        self._changed.set()
        self._changed = trio.Event()

    async def wait_until(self, predicate: Callable[[list[T]], bool], timeout: float = WAIT) -> None:
        with trio.fail_after(timeout):
            while not predicate(self.items):
                await self._changed.wait()


class TcpProxy:
    """A TCP relay the test can cut: live connections drop and the port refuses new ones."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._serving = trio.CancelScope()
        self._restored = trio.Event()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def cut(self) -> None:
        self._restored = trio.Event()
        self._serving.cancel()

    def restore(self) -> None:
        self._restored.set()

    async def serve(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        while True:
            listeners = await trio.open_tcp_listeners(self.port, host="127.0.0.1")
            if self.port == 0:
                self.port = listeners[0].socket.getsockname()[1]
                task_status.started(self)
            with self._serving:
                await trio.serve_listeners(self._relay, listeners)
            for listener in listeners:
                await listener.aclose()
            await self._restored.wait()
            self._serving = trio.CancelScope()

    async def _relay(self, client: trio.SocketStream) -> None:
        upstream = await trio.open_tcp_stream("127.0.0.1", self.target_port)
        async with client, upstream, trio.open_nursery() as nursery:
            nursery.start_soon(_pump, client, upstream)
            nursery.start_soon(_pump, upstream, client)


async def _pump(source: trio.SocketStream, sink: trio.SocketStream) -> None:
    try:
        while data := await source.receive_some(65536):
            await sink.send_all(data)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    finally:
        with trio.CancelScope(shield=True):
            await sink.aclose()
