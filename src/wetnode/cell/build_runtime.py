"""The shared agent runtime: one cached component per guest SDK and componentize-py version.

The runtime is `wetnode.guest.runtime` built by componentize-py (CPython, the
guest SDK and the bundled standard library, ~27 MB).  It does not depend on
any agent, so it is built once, on the first `ww build` that needs it, and
every agent's `boot/main.wasm` is a copy of the cached file: the same bytes,
so wasmtime compiles it once for every agent (the compile cache is keyed on
content) and IPFS stores one block set for every image.

The cache key is the componentize-py version and a digest of the SDK's own
sources (the package version alone would miss an edited checkout), so a
changed SDK gets a new runtime and an unchanged one is never rebuilt.  Two
builds at once (two terminals, parallel tests) take a lock: the second waits
for the first and uses its file.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
from pathlib import Path

import wetnode
from wetnode.cell.componentize import componentize
from wetnode.errors import CellError
from wetnode.notice import note
from wetnode.paths import user_cache_dir

ENTRY_MODULE = "wetnode.guest.runtime"

_PACKAGE = Path(wetnode.__file__).resolve().parent
_SDK_SOURCES = ("__init__.py", "codec.py", "capnproto", "guest", "cell/wit")
"""What the runtime is made of, relative to the wetnode package: its cache key."""


def runtime_key() -> str:
    """`<wetnode version>-<componentize-py version>-<digest of the SDK sources>`."""
    digest = hashlib.blake2b(digest_size=8)
    for path in _sdk_files():
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    componentize = importlib.metadata.version("componentize-py")
    return f"{wetnode.__version__}-cpy{componentize}-{digest.hexdigest()}"


def runtime_path(cache_dir: Path | None = None) -> Path:
    """Where the runtime for this SDK is cached (it may not be built yet)."""
    return (cache_dir or user_cache_dir()) / "runtime" / f"agent-runtime-{runtime_key()}.wasm"


def ensure_runtime(cache_dir: Path | None = None) -> Path:
    """The cached runtime component, built first if this SDK has none (with progress).

    Raises `CellError` if componentize-py is missing or fails.  Ctrl-C stops
    the build and leaves nothing behind (KeyboardInterrupt propagates).
    """
    path = runtime_path(cache_dir)
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_suffix(".lock"), "w")  # noqa: SIM115 (held until the build ends)
    except OSError as exc:
        raise CellError(
            f"cannot write the agent runtime cache {path.parent}: {exc.strerror} "
            "(set WW_RUNTIME_CACHE to a writable directory)"
        ) from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():  # another build may have made it while we waited
            _build(path)
    return path


def _build(path: Path) -> None:
    note(f"building the shared agent runtime (once for this SDK, ~15-60 s): {path}")
    componentize(ENTRY_MODULE, [], path, "the agent runtime")


def _sdk_files() -> list[Path]:
    files: list[Path] = []
    for name in _SDK_SOURCES:
        source = _PACKAGE / name
        if source.is_file():
            files.append(source)
        else:
            files.extend(p for p in source.rglob("*") if p.is_file() and _is_source(p))
    return sorted(files)


def _is_source(path: Path) -> bool:
    return path.suffix in (".py", ".wit") and "__pycache__" not in path.parts
