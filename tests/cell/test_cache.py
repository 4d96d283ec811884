"""The compile cache: a second start does not compile; a bad entry is recompiled."""

from __future__ import annotations

import os
from pathlib import Path

import wasmtime
from wasmtime.component import Component

from wetnode.cell import Engine, Exit, GuestSpec, open_cell
from wetnode.cell.cache import CompileCache, cache_key
from wetnode.cell.engine import ENGINE_FINGERPRINT

ANSWER = bytes(
    wasmtime.wat2wasm(
        """(component
             (core module $m (func (export "run") (result i32) i32.const 42))
             (core instance $i (instantiate $m))
             (func (export "run") (result s32) (canon lift (core func $i "run"))))"""
    )
)


def entry(cache_dir: Path, wasm: bytes) -> Path:
    return cache_dir / "components" / f"{cache_key(wasm, ENGINE_FINGERPRINT)}.cwasm"


async def run_answer(engine: Engine) -> Exit:
    async with open_cell(engine, GuestSpec(ANSWER, name="answer")) as cell:
        return await cell.wait()


async def test_second_start_of_a_python_guest_hits_the_disk_cache(
    engine: Engine, probe, cache_dir: Path
) -> None:
    async with open_cell(engine, probe("return", "0")) as cell:  # compiled here at most once
        await cell.wait()
    with Engine(cache_dir) as fresh:
        async with open_cell(fresh, probe("return", "4")) as cell:
            assert await cell.wait() == Exit(4)
        assert fresh.compiled == 0


async def test_corrupt_cache_entry_is_recompiled(tmp_path: Path) -> None:
    with Engine(tmp_path) as first:
        assert await run_answer(first) == Exit(42)
        assert first.compiled == 1
    artifact = entry(tmp_path, ANSWER)
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(data)

    with Engine(tmp_path) as second:
        assert await run_answer(second) == Exit(42)
        assert second.compiled == 1
    with Engine(tmp_path) as third:  # the rewritten entry is good again
        assert await run_answer(third) == Exit(42)
        assert third.compiled == 0


async def test_foreign_cache_entry_with_a_valid_digest_is_recompiled(tmp_path: Path) -> None:
    """An artifact from other engine settings (or another wasmtime) must not load."""
    with Engine(tmp_path) as first:
        await run_answer(first)
    other = wasmtime.Engine(wasmtime.Config())  # no epoch interruption: incompatible code
    foreign = bytes(Component(other, ANSWER).serialize())
    CompileCache(tmp_path).store(cache_key(ANSWER, ENGINE_FINGERPRINT), foreign)
    with Engine(tmp_path) as second:
        assert await run_answer(second) == Exit(42)
        assert second.compiled == 1


async def test_truncated_or_missing_digest_is_recompiled(tmp_path: Path) -> None:
    with Engine(tmp_path) as first:
        await run_answer(first)
    artifact = entry(tmp_path, ANSWER)
    artifact.write_bytes(artifact.read_bytes()[:100])
    artifact.with_suffix(".crc32").unlink()
    with Engine(tmp_path) as second:
        assert await run_answer(second) == Exit(42)
        assert second.compiled == 1


async def test_bytes_spawned_again_reuse_their_component_and_lookalikes_do_not(
    tmp_path: Path,
) -> None:
    """Bytes seen before skip the hash; bytes of the same length and sample still differ."""
    lookalike = ANSWER.replace(b"\x41\x2a", b"\x41\x2b", 1)  # i32.const 43: one byte apart
    assert len(lookalike) == len(ANSWER) and lookalike != ANSWER
    with Engine(tmp_path) as engine:
        assert engine.load(ANSWER, "answer") is engine.load(bytes(ANSWER), "answer")
        assert engine.compiled == 1
        async with open_cell(engine, GuestSpec(lookalike, name="lookalike")) as cell:
            assert await cell.wait() == Exit(43)
        assert engine.compiled == 2


async def test_a_new_engine_knows_an_unchanged_file_by_its_identity_and_sees_any_change(
    tmp_path: Path,
) -> None:
    """The file-identity index: no read at all while (path, inode, size, mtime) hold."""
    guest = tmp_path / "guest.wasm"
    guest.write_bytes(ANSWER)
    with Engine(tmp_path / "cache") as first:
        first.load(guest, "answer")
    before = guest.stat()
    guest.write_bytes(ANSWER.replace(b"\x41\x2a", b"\x41\x2b", 1))  # same size and inode
    os.utime(guest, ns=(before.st_atime_ns, before.st_mtime_ns))
    with Engine(tmp_path / "cache") as second:  # the identity still matches: not read
        async with open_cell(second, GuestSpec(guest, name="answer")) as cell:
            assert await cell.wait() == Exit(42)
        assert second.compiled == 0
    os.utime(guest, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    with Engine(tmp_path / "cache") as third:  # changed: hashed and compiled afresh
        async with open_cell(third, GuestSpec(guest, name="answer")) as cell:
            assert await cell.wait() == Exit(43)
        assert third.compiled == 1


async def test_a_fresh_compile_runs_from_the_mapped_cache_file_not_a_private_copy(
    tmp_path: Path,
) -> None:
    """The compiled code's pages are the cache file's (shared, reclaimable): a node's
    first boot does not keep a private copy of its ~35 MB artifact for its lifetime."""
    with Engine(tmp_path) as engine:
        assert (await run_answer(engine)).code == 42
        assert engine.compiled == 1
        mapped = Path("/proc/self/maps").read_text()
        assert str(entry(tmp_path, ANSWER)) in mapped
