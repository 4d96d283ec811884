"""The approvals file the node and `ww approve` share: ``$WW_HOME/approvals.sqlite``.

The node adds proposals and sets their status; `ww approve sign` adds
signatures.  Each change is one transaction (``BEGIN IMMEDIATE``: a signer
checks the rules and adds its row under the same write lock, so two signers
cannot both pass a check that only one should), and the primary key
``(proposal, address)`` keeps a second signature by the same address out
even so.  Methods block on disk: the node calls them in a worker thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wetnode.approvals.errors import ApprovalError
from wetnode.approvals.proposal import Proposal, Signature, check

SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (id TEXT PRIMARY KEY, body BLOB NOT NULL,
                                      status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signatures (id TEXT NOT NULL, address TEXT NOT NULL,
                                       decision TEXT NOT NULL, signature BLOB NOT NULL,
                                       PRIMARY KEY (id, address));
"""
BUSY_TIMEOUT = 10.0  # seconds a writer waits for another's transaction


def approvals_path(home: Path) -> Path:
    """The approvals file of data dir ``home``."""
    return home / "approvals.sqlite"


class ApprovalStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ApprovalError(f"approvals file {path}: {exc}") from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add(self, proposal: Proposal) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO proposals VALUES (?, ?, 'pending')", (proposal.id, proposal.encode())
            )

    def get(self, proposal_id: str) -> tuple[Proposal, str, list[Signature]]:
        """The proposal, its status and the signatures that counted."""
        row = self._db.execute(
            "SELECT body, status FROM proposals WHERE id = ?", (proposal_id.lower(),)
        ).fetchone()
        if row is None:
            raise ApprovalError(f"no proposal {proposal_id} in {self.path}: see `ww approve list`")
        signatures = [
            Signature(address, decision, bytes(sig))
            for address, decision, sig in self._db.execute(
                "SELECT address, decision, signature FROM signatures WHERE id = ? ORDER BY rowid",
                (proposal_id.lower(),),
            )
        ]
        return Proposal.decode(row[0]), str(row[1]), signatures

    def proposals(self) -> list[tuple[Proposal, str]]:
        rows = self._db.execute("SELECT body, status FROM proposals ORDER BY rowid")
        return [(Proposal.decode(body), str(status)) for body, status in rows]

    def sign(self, proposal_id: str, decision: str, signature: bytes, now: float) -> Signature:
        """Add ``signature`` if it counts (`proposal.check`); else `SignatureRefused`."""
        with self._write() as db:
            proposal, status, earlier = self.get(proposal_id)
            counted = check(proposal, status, decision, signature, earlier, now)
            db.execute(
                "INSERT INTO signatures VALUES (?, ?, ?, ?)",
                (proposal.id, counted.address, counted.decision, counted.signature),
            )
        return counted

    def settle(self, proposal_id: str, status: str) -> None:
        with self._write() as db:
            db.execute("UPDATE proposals SET status = ? WHERE id = ?", (status, proposal_id))

    def close(self) -> None:
        self._db.close()
