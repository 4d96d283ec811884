"""The audit log on disk: one SQLite file per node key, append-only.

Tables: ``events (seq, body, hash)`` (`chain.Row`), ``heads (seq, hash,
signature)`` (`chain.Head`) and ``meta`` (the peer ID whose key signs the
heads).  Triggers refuse UPDATE and DELETE on events and heads, so the node
and ordinary tools can only append; someone who edits the file anyway is
caught by `chain.verify`.

Each `append` is one transaction, in WAL mode with ``synchronous=FULL``: once
it returns the batch survives a crash of the process or the machine, and a
crash during it leaves the log as it was before the batch.  All methods
block on disk: the node calls them from a worker thread, never on a call's
path (`wetnode.audit.log`).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from wetnode.audit.chain import Head, Row
from wetnode.audit.errors import AuditError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body BLOB NOT NULL,
                                   hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS heads (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL,
                                  signature BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS heads_no_update BEFORE UPDATE ON heads
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS heads_no_delete BEFORE DELETE ON heads
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
SUFFIX = ".sqlite"
EPHEMERAL = "ephemeral"  # the subdirectory for logs of nodes whose key dies with them


def log_path(directory: Path, peer_id: str, *, ephemeral: bool = False) -> Path:
    """Where the node with ``peer_id`` keeps its log (``directory`` is the data dir's audit/)."""
    return (directory / EPHEMERAL if ephemeral else directory) / f"{peer_id}{SUFFIX}"


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` logs in ``directory``; return the removed ones.

    For the logs of ephemeral-key nodes only: no key will ever write to them
    again, and one file per run would otherwise pile up without end.  A log a
    running node holds is never removed (its lock is taken before removing).
    """
    logs = sorted(directory.glob(f"*{SUFFIX}"), key=_mtime, reverse=True)
    removed = []
    for path in logs[keep:]:
        try:
            lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            for part in ("", "-wal", "-shm", ".lock"):  # removed while the lock is held
                Path(f"{path}{part}").unlink(missing_ok=True)
            removed.append(path)
        except BlockingIOError:
            pass  # a running node's
        finally:
            os.close(lock)
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile: oldest of all
        return 0.0


class AuditStore:
    """One open log file; `open` for the node (exclusive), `read` for `ww audit`."""

    def __init__(self, path: Path, db: sqlite3.Connection, lock: int | None) -> None:
        self.path = path
        self._db = db
        self._lock = lock

    @classmethod
    def open(cls, path: Path, peer_id: str) -> AuditStore:
        """Open (creating) the log a node writes; only one node may hold it."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditError(f"audit log {path}: cannot create it ({exc.strerror})") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise AuditError(
                f"audit log {path} is held by another running node with the same key; "
                "stop it, give this one another --identity, or pass --audit off"
            ) from None
        try:
            db = _connect(path)
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('peer', ?)", (peer_id,))
            db.commit()
        except sqlite3.Error as exc:
            os.close(lock)
            raise AuditError(f"audit log {path}: {exc}") from None
        store = cls(path, db, lock)
        if (stored := store.peer()) != peer_id:
            store.close()
            raise AuditError(f"audit log {path} belongs to peer {stored}, not {peer_id}")
        return store

    @classmethod
    def read(cls, path: Path) -> AuditStore:
        """Open an existing log for reading (a node may be writing it meanwhile)."""
        if not path.is_file():
            raise AuditError(f"audit log {path}: no such file")
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            db.execute("SELECT count(*) FROM events").fetchone()
        except sqlite3.Error as exc:
            raise AuditError(f"audit log {path}: not readable as an audit log ({exc})") from None
        return cls(path, db, None)

    def peer(self) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'peer'").fetchone()
        if row is None:
            raise AuditError(f"audit log {self.path}: it names no peer")
        return str(row[0])

    def last(self) -> Row | None:
        """The last stored event, where the chain continues."""
        found = self._db.execute("SELECT seq, body, hash FROM events ORDER BY seq DESC LIMIT 1")
        row = found.fetchone()
        return None if row is None else Row(row[0], bytes(row[1]), bytes(row[2]))

    def append(self, rows: Sequence[Row], head: Head | None = None) -> None:
        """Add ``rows`` (and ``head``) in one durable transaction."""
        with self._db:
            self._db.executemany(
                "INSERT INTO events VALUES (?, ?, ?)", [(r.seq, r.body, r.hash) for r in rows]
            )
            if head is not None:
                self._db.execute(
                    "INSERT INTO heads VALUES (?, ?, ?)", (head.seq, head.hash, head.signature)
                )

    def rows(self, after: int = 0) -> Iterator[Row]:
        """Events with ``seq > after``, in order (streamed)."""
        cursor = self._db.execute(
            "SELECT seq, body, hash FROM events WHERE seq > ? ORDER BY seq", (after,)
        )
        for seq, body, hash_ in cursor:
            yield Row(seq, bytes(body), bytes(hash_))

    def heads(self) -> list[Head]:
        cursor = self._db.execute("SELECT seq, hash, signature FROM heads ORDER BY seq")
        return [Head(seq, bytes(h), bytes(s)) for seq, h, s in cursor]

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db
