"""The compile cache stays within its bound however many distinct components arrive."""

from __future__ import annotations

from pathlib import Path

import wasmtime

from wetnode.cell import Engine


def _component(n: int) -> bytes:
    """A small real component, distinct for each ``n``."""
    return bytes(wasmtime.wat2wasm(f'(component (core module (func (export "f{n}"))))'))


def _entries(cache: Path) -> tuple[int, int]:
    """How many artifacts, and how many checksums, the cache holds."""
    components = cache / "components"
    return len(list(components.glob("*.cwasm"))), len(list(components.glob("*.crc32")))


def _compiles(cache: Path, bound: int, n: int) -> bool:
    """Whether a fresh engine must compile component ``n`` (it is not on disk)."""
    with Engine(cache, cache_max_bytes=bound) as engine:
        engine.load(_component(n), f"guest-{n}")
        return engine.compiled == 1


def test_distinct_components_past_the_bound_evict_the_least_recently_used(tmp_path: Path):
    """Issue 12, attack 12: 3,000 tiny components sent to `runBytes` left 6,003 files."""
    with Engine(tmp_path) as sizing:
        sizing.load(_component(100), "sizing")
    (entry,) = [path.stat().st_size for path in (tmp_path / "components").glob("*.cwasm")]
    bound = entry * 7 // 2  # room for three entries

    for n in (1, 2, 3):
        _compiles(tmp_path, bound, n)
    assert not _compiles(tmp_path, bound, 1)  # loaded from disk: now the most recently used
    assert _compiles(tmp_path, bound, 4)  # a fourth evicts the least recently used: 2
    assert not _compiles(tmp_path, bound, 1)
    assert _compiles(tmp_path, bound, 2)

    with Engine(tmp_path, cache_max_bytes=bound) as engine:
        for n in range(10, 40):
            engine.load(_component(n), f"guest-{n}")
    assert _entries(tmp_path) == (3, 3)
