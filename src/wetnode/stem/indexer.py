"""Follows one Atom contract: its HeadUpdated logs and the chain's new blocks.

A session subscribes over the WebSocket (``logs`` filtered on the contract's
address and the full HeadUpdated topic hash, plus ``newHeads``), then
backfills with eth_getLogs over HTTP from its cursor (rewound a few blocks,
in case a reorg replaced them while it was away) up to the latest block, then
follows the subscriptions.  When the connection drops it reconnects with
exponential backoff and starts a new session.

Each log is delivered once, however often sessions overlap: logs are keyed by
``(block hash, log index)`` and remembered for as far back as a backfill can
reach.  A log re-included by a reorg sits in another block, so it is new.
Logs marked ``removed`` are skipped: the finalizer tracks block hashes and
notices reorgs itself (no dev chain here sends ``removed`` logs anyway).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import trio

from wetnode.stem.abi import HEAD_UPDATED_TOPIC, DecodeError, HeadUpdated, decode_log
from wetnode.stem.errors import StemError
from wetnode.stem.finalizer import BlockHeader
from wetnode.stem.rpc import ChainUnreachable, HttpRpc, RpcError, decode_header, open_subscriptions

log = logging.getLogger(__name__)

Item = HeadUpdated | BlockHeader
Deliver = Callable[[Item], Awaitable[None]]
GETLOGS_RANGE = 2000


@dataclass
class Backoff:
    """Exponential reconnect delays with jitter, reset after a good session."""

    initial: float = 0.5
    maximum: float = 30.0
    _next: float = 0.0

    def delay(self) -> float:
        self._next = min(self.maximum, max(self.initial, self._next * 2))
        return self._next * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next = 0.0


class Indexer:
    """Delivers every HeadUpdated log of ``address`` once, and every new tip, in chain order."""

    def __init__(
        self,
        address: str,
        rpc: HttpRpc,
        ws_url: str,
        *,
        start_block: int,
        rewind: int,
        backoff: Backoff | None = None,
    ) -> None:
        self.address = address.lower()
        self.rpc = rpc
        self.ws_url = ws_url
        self.start_block = start_block
        self.rewind = rewind
        self.backoff = backoff or Backoff()
        self.cursor = start_block - 1  # logs of blocks <= cursor have been delivered
        self.sessions = 0
        self._seen_logs: dict[tuple[bytes, int], int] = {}
        self._seen_heads: dict[int, bytes] = {}
        self._filter = {"address": self.address, "topics": ["0x" + HEAD_UPDATED_TOPIC.hex()]}

    async def run(
        self, deliver: Deliver, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Follow the chain forever.

        Reports started once the first session is live.  If that first session
        cannot be set up the chain is taken to be down and ``StemError`` says so;
        later failures only cause a reconnect.
        """
        try:
            await self._session(deliver, task_status.started)
        except (ChainUnreachable, RpcError) as exc:
            if self.sessions == 0:
                raise StemError(
                    f"cannot follow the chain at {self.ws_url} / {self.rpc.url}: {exc} "
                    "(is the node running? check --ws-url and --rpc-url)"
                ) from None
            log.warning("lost the chain (%s); reconnecting", exc)
        while True:
            await trio.sleep(self.backoff.delay())
            try:
                await self._session(deliver, lambda: None)
            except (ChainUnreachable, RpcError) as exc:
                log.warning("lost the chain (%s); reconnecting", exc)

    async def _session(self, deliver: Deliver, live: Callable[[], None]) -> None:
        async with open_subscriptions(self.ws_url) as subs:
            logs_id = await subs.subscribe("logs", self._filter)
            heads_id = await subs.subscribe("newHeads")
            await self._backfill(deliver)
            self.sessions += 1
            self.backoff.reset()
            log.info(
                "following %s from block %d (session %d)", self.address, self.cursor, self.sessions
            )
            live()
            while True:
                sub_id, result = await subs.next()
                if sub_id == logs_id:
                    await self._deliver_log(result, deliver)
                elif sub_id == heads_id:
                    await self._deliver_head(decode_header(result), deliver)

    async def _backfill(self, deliver: Deliver) -> None:
        latest = await self.rpc.block("latest")
        if latest is None:
            raise RpcError("the node has no latest block")
        start = max(self.start_block, self.cursor + 1 - self.rewind)
        if start <= latest.number:
            log.info("backfilling blocks %d..%d", start, latest.number)
        for low in range(start, latest.number + 1, GETLOGS_RANGE):
            high = min(low + GETLOGS_RANGE - 1, latest.number)
            span = {"fromBlock": hex(low), "toBlock": hex(high)}
            logs = await self.rpc.call("eth_getLogs", [{**self._filter, **span}])
            if not isinstance(logs, list):
                raise RpcError(f"eth_getLogs returned {type(logs).__name__}, not a list")
            for raw in logs:
                await self._deliver_log(raw, deliver)
        await self._deliver_head(latest, deliver)

    async def _deliver_log(self, raw: Any, deliver: Deliver) -> None:
        if not isinstance(raw, dict) or raw.get("removed"):
            return
        if str(raw.get("address", "")).lower() != self.address:
            return
        try:
            event = decode_log(raw)
        except DecodeError as exc:
            log.warning("skipping a log of %s: %s", self.address, exc)
            return
        if event.key in self._seen_logs:
            return
        self._seen_logs[event.key] = event.block_number
        await deliver(event)

    async def _deliver_head(self, header: BlockHeader, deliver: Deliver) -> None:
        if self._seen_heads.get(header.number) == header.hash:
            return
        self._seen_heads[header.number] = header.hash
        # newHeads announces a block before its logs: only the blocks below are complete.
        self.cursor = max(self.cursor, header.number - 1)
        self._forget_below(self.cursor + 1 - self.rewind)
        await deliver(header)

    def _forget_below(self, floor: int) -> None:
        """Drop dedup state no backfill can reach again."""
        for key in [k for k, n in self._seen_logs.items() if n < floor]:
            del self._seen_logs[key]
        for number in [n for n in self._seen_heads if n < floor]:
            del self._seen_heads[number]
