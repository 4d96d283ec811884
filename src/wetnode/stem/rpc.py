"""JSON-RPC to an Ethereum node from trio: HTTP calls and WebSocket subscriptions.

web3.py's async API only runs under asyncio, so the epoch pipeline speaks the
protocol itself: httpx (which runs on trio) for calls, trio-websocket for
``eth_subscribe``.  Only subscriptions use the WebSocket; everything else
goes over HTTP, so reading answers never competes with reading notifications.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import trio
import trio_websocket

from wetnode.stem.abi import DecodeError, hex_bytes, hex_int
from wetnode.stem.finalizer import BlockHeader

log = logging.getLogger(__name__)

CALL_TIMEOUT = 10.0


class RpcError(Exception):
    """The node answered a call with a JSON-RPC error, or with garbage."""


class ChainUnreachable(RpcError):
    """The node could not be reached (connection refused, reset, timed out)."""


Notification = tuple[str, dict[str, Any]]
"""(subscription id, result) of one ``eth_subscription`` message."""


class HttpRpc:
    """JSON-RPC calls over HTTP, one pooled connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = httpx.AsyncClient(timeout=CALL_TIMEOUT)
        self._ids = itertools.count(1)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(self, method: str, params: list[Any] | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []}
        try:
            reply = (await self._client.post(self.url, json=body)).json()
        except (httpx.TransportError, OSError) as exc:
            raise ChainUnreachable(f"cannot reach {self.url}: {exc!r}") from exc
        except ValueError as exc:
            raise RpcError(f"{method} at {self.url}: the answer is not JSON") from exc
        return _result(method, reply)

    async def block(self, ref: bytes | str) -> BlockHeader | None:
        """A block header by hash (bytes) or tag ("latest"); None if the node does not know it."""
        if isinstance(ref, bytes):
            raw = await self.call("eth_getBlockByHash", ["0x" + ref.hex(), False])
        else:
            raw = await self.call("eth_getBlockByNumber", [ref, False])
        return None if raw is None else decode_header(raw)


class WsSubscriptions:
    """A WebSocket used only for ``eth_subscribe``, read by one task.

    There is no background reader: ``subscribe`` reads until its answer comes
    (keeping notifications that arrive first), and ``next`` reads the next
    notification.  A closed connection surfaces as ``ChainUnreachable``.
    """

    def __init__(self, ws: trio_websocket.WebSocketConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._early: deque[Notification] = deque()

    async def subscribe(self, kind: str, *params: Any) -> str:
        """Start a subscription; its notifications carry the returned id."""
        request_id = next(self._ids)
        body = {"jsonrpc": "2.0", "id": request_id, "method": "eth_subscribe"}
        await self._send(json.dumps({**body, "params": [kind, *params]}))
        message: dict[str, Any] = {}
        with trio.move_on_after(CALL_TIMEOUT):
            while True:
                message = await self._receive()
                if (notification := _notification(message)) is not None:
                    self._early.append(notification)
                elif message.get("id") == request_id:
                    break
        if message.get("id") != request_id:
            raise RpcError(f"eth_subscribe {kind}: no answer within {CALL_TIMEOUT:.0f} s")
        sub_id = _result(f"eth_subscribe {kind}", message)
        if not isinstance(sub_id, str):
            raise RpcError(f"eth_subscribe {kind}: subscription id {sub_id!r} is not a string")
        return sub_id

    async def next(self) -> Notification:
        """The next notification of any subscription on this connection."""
        if self._early:
            return self._early.popleft()
        while (notification := _notification(await self._receive())) is None:
            pass
        return notification

    async def _send(self, text: str) -> None:
        try:
            await self._ws.send_message(text)
        except trio_websocket.ConnectionClosed as exc:
            raise ChainUnreachable(f"the WebSocket closed: {exc.reason}") from None

    async def _receive(self) -> dict[str, Any]:
        try:
            text = await self._ws.get_message()
            _quick_ack(self._ws)
            message = json.loads(text)
        except trio_websocket.ConnectionClosed as exc:
            raise ChainUnreachable(f"the WebSocket closed: {exc.reason}") from None
        except ValueError as exc:
            raise RpcError("the WebSocket sent a message that is not JSON") from exc
        if not isinstance(message, dict):
            raise RpcError(f"the WebSocket sent {type(message).__name__}, not an object")
        return message


@asynccontextmanager
async def open_subscriptions(url: str) -> AsyncIterator[WsSubscriptions]:
    """Connect to ``url``; the connection lives as long as the block."""
    try:
        async with trio_websocket.open_websocket_url(url, connect_timeout=CALL_TIMEOUT) as ws:
            yield WsSubscriptions(ws)
    except (trio_websocket.HandshakeError, OSError) as exc:
        raise ChainUnreachable(f"cannot open the WebSocket {url}: {exc!r}") from exc


def _quick_ack(ws: trio_websocket.WebSocketConnection) -> None:
    """Have the kernel acknowledge received data at once (Linux TCP_QUICKACK).

    Nodes send a burst of small notifications per block; with our delayed ACK
    and the node's Nagle algorithm, the next block's notification waited for
    our ACK: ~35 ms instead of ~5 ms from mining to delivery (bench/stem.py).
    The flag does not stick, so it is set after every message.  trio-websocket
    exposes no socket: this reaches into its stream and does nothing without it.
    """
    sock = getattr(getattr(ws, "_stream", None), "socket", None)
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


def _notification(message: dict[str, Any]) -> Notification | None:
    if message.get("method") != "eth_subscription":
        return None
    params = message.get("params")
    if not isinstance(params, dict) or not isinstance(params.get("subscription"), str):
        raise RpcError(f"malformed eth_subscription message: {message!r:.200}")
    result = params.get("result")
    if not isinstance(result, dict):
        raise RpcError(f"malformed eth_subscription result: {message!r:.200}")
    return (params["subscription"], result)


def decode_header(raw: Any) -> BlockHeader:
    try:
        return BlockHeader(
            number=hex_int(raw["number"]),
            hash=hex_bytes(raw["hash"]),
            parent_hash=hex_bytes(raw["parentHash"]),
        )
    except (KeyError, TypeError, DecodeError) as exc:
        raise RpcError(f"malformed block header: {exc!r}") from exc


def _result(method: str, reply: Any) -> Any:
    if not isinstance(reply, dict):
        raise RpcError(f"{method}: the answer is not a JSON-RPC object")
    if "error" in reply:
        raise RpcError(f"{method} failed: {reply['error']}")
    if "result" not in reply:
        raise RpcError(f"{method}: the answer has neither result nor error")
    return reply["result"]
