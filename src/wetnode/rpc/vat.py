"""The vat thread: pycapnp's event loop, bridged to trio.

pycapnp drives Cap'n Proto through the C++ KJ event loop integrated with
asyncio, and its objects only work on the thread whose loop created them.
trio-asyncio hosts that loop only with the asyncgen hooks off, and pycapnp
ran about 5x slower there than on a thread of its own (docs/performance.md,
"The one-thread design, priced"), so the node runs one asyncio loop in one
dedicated thread -- the *vat* -- and every pycapnp object lives and dies
there.  That loop is uvloop's (libuv, in C): each message costs the vat
about a quarter less than on asyncio's own loop, whose scheduling and
socket transports are Python (docs/performance.md, session 13).  This
module is the one bridge between the two worlds:

* trio -> vat: ``await vat.run(fn, *args)`` runs the coroutine function
  ``fn(*args)`` on the vat loop and returns its result to trio.  Cancelling
  the trio side cancels the asyncio task.
* vat -> trio: ``await vat.to_trio(fn, *args)``, awaited from code running on
  the vat (a capability server's method, say), runs the trio async function
  ``fn(*args)`` as a task of the vat's trio nursery and returns its result.
* connections: ``await vat.connect(sock, bootstrap)`` (on the vat) wraps a
  connected socket in a two-party RPC connection.  Both ends of every link use
  ``TwoPartyServer`` when they offer a bootstrap capability, so that both
  may export one: RPC is symmetric, and the host takes whatever a guest
  exports.

Rule: pycapnp objects never cross to trio.  What ``vat.run`` returns must be
plain Python data (or a ``Connection``, which the vat closes when it stops):
a pycapnp object freed on another thread aborts the process.

The same rule holds for objects no code holds any more: a reference cycle
that reaches a pycapnp object (an exception's traceback keeps its frame's
locals: the request, the params) is freed by Python's cycle collector on
whichever thread happens to trigger it, usually trio's.  So while a vat is
open, automatic collection is off and the vat thread runs the collector
itself, on CPython's own generation thresholds (``_CycleCollector``).

Nothing else in the node starts threads for Cap'n Proto.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import gc
import logging
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

import capnp
import outcome
import trio
import uvloop

from wetnode.rpc import reasons
from wetnode.rpc.link import link_stream
from wetnode.rpc.metered import DEFAULT_CHANNEL_LIMITS, ChannelLimits, metered_stream

log = logging.getLogger(__name__)

VAT_THREAD = "ww-vat"  # the vat thread's name, in Python and in the OS (top -H, py-spy)
_PR_SET_NAME = 15  # prctl(2): the calling thread's name, up to 15 bytes

T = TypeVar("T")


COLLECT_EVERY = 0.05  # seconds between the vat's checks of the collector's counts
FULL_AT_MOST_EVERY = 5.0  # seconds; see `generation_due`


def generation_due(
    counts: tuple[int, int, int], thresholds: tuple[int, int, int], full_allowed: bool
) -> int | None:
    """The generation to collect at these allocation ``counts``, or None.

    As the interpreter does: nothing until the youngest generation passed its
    threshold, then the oldest generation that passed its own.  CPython also
    holds back a full collection until the objects that survived into the old
    generation since the last one exceed a quarter of it, a figure Python code
    cannot read; ``full_allowed`` (a time floor) stands in for that bound.
    """
    if thresholds[0] == 0 or counts[0] <= thresholds[0]:
        return None
    if counts[2] > thresholds[2] and full_allowed:
        return 2
    return 1 if counts[1] > thresholds[1] else 0


class _CycleCollector:
    """Automatic cycle collection handed to the vat threads for as long as one is open.

    Process-wide, as the collector is: the first vat to open turns automatic
    collection off and the last to close restores it as it found it.  With
    several vats open at once (tests do that), any of them may collect; a
    cycle holding another vat's objects is then freed on a thread with a KJ
    loop, though not its own, which is still far better than trio's thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = 0
        self._was_enabled = False

    def acquire(self) -> None:
        with self._lock:
            if self._open == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._open += 1

    def release(self) -> None:
        with self._lock:
            self._open -= 1
            if self._open == 0 and self._was_enabled:
                gc.enable()

    @staticmethod
    async def run() -> None:
        """On a vat thread: collect whenever the counts say the interpreter would have."""
        thresholds = gc.get_threshold()
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(COLLECT_EVERY)
            now = time.monotonic()
            generation = generation_due(
                gc.get_count(), thresholds, now - last_full >= FULL_AT_MOST_EVERY
            )
            if generation is not None:
                gc.collect(generation)
                if generation == 2:
                    last_full = now


