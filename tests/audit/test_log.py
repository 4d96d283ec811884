"""The node's audit log with a real SQLite file: batches, signed heads, the one-writer rule."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import trio

from wetnode.audit.chain import verify
from wetnode.audit.errors import AuditError
from wetnode.audit.log import open_audit_log
from wetnode.audit.query import find_log
from wetnode.audit.store import AuditStore, log_path
from wetnode.keys import NodeKey


async def test_events_recorded_on_another_thread_are_flushed_chained_and_signed_at_close(
    tmp_path: Path,
):
    key = NodeKey.generate()
    async with open_audit_log(tmp_path, key, flush_interval=0.05, sign_every=100) as audit:
        tap = audit.tap("pid0")

        def calls() -> None:
            for _ in range(250):
                tap.call(0, "Executor.echo", None, 16, 16, 0)

        worker = threading.Thread(target=calls)
        worker.start()
        await trio.to_thread.run_sync(worker.join)
    store = AuditStore.read(log_path(tmp_path, str(key.peer_id)))
    rows = list(store.rows())
    heads = store.heads()
    report = verify(rows, heads, key.public_key)
    assert report.broken is None
    assert [r.event()["kind"] for r in rows[:1] + rows[-1:]] == ["start", "stop"]
    assert sum(r.event()["kind"] == "call" for r in rows) == 250
    assert report.last_signed == len(rows)  # the close signs the very last event
    assert store.peer() == str(key.peer_id)


async def test_a_second_node_with_the_same_key_cannot_open_the_log(tmp_path: Path):
    key = NodeKey.generate()
    async with open_audit_log(tmp_path, key, flush_interval=1, sign_every=10) as audit:
        audit.tap("pid0").event("graft", 0)
        await audit.flush()
        with pytest.raises(AuditError, match="held by another running node with the same key"):
            AuditStore.open(log_path(tmp_path, str(key.peer_id)), str(key.peer_id))


async def test_a_reopened_log_continues_the_chain(tmp_path: Path):
    key = NodeKey.generate()
    for _ in range(2):
        async with open_audit_log(tmp_path, key, flush_interval=1, sign_every=10) as audit:
            audit.tap("pid0").event("graft", 0)
    store = AuditStore.read(log_path(tmp_path, str(key.peer_id)))
    rows = list(store.rows())
    assert [r.event()["kind"] for r in rows] == ["start", "graft", "stop"] * 2
    assert verify(rows, store.heads(), key.public_key).broken is None


async def test_a_node_that_recorded_nothing_leaves_no_file(tmp_path: Path):
    async with open_audit_log(tmp_path, NodeKey.generate(), flush_interval=0.01, sign_every=10):
        await trio.sleep(0.05)  # sleep-ok: several writer wake-ups with nothing to write
    assert list(tmp_path.iterdir()) == []


async def _old_logs(directory: Path, count: int) -> list[Path]:
    """``count`` finished ephemeral-key logs in ``directory``, oldest first by mtime."""
    paths = []
    for age in range(count, 0, -1):
        key = NodeKey.generate()
        async with open_audit_log(
            directory, key, flush_interval=1, sign_every=10, ephemeral_keep=100
        ) as audit:
            audit.tap("pid0").event("graft", 0)
        path = log_path(directory, str(key.peer_id), ephemeral=True)
        os.utime(path, (1_000_000 - age, 1_000_000 - age))
        paths.append(path)
    return paths


async def test_an_ephemeral_key_logs_apart_and_the_oldest_beyond_the_bound_are_removed(
    tmp_path: Path,
):
    old = await _old_logs(tmp_path, 4)
    held = AuditStore.open(old[0], AuditStore.read(old[0]).peer())  # a node still running
    key = NodeKey.generate()
    try:
        async with open_audit_log(
            tmp_path, key, flush_interval=1, sign_every=10, ephemeral_keep=3
        ) as audit:
            audit.tap("pid0").event("graft", 0)
    finally:
        held.close()
    mine = log_path(tmp_path, str(key.peer_id), ephemeral=True)
    left = sorted((tmp_path / "ephemeral").iterdir())
    # Three kept (this one and the two newest), and the held one: never removed under a node.
    assert [p for p in left if p.suffix == ".sqlite"] == sorted([mine, old[3], old[2], old[0]])
    assert not any(p.name.startswith(old[1].name) for p in left)  # its -wal and .lock too
    assert not list(tmp_path.glob("*.sqlite"))  # nothing of an ephemeral key in audit/ itself


async def test_ww_audit_finds_the_newest_log_of_either_kind(tmp_path: Path):
    (ephemeral,) = await _old_logs(tmp_path, 1)
    assert find_log(tmp_path, path=None, peer=None) == (ephemeral, True)
    kept = NodeKey.generate()
    async with open_audit_log(tmp_path, kept, flush_interval=1, sign_every=10) as audit:
        audit.tap("pid0").event("graft", 0)
    assert find_log(tmp_path, path=None, peer=None) == (log_path(tmp_path, str(kept.peer_id)), True)
    by_peer = find_log(tmp_path, path=None, peer=AuditStore.read(ephemeral).peer())
    assert by_peer == (ephemeral, False)
