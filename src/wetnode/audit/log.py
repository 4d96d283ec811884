"""The node's audit log: recording is a deque append; a trio task writes batches.

Recording (`AuditLog.record`, and `Tap.call` on every capability call) may
happen on any thread (capability servers run on the vat) and only appends to
a deque: no hashing, no disk.  ``run`` wakes every ``flush_interval``
seconds, numbers and links what was recorded (`chain.Chain`), signs the head
when ``sign_every`` events have passed since the last signature, and writes
the batch in one transaction in a worker thread, so neither a call nor the
trio loop waits on the disk.  When the log closes it writes what is left and
signs the last event.

What a crash can lose: events recorded since the last flush (at most
``flush_interval`` seconds of them); everything flushed before is intact and
still verifies.  Events flushed after the last signed head verify as a chain
but are not yet covered by a signature, so deleting them is not detectable.
A writer that falls behind by more than ``MAX_PENDING`` events drops new ones
and records a ``lost`` event saying how many.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio

from wetnode.audit.chain import Chain, Event, Head, Row, head_message
from wetnode.audit.store import AuditStore, log_path, prune
from wetnode.keys import NodeKey

log = logging.getLogger(__name__)

MAX_PENDING = 100_000  # recorded events not yet written before new ones are dropped
CLOSE_TIMEOUT = 10.0  # seconds the last write at shutdown may take


def now_us() -> int:
    return time.time_ns() // 1000


class AuditLog:
    """Records events from any thread; `open_audit_log` runs its writer.

    The file is opened (and created) at the first flush that has an event to
    write, so a node that stops before any guest ran leaves no log behind;
    the ``start`` event carries the time the log was opened in the node.
    """

    def __init__(self, path: Path, key: NodeKey, sign_every: int, keep: int | None = None) -> None:
        self.path = path
        self._key = key
        self._sign_every = sign_every
        self._keep = keep  # with a number: how many logs its directory keeps (`store.prune`)
        self._pending: collections.deque[Event] = collections.deque()
        self._dropped = 0
        self._started = now_us()
        self._store: AuditStore | None = None
        self._chain = Chain()
        self._signed = 0  # seq of the last signed head

    def record(self, event: Event) -> None:
        """Queue ``event`` (any thread, never blocks)."""
        if len(self._pending) >= MAX_PENDING:
            self._dropped += 1
            return
        self._pending.append(event)

    def tap(self, caller: str) -> Tap:
        """What the membrane records ``caller``'s calls and events through."""
        return Tap(self, caller)

    def node_event(self, kind: str, epoch: int, detail: str = "", caller: str = "node") -> None:
        self.record(Event(kind, now_us(), epoch, caller, detail=detail))

    async def flush(self, *, sign: bool = False) -> None:
        """Write what was recorded (one transaction, in a worker thread)."""
        if self._store is None:
            if not self._pending:
                return
            self._store = await trio.to_thread.run_sync(self._open)
        rows = self._take()
        head = None
        chain = self._chain
        if chain.seq > self._signed and (sign or chain.seq - self._signed >= self._sign_every):
            signature = self._key.sign(head_message(chain.seq, chain.last_hash))
            head = Head(chain.seq, chain.last_hash, signature)
        if rows or head is not None:
            await trio.to_thread.run_sync(self._store.append, rows, head)
        if head is not None:
            self._signed = head.seq

    def _open(self) -> AuditStore:
        """(worker thread) Open the file and continue its chain, starting with ``start``."""
        peer = str(self._key.peer_id)
        if self._keep is not None and self.path.parent.is_dir():
            for removed in prune(self.path.parent, self._keep - 1):  # and this one makes keep
                log.info("audit: removed the old ephemeral-key log %s", removed)
        store = AuditStore.open(self.path, peer)
        if (last := store.last()) is not None:
            self._chain = Chain(last.seq, last.hash)
        heads = store.heads()
        self._signed = heads[-1].seq if heads else 0
        self._pending.appendleft(Event("start", self._started, 0, "node", detail=f"peer {peer}"))
        return store

    async def aclose(self) -> None:
        """Record ``stop``, write everything, sign the last event and close the file."""
        if self._store is None and not self._pending:
            return  # nothing happened: no log
        self.node_event("stop", 0)
        try:
            await self.flush(sign=True)
        finally:
            if self._store is not None:
                self._store.close()

    def _take(self) -> list[Row]:
        if self._dropped:
            dropped, self._dropped = self._dropped, 0
            self.node_event("lost", 0, f"{dropped} events dropped: the writer fell behind")
        rows = []
        pending = self._pending
        while pending:
            rows.append(self._chain.append(pending.popleft()))
        return rows

    async def run(
        self, flush_interval: float, *, task_status: Any = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Flush every ``flush_interval`` seconds until cancelled.

        A flush is shielded: once it has numbered a batch, the batch must be
        written, or the chain in memory would run ahead of the file.  Only the
        sleep between flushes is cancelled.
        """
        task_status.started()
        while True:
            await trio.sleep(flush_interval)
            with trio.CancelScope(shield=True):
                await self.flush()


@asynccontextmanager
async def open_audit_log(
    directory: Path,
    key: NodeKey,
    *,
    flush_interval: float,
    sign_every: int,
    ephemeral_keep: int | None = None,
) -> AsyncIterator[AuditLog]:
    """The node's log for the block: written in the background, flushed and signed at exit.

    With ``ephemeral_keep`` the key dies with the node: its log goes to
    ``directory/ephemeral/``, which keeps that many logs, the newest (this one
    included), so ephemeral runs leave a bounded trail `ww audit` still finds.
    """
    ephemeral = ephemeral_keep is not None
    path = log_path(directory, str(key.peer_id), ephemeral=ephemeral)
    audit = AuditLog(path, key, sign_every, ephemeral_keep)
    log.info("audit log: %s", path)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(audit.run, flush_interval)
            try:
                yield audit
            finally:
                nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT):
            await audit.aclose()


class Tap:
    """One caller's view of the log: its calls and events, named after it.

    ``detail`` goes into each call event; `facing` makes the tap for calls
    made the other way across the same membrane.
    """

    __slots__ = ("_log", "caller", "detail")

    def __init__(self, log: AuditLog, caller: str, detail: str = "") -> None:
        self.caller = caller
        self.detail = detail
        self._log = log

    def facing(self, caller: str) -> Tap:
        """``caller``'s tap for calls on the capabilities this tap's caller passed in."""
        return Tap(self._log, caller, f"a capability of {self.caller}")

    def call(
        self,
        epoch: int,
        method: str,
        reason: str | None,
        bytes_in: int,
        bytes_out: int,
        started: int,
    ) -> None:
        """One call: ``started`` is its `time.perf_counter_ns` at entry; ``reason`` if it failed."""
        duration = (time.perf_counter_ns() - started) // 1000
        self._log.record(
            Event(
                "call", now_us() - duration, epoch, self.caller, method,
                "returned" if reason is None else "failed", reason or "",
                bytes_in, bytes_out, duration, self.detail,
            )
        )  # fmt: skip

    def event(self, kind: str, epoch: int, detail: str = "", reason: str | None = None) -> None:
        """A graft, spawn or exit by this caller."""
        outcome = "returned" if reason is None else "failed"
        self._log.record(
            Event(kind, now_us(), epoch, self.caller, "", outcome, reason or "", detail=detail)
        )
