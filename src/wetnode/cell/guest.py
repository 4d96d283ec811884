"""One guest instance, built on the caller's thread and run once on its own.

Synchronous on purpose: wasmtime calls block, so the trio side (`cell.py`)
runs `Guest.run` in a worker thread and only ever calls the thread-safe
`Guest.stop` from outside.  Everything the guest can reach is decided here:
the preopened root (read-only), argv, env, stdio, the channel, and nothing
else (wasmtime's WASI denies every socket address and name lookup unless
told otherwise, and we never tell it).
"""

from __future__ import annotations

import logging
import socket
import time

import wasmtime
from wasmtime.component import S32, Component, Func, Linker

from wetnode.cell.capi import install_epoch_check
from wetnode.cell.channel import GuestChannel
from wetnode.cell.engine import Engine
from wetnode.cell.spec import EXIT_KILLED, EXIT_TRAP, Exit, GuestSpec
from wetnode.cell.stdio import HostStdio, bind_stdio
from wetnode.errors import CellError

log = logging.getLogger(__name__)

WORLD = "wetware:guest/guest"


class Guest:
    """An instantiated guest.  `run()` once (on its own thread); `stop()` from anywhere.

    Raises `CellError` if the component does not fit the world (missing or
    unknown imports, no `run: func() -> s32` export).
    """

    def __init__(self, engine: Engine, component: Component, spec: GuestSpec,
                 channel_end: socket.socket) -> None:
        self.name = spec.name
        self.limits = spec.limits
        self._stop_reason: str | None = None
        # CPU time is per thread and worker threads are reused: count from here
        # (instantiation runs guest code too), then again from `run` on its thread.
        self._cpu_started = time.thread_time()
        self._channel = GuestChannel(channel_end)
        self._store = wasmtime.Store(engine.wasmtime)
        self.stdio = HostStdio()
        try:
            self._configure(spec)
            self._func = self._instantiate(engine, component)
        except BaseException:
            self._release()
            self.stdio.close()
            raise

    def _configure(self, spec: GuestSpec) -> None:
        if spec.limits.memory_bytes is not None:
            self._store.set_limits(memory_size=spec.limits.memory_bytes)
        self._epoch_callback = install_epoch_check(self._store, self._check)
        wasi = wasmtime.WasiConfig()
        wasi.argv = [spec.name, *spec.args]
        wasi.env = list(spec.env.items())
        if spec.root is not None:
            wasi.preopen_dir(str(spec.root), "/", fs_mutable=False)
        self.stdio = bind_stdio(wasi, spec.stdio)
        self._store.set_wasi(wasi)

    def _instantiate(self, engine: Engine, component: Component) -> Func:
        linker = Linker(engine.wasmtime)
        try:
            linker.add_wasip2()
            self._channel.define(linker)
            try:
                instance = linker.instantiate(self._store, component)
            except wasmtime.WasmtimeError as exc:
                raise CellError(
                    f"{self.name} does not fit world {WORLD}: {_summary(exc)}"
                ) from exc
        finally:
            linker.close()
        func = instance.get_func(self._store, "run")
        if func is None:
            raise CellError(f"{self.name} exports no `run` function: build it for world {WORLD}")
        func_type = func.type(self._store)
        if func_type.params or not isinstance(func_type.result, S32):
            raise CellError(
                f"{self.name} exports `run` with the wrong type: expected func() -> s32"
            )
        return func

    def run(self) -> Exit:
        """Call the guest's `run` and report how it ended; frees the store either way.

        Once a stop was requested the guest counts as stopped, even if it got
        to return first (say, on the EOF that closing its stdin caused).
        """
        self._cpu_started = time.thread_time()
        try:
            exit = Exit(self._func(self._store))
        except wasmtime.ExitTrap as exc:
            exit = Exit(exc.code)
        except wasmtime.WasmtimeError as exc:
            log.debug("guest %s trapped: %s", self.name, exc)
            exit = Exit(EXIT_TRAP, f"trap: {_summary(exc)}")
        finally:
            self._release()
        if self._stop_reason is not None:
            return Exit(EXIT_KILLED, self._stop_reason)
        return exit

    def stop(self, reason: str) -> None:
        """End the guest within one epoch tick, even in a tight loop or a blocked channel read.

        Thread-safe; the first reason wins.
        """
        if self._stop_reason is None:
            self._stop_reason = reason
        self._channel.stop(self._stop_reason)

    def _check(self) -> str | None:
        """Epoch tick, on the guest's thread: trap if stopped or over the CPU limit."""
        cpu_limit = self.limits.cpu_seconds
        if (
            self._stop_reason is None
            and cpu_limit is not None
            and time.thread_time() - self._cpu_started > cpu_limit
        ):
            self._stop_reason = f"CPU limit of {cpu_limit:g} s exceeded"
        return self._stop_reason

    def _release(self) -> None:
        """Drop the store (closing WASI's files and pipe ends) and the channel end."""
        self._store.close()
        self._channel.close()


def _summary(exc: BaseException) -> str:
    """The cause of a wasmtime error in one line (its text is a multi-line backtrace)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if "Caused by:" in lines:
        causes = lines[lines.index("Caused by:") + 1:]
        if causes:
            return causes[-1]
    return lines[0] if lines else type(exc).__name__