_collector = _CycleCollector()


def run_on_vat_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to its end on a new loop of the vat's kind, uvloop's (see above)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _name_os_thread(name: str) -> None:
    """Give the calling thread ``name`` in the OS as well (Linux), where ``top -H``,
    py-spy and ``bench net``'s CPU budget read it: otherwise a thread keeps the
    name of the one that started it, here whichever trio worker ran ``_start``."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


class VatClosed(RuntimeError):
    """The vat thread has stopped; no more Cap'n Proto work can run."""


class Connection:
    """One two-party Cap'n Proto connection, owned by the vat thread.

    Use its methods only from code running on the vat (inside ``vat.run``).
    """

    def __init__(
        self, server: capnp.TwoPartyServer | capnp.TwoPartyClient, stream: capnp.AsyncIoStream
    ) -> None:
        self._server: Any = server
        self._stream: Any = stream

    def bootstrap(self) -> Any:
        """The capability the other side exports (a promise until it answers)."""
        return self._server.bootstrap()

    async def disconnected(self) -> None:
        """Returns once the other side has gone away or the link broke."""
        if self._server is None:  # closed on this side already
            return
        try:
            await self._server.on_disconnect()
        except capnp.KjException as exc:
            log.debug("connection ended: %s", exc.description)

    def close(self) -> None:
        """Close the link and drop the pycapnp objects (on the vat thread).

        Dropping them here matters: pycapnp objects freed on another thread
        abort the process, and a trio-side handle may outlive the vat.
        """
        if self._server is not None:
            self._server.close()
            self._stream.close()
        self._server = self._stream = None


