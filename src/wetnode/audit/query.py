"""What `ww audit` reads: which log, which events, how they print.

Filters are pure functions of an event's fields, so the same `Filter`
serves a listing and ``--follow``.  Times on the command line are ISO 8601
(``2026-12-01T13:00``, UTC unless it says otherwise) or an age such as
``10m`` (s, m, h, d).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wetnode.audit.chain import Report, verify
from wetnode.audit.errors import AuditError
from wetnode.audit.store import EPHEMERAL, SUFFIX, AuditStore, log_path
from wetnode.codec import b58decode
from wetnode.keys import peer_public_key

_AGE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(text: str, now: float) -> int:
    """Microseconds since the Unix epoch for ``--since``/``--until`` text."""
    if match := _AGE.match(text.strip()):
        return int((now - float(match[1]) * _UNIT[match[2]]) * 1e6)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO time (2026-12-01T13:00) nor an age (10m)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1e6)


def find_log(directory: Path, *, path: Path | None, peer: str | None) -> tuple[Path, bool]:
    """The log to read and whether it was picked for the user.

    Picked: the newest in ``directory`` or its ``ephemeral/`` (the logs of
    nodes that ran with an ephemeral key).  ``peer`` looks in both.
    """
    if path is not None:
        return path, False
    if peer is not None:
        kept = log_path(directory, peer)
        ephemeral = log_path(directory, peer, ephemeral=True)
        return (ephemeral if not kept.exists() and ephemeral.exists() else kept), False
    found = [*directory.glob(f"*{SUFFIX}"), *(directory / EPHEMERAL).glob(f"*{SUFFIX}")]
    logs = sorted(found, key=lambda p: p.stat().st_mtime)
    if not logs:
        raise AuditError(f"no audit log in {directory}: run a node first, or pass --log PATH")
    return logs[-1], True


@dataclass(frozen=True)
class Filter:
    """Which events to show; every field left empty matches everything."""

    caller: str | None = None
    method: str | None = None  # a glob: Executor.* or *.echo
    outcome: str | None = None
    kind: str | None = None
    since: int | None = None
    until: int | None = None

    def matches(self, event: dict[str, object]) -> bool:
        time = event.get("time", 0)
        assert isinstance(time, int)
        return (
            (self.caller is None or event.get("caller") == self.caller)
            and (
                self.method is None
                or fnmatch.fnmatchcase(str(event.get("method", "")), self.method)
            )
            and (self.outcome is None or event.get("outcome") == self.outcome)
            and (self.kind is None or event.get("kind") == self.kind)
            and (self.since is None or time >= self.since)
            and (self.until is None or time <= self.until)
        )


def as_json(event: dict[str, object]) -> str:
    return json.dumps(event, sort_keys=True)


def as_text(event: dict[str, object]) -> str:
    """One line: seq, UTC time, kind, caller, method or detail, outcome, sizes, duration."""
    time = event.get("time", 0)
    assert isinstance(time, int)
    stamp = datetime.fromtimestamp(time / 1e6, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = [str(event["seq"]), stamp, str(event.get("kind")), str(event.get("caller", ""))]
    if event.get("kind") == "call":
        parts.append(str(event.get("method")))
    if event.get("outcome") == "failed":
        parts.append(f"failed ({event.get('reason', '')})")
    elif event.get("kind") == "call":
        parts.append("returned")
    if event.get("kind") == "call":
        duration = event.get("duration", 0)
        assert isinstance(duration, int)
        parts.append(f"in {event.get('bytes_in', 0)} B, out {event.get('bytes_out', 0)} B")
        parts.append(f"{duration / 1000:.3f} ms")
    if event.get("detail"):
        parts.append(str(event["detail"]))
    parts.append(f"epoch {event.get('epoch', 0)}")
    return "  ".join(parts)


def check(store: AuditStore, peer: str | None = None) -> tuple[Report, str]:
    """Verify ``store`` against ``peer``'s key (else the peer it names): (report, peer)."""
    signer = peer or store.peer()
    try:
        public_key = peer_public_key(b58decode(signer))
    except ValueError as exc:
        raise AuditError(f"peer {signer}: {exc}") from None
    return verify(store.rows(), store.heads(), public_key), signer
