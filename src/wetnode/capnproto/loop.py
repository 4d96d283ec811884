"""A tiny single-threaded coroutine runner and future, with no asyncio.

componentize-py runs CPython on single-threaded WASI where asyncio's event
loop machinery may be unavailable; the guest only needs "run ready tasks, then
block on the channel", so this is all it takes.  Futures are plain state
holders with callbacks, which also lets the sans-IO protocol resolve them
without knowing about any loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from typing import Any

_PENDING = object()


class Future:
    """A value that arrives later; `await fut` suspends the task until then."""

    __slots__ = ("_callbacks", "_error", "_value")

    def __init__(self) -> None:
        self._value: Any = _PENDING
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []

    def done(self) -> bool:
        return self._value is not _PENDING or self._error is not None

    def set_result(self, value: Any) -> None:
        if self.done():
            return
        self._value = value
        self._fire()

    def set_exception(self, error: BaseException) -> None:
        if self.done():
            return
        self._error = error
        self._fire()

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        if self._value is _PENDING:
            raise RuntimeError("future is not done")
        return self._value

    def exception(self) -> BaseException | None:
        return self._error

    def add_done_callback(self, fn: Callable[[Future], None]) -> None:
        if self.done():
            fn(self)
        else:
            self._callbacks.append(fn)

    def _fire(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn(self)

    def __await__(self) -> Generator[Future, None, Any]:
        if not self.done():
            yield self
        return self.result()


class Task(Future):
    """A coroutine being driven by a Loop; itself a future of its result."""

    __slots__ = ("_coro", "_loop")

    def __init__(self, loop: Loop, coro: Coroutine[Any, Any, Any]) -> None:
        super().__init__()
        self._loop = loop
        self._coro = coro

    def _step(self, sent: Future | None) -> None:
        try:
            if sent is not None and sent.exception() is not None:
                waiting_on = self._coro.throw(sent.exception())  # type: ignore[arg-type]
            else:
                waiting_on = self._coro.send(None)
        except StopIteration as stop:
            self.set_result(stop.value)
            return
        except BaseException as exc:
            self.set_exception(exc)
            return
        if not isinstance(waiting_on, Future):
            waiting_on = Future()
            waiting_on.set_exception(
                TypeError("tasks can only await wetnode.capnproto futures and promises")
            )
        waiting_on.add_done_callback(self._loop._wake(self))


class Loop:
    """Runs ready tasks; the caller decides what to do (block on I/O) when none are."""

    def __init__(self) -> None:
        self._ready: deque[tuple[Task, Future | None]] = deque()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> Task:
        task = Task(self, coro)
        self._ready.append((task, None))
        return task

    def _wake(self, task: Task) -> Callable[[Future], None]:
        return lambda fut: self._ready.append((task, fut))

    def run_ready(self) -> None:
        ready = self._ready
        while ready:
            task, fut = ready.popleft()
            task._step(fut)

    def has_ready(self) -> bool:
        return bool(self._ready)


try:  # one loop per thread natively (tests run several vats); WASI has one thread
    import threading

    _current: Any = threading.local()
except ImportError:  # pragma: no cover - interpreters built without threads
    import types

    _current = types.SimpleNamespace(loop=None)


def current_loop() -> Loop:
    """The loop of the running vat (servers' calls are spawned on it)."""
    loop = getattr(_current, "loop", None)
    if loop is None:
        raise RuntimeError("no wetnode.capnproto loop is running in this thread")
    return loop


def set_current_loop(loop: Loop | None) -> Loop | None:
    previous = getattr(_current, "loop", None)
    _current.loop = loop
    return previous


async def gather(awaitables: Iterable[Awaitable[Any]]) -> list[Any]:
    """Await several results (calls are already in flight once made)."""
    return [await a for a in list(awaitables)]
