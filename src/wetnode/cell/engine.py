"""The one wasmtime engine of a node process: settings, epoch ticker, compiled components.

Why one engine: compiled components are tied to the engine that produced them,
and epoch interruption needs a single clock to tick.  The ticker is a thread
(not a trio task) because wasmtime's epochs must advance even while the trio
loop is busy; each guest's store decides on every tick whether to continue
(see `capi.py`), which is how one guest is stopped without touching others.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from types import TracebackType

import wasmtime
from wasmtime.component import Component

from wetnode.cell.cache import CompileCache, FileIdentity, cache_key, default_cache_dir
from wetnode.cell.limits import CACHE_MAX_BYTES
from wetnode.errors import CellError
from wetnode.notice import note

TICK_SECONDS = 0.01
"""Epoch period: the worst-case delay before a running guest notices a stop or a CPU limit."""

# Everything in the wasmtime Config that changes compiled code; part of the cache key.
ENGINE_FINGERPRINT = "epoch_interruption=1"

WASM_MAGIC = b"\0asm"
CORE_MODULE_VERSION = b"\x01\x00\x00\x00"


class Engine:
    """Compiles and caches components; ticks the epoch for every guest it runs.

    Use as a context manager (or call `close()`): closing stops the ticker and
    frees compiled code before interpreter exit, which keeps wasmtime from
    tearing down under a still-running thread.
    """

    def __init__(
        self, cache_dir: Path | None = None, cache_max_bytes: int = CACHE_MAX_BYTES
    ) -> None:
        config = wasmtime.Config()
        config.epoch_interruption = True
        self.wasmtime = wasmtime.Engine(config)
        self.cache = CompileCache(cache_dir or default_cache_dir(), cache_max_bytes)
        self.compiled = 0
        """How many components this engine compiled (cache misses)."""
        self._components: dict[str, Component] = {}
        # An unchanged file keeps its key: a warm start neither reads nor hashes ~20 MB.
        self._file_keys: dict[FileIdentity, str] = {}
        # Bytes seen before (a child spawned again with runBytes) find their key by
        # an exact comparison, a few ms, where hashing 20 MB again costs 30-100 ms.
        self._byte_keys: dict[tuple[int, int], tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="wasm-epoch", daemon=True)
        self._ticker.start()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the ticker, free compiled components and the engine (guests must have ended).

        A compile abandoned by Ctrl-C still holds the lock: then nothing is
        freed (its thread still uses the engine) and the process exit ends it,
        rather than the user waiting out a compile they interrupted.
        """
        self._closing.set()
        self._ticker.join()
        if not self._lock.acquire(blocking=False):
            return
        try:
            for component in self._components.values():
                component.close()
            self._components.clear()
            self._byte_keys.clear()
            self.wasmtime.close()
        finally:
            self._lock.release()

    def load(self, source: bytes | Path, name: str) -> Component:
        """The compiled component for `source`: from memory, the disk cache, or compiled now.

        Blocking (a compile takes seconds): call it from a worker thread.
        Raises `CellError` for anything that is not a WebAssembly component.
        """
        with self._lock:
            path = source if isinstance(source, Path) else None
            identity = _file_identity(path) if path is not None else None
            key = self._known_key(source, identity)
            if key is not None and key in self._components:
                return self._components[key]
            if key is not None and (cached := self.cache.load(self.wasmtime, key)):
                self._components[key] = cached
                return cached
            wasm = _read_wasm(source, name)
            key = cache_key(wasm, ENGINE_FINGERPRINT)
            if path is not None and identity is not None and identity == _file_identity(path):
                self._file_keys[identity] = key
                self.cache.remember_source(identity, key)
            elif isinstance(source, bytes):
                self._byte_keys[_sample(source)] = (source, key)
            if key not in self._components:
                self._components[key] = (
                    self.cache.load(self.wasmtime, key) or self._compile(wasm, key, name)
                )
            return self._components[key]

    def _known_key(self, source: bytes | Path, identity: FileIdentity | None) -> str | None:
        """The cache key of `source` without reading or hashing it, if known."""
        if identity is not None:
            return self._file_keys.get(identity) or self.cache.source_key(identity)
        if isinstance(source, bytes):
            seen = self._byte_keys.get(_sample(source))
            return seen[1] if seen is not None and seen[0] == source else None
        return None

    def _compile(self, wasm: bytes, key: str, name: str) -> Component:
        note(f"compiling guest {name} (one-time, cached)…")
        try:
            component = Component(self.wasmtime, wasm)
        except wasmtime.WasmtimeError as exc:
            raise CellError(
                f"{name} is not a valid WebAssembly component: {_first_line(exc)}"
            ) from exc
        self.compiled += 1
        self.cache.store(key, bytes(component.serialize()))
        # The stored artifact, mapped from its file, replaces the compiled copy: its
        # pages are the file's (shared with every node on this cache, and reclaimable)
        # where the compiled copy's stay private for the process's lifetime.
        # (It stays if the cache could not be written.)  Compiling leaves a few hundred
        # MB freed but held by the allocator; they go back to the system too.
        component = self.cache.load(self.wasmtime, key) or component
        release_freed_memory()
        return component

    def _tick(self) -> None:
        while not self._closing.wait(TICK_SECONDS):
            self.wasmtime.increment_epoch()


def release_freed_memory() -> None:
    """Hand memory the C allocator holds freed back to the system (glibc's
    `malloc_trim`; elsewhere nothing)."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


def _sample(wasm: bytes) -> tuple[int, int]:
    """A cheap fingerprint (length, every 4093rd byte) to find candidate bytes seen before."""
    return len(wasm), hash(wasm[::4093])


def _file_identity(path: Path) -> FileIdentity | None:
    try:
        stat = path.stat()
    except OSError:
        return None  # _read_wasm reports it
    return (str(path.resolve()), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _read_wasm(source: bytes | Path, name: str) -> bytes:
    if isinstance(source, Path):
        try:
            wasm = source.read_bytes()
        except OSError as exc:
            raise CellError(f"cannot read guest {source}: {exc.strerror}") from exc
    else:
        wasm = source
    if wasm[:4] != WASM_MAGIC:
        raise CellError(f"{name} is not a WebAssembly file (no \\0asm header)")
    if wasm[4:8] == CORE_MODULE_VERSION:
        raise CellError(
            f"{name} is a core WebAssembly module; wetnode runs components "
            "(WASI 0.2): build it with `ww build` or for wasm32-wasip2"
        )
    return wasm


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