class Vat:
    """Handle on the vat thread; create it with ``open_vat()``."""

    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self._trio_token = trio.lowlevel.current_trio_token()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=VAT_THREAD, daemon=True)
        self._failure: BaseException | None = None
        self._connections: set[Connection] = set()

    # -- the thread ----------------------------------------------------------

    def _main(self) -> None:
        _name_os_thread(self._thread.name)

        async def body() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            collecting = asyncio.ensure_future(_collector.run())
            self._ready.set()
            await self._stop.wait()
            collecting.cancel()
            for connection in list(self._connections):
                connection.close()
            self._connections.clear()
            gc.collect()  # this vat's last cycles, while its loop still runs

        try:
            run_on_vat_loop(capnp.run(body()))
        except BaseException as exc:  # reported to whoever waits next
            self._failure = exc
            log.exception("vat thread failed")
        finally:
            self._loop = None
            self._ready.set()

    def _start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._loop is None:
            raise VatClosed(f"the Cap'n Proto thread failed to start: {self._failure!r}")

    def _shutdown(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(stop.set)
        self._thread.join()

    # -- trio -> vat ---------------------------------------------------------

    async def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run coroutine function ``fn(*args)`` on the vat; return its result."""
        loop = self._loop
        if loop is None:
            raise VatClosed("the Cap'n Proto thread has stopped")
        token = trio.lowlevel.current_trio_token()
        done = trio.Event()

        def notify(_: concurrent.futures.Future[T]) -> None:
            with suppress(trio.RunFinishedError):
                token.run_sync_soon(done.set)

        future = asyncio.run_coroutine_threadsafe(_call(fn, args), loop)
        future.add_done_callback(notify)
        try:
            await done.wait()
        except trio.Cancelled:
            future.cancel()
            raise
        return future.result()

    # -- vat -> trio ---------------------------------------------------------

    async def to_trio(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """From the vat thread: run trio async function ``fn(*args)``, await it.

        The task runs in the vat's trio nursery, so it is cancelled when the
        node shuts down; cancelling the awaiting asyncio task cancels it too.
        """
        loop = asyncio.get_running_loop()
        result: asyncio.Future[outcome.Outcome[T]] = loop.create_future()
        scope = trio.CancelScope()

        def deliver(value: outcome.Outcome[T]) -> None:
            if not result.done():
                result.set_result(value)

        async def task() -> None:
            value: outcome.Outcome[T] = outcome.Error(VatClosed("the node is shutting down"))
            try:
                with scope:
                    try:
                        value = outcome.Value(await fn(*args))
                    except Exception as exc:
                        value = outcome.Error(exc)
            finally:
                with suppress(RuntimeError):  # vat loop already gone: nobody waits
                    loop.call_soon_threadsafe(deliver, value)

        try:
            self._trio_token.run_sync_soon(self._nursery.start_soon, task)
        except trio.RunFinishedError as exc:
            raise VatClosed("the node's trio loop has finished") from exc
        try:
            return (await result).unwrap()
        except asyncio.CancelledError:
            with suppress(trio.RunFinishedError):
                self._trio_token.run_sync_soon(scope.cancel)
            raise

    # -- connections (call these on the vat) ---------------------------------

    async def connect(
        self,
        sock: socket.socket,
        bootstrap: Any = None,
        *,
        guest: str | None = None,
        limits: ChannelLimits = DEFAULT_CHANNEL_LIMITS,
    ) -> Connection:
        """Speak two-party RPC on a connected socket; offer ``bootstrap``.

        pycapnp's writes reach the socket in whole messages (``rpc/link.py``).
        A ``guest``'s channel (named for the log) is read through a
        ``MeteredLink``, which bounds its calls in flight and the results it
        leaves unread by ``limits``.  Takes ownership of ``sock``.  Must run
        on the vat (``vat.run``).  The vat closes the connection when it
        stops, if nobody did before.
        """
        if guest is None:
            stream = await link_stream(sock)
        else:
            stream = await metered_stream(sock, guest, limits)
        if bootstrap is None:  # pycapnp's server side insists on a bootstrap
            connection = Connection(capnp.TwoPartyClient(stream), stream)
        else:
            connection = Connection(capnp.TwoPartyServer(stream, bootstrap=bootstrap), stream)
        self._connections.add(connection)
        return connection

    def forget(self, connection: Connection) -> None:
        """Close ``connection`` now (on the vat) and stop tracking it."""
        connection.close()
        self._connections.discard(connection)

    async def drop(self, connection: Connection) -> None:
        """From trio: ``forget`` the connection on the vat."""
        await self.run(_forget, self, connection)


async def _call(fn: Callable[..., Awaitable[T]], args: tuple[Any, ...]) -> T:
    return await fn(*args)


async def _forget(vat: Vat, connection: Connection) -> None:
    vat.forget(connection)


@asynccontextmanager
async def open_vat() -> AsyncIterator[Vat]:
    """Start the vat thread for the duration of the block.

    The yielded ``Vat`` also owns a trio nursery for work the vat hands back
    to trio (``to_trio``); leaving the block cancels that work and stops the
    thread, which cancels whatever still runs on the asyncio side.
    """
    reasons.install()
    _collector.acquire()
    try:
        async with trio.open_nursery() as nursery:
            vat = Vat(nursery)
            await trio.to_thread.run_sync(vat._start)
            try:
                yield vat
            finally:
                nursery.cancel_scope.cancel()
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(vat._shutdown)
    finally:
        _collector.release()
