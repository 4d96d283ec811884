"""The audit chain (sans-IO): how an event is encoded, linked, signed and checked.

An event is stored as its *body*: canonical JSON (keys sorted, no spaces,
ASCII only, integers and strings only) of its fields plus ``seq`` (1, 2, ...)
and ``prev``, the hex SHA-256 of the previous body (64 zeros for event 1).
Its hash is SHA-256 of the body bytes, so changing any byte of any stored
event breaks its own hash, and removing or reordering events breaks the next
event's ``prev``.

Deleting the *last* events leaves a shorter chain that is still intact; that
is what signed heads are for.  A head is ``(seq, hash)`` of one event signed
by the node key over `head_message`; `verify` fails when a head names an
event the log no longer holds, or one whose hash differs.  Events after the
last head are reported as unsigned (a crash can leave them so), not as broken.

The head domain is deliberately not in `wetnode.membrane.signing.DOMAINS`:
guests obtain Signers only for those domains, so no guest can make the node
key sign an audit head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from wetnode.keys import verify as verify_signature
from wetnode.membrane.signing import SigningDomain

KINDS = ("call", "graft", "spawn", "exit", "epoch", "approval", "start", "stop", "lost")
HEAD = SigningDomain("ww-audit-head", b"/ww/audit/head")
GENESIS = bytes(32)  # the ``prev`` of event 1


class Event(NamedTuple):
    """What happened, before it is numbered and linked (a tuple: cheap to make per call).

    ``kind`` is one of `KINDS`: ``call`` (one capability call), ``graft``,
    ``spawn``, ``exit``, ``epoch``, ``approval`` (a proposal requested,
    signed, approved, denied or expired), ``start``, ``stop`` or ``lost``
    (events dropped because the writer fell behind).  ``outcome`` is ``returned`` or
    ``failed`` (then ``reason`` says why); times are microseconds (``time``
    since the Unix epoch), sizes bytes.
    """

    kind: str
    time: int
    epoch: int
    caller: str
    method: str = ""
    outcome: str = "returned"
    reason: str = ""
    bytes_in: int = 0
    bytes_out: int = 0
    duration: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Row:
    """One stored event: its number, its exact body bytes and their hash."""

    seq: int
    body: bytes
    hash: bytes

    def event(self) -> dict[str, object]:
        """The body's fields (``seq`` and ``prev`` included)."""
        fields: dict[str, object] = json.loads(self.body)
        return fields


@dataclass(frozen=True, slots=True)
class Head:
    """A signed chain head: event ``seq`` had hash ``hash``."""

    seq: int
    hash: bytes
    signature: bytes


def encode(fields: dict[str, object]) -> bytes:
    """The canonical bytes of ``fields`` (sorted keys, no whitespace, ASCII)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def head_message(seq: int, hash_: bytes) -> bytes:
    """The exact bytes the node key signs for head ``(seq, hash)``."""
    return HEAD.message(seq.to_bytes(8, "big") + hash_)


class Chain:
    """Numbers and links events, continuing after ``(seq, hash)`` of the last stored one."""

    def __init__(self, seq: int = 0, last_hash: bytes = GENESIS) -> None:
        self.seq = seq
        self.last_hash = last_hash

    def append(self, event: Event) -> Row:
        fields: dict[str, object] = {k: v for k, v in event._asdict().items() if v not in ("", 0)}
        fields["kind"] = event.kind
        fields["time"] = event.time
        fields["epoch"] = event.epoch
        fields["seq"] = self.seq + 1
        fields["prev"] = self.last_hash.hex()
        body = encode(fields)
        row = Row(self.seq + 1, body, hashlib.sha256(body).digest())
        self.seq, self.last_hash = row.seq, row.hash
        return row


@dataclass(frozen=True)
class Broken:
    """The first event that fails verification, and why."""

    seq: int
    reason: str


@dataclass(frozen=True)
class Report:
    """What `verify` found: counts, the last signed event, the first break if any."""

    events: int
    heads: int
    last_signed: int
    broken: Broken | None

    @property
    def unsigned(self) -> int:
        """Events after the last signed head (not yet covered by a signature)."""
        return max(0, self.events - self.last_signed)


def verify(rows: Iterable[Row], heads: Sequence[Head], public_key: bytes) -> Report:
    """Check every event's hash and link, and every head's signature and event.

    ``rows`` in ``seq`` order (they may be streamed).  Returns after the first
    broken event; the report names the lowest ``seq`` found broken.
    """
    wanted = {head.seq for head in heads}
    hashes: dict[int, bytes] = {}
    expected, prev, count = 1, GENESIS, 0
    broken: Broken | None = None
    for row in rows:
        broken = _check_row(row, expected, prev)
        if broken is not None:
            break
        if row.seq in wanted:
            hashes[row.seq] = row.hash
        expected, prev, count = row.seq + 1, row.hash, count + 1
    last_signed = 0
    for head in sorted(heads, key=lambda h: h.seq):
        problem = _check_head(head, hashes, count, public_key)
        if problem is not None:
            if broken is None or problem.seq < broken.seq:
                broken = problem
            break
        last_signed = head.seq
    return Report(count, len(heads), last_signed, broken)


def _check_row(row: Row, expected: int, prev: bytes) -> Broken | None:
    if row.seq != expected:
        return Broken(expected, f"missing: the next stored event is {row.seq}")
    if hashlib.sha256(row.body).digest() != row.hash:
        return Broken(row.seq, "its content does not match its stored hash")
    try:
        fields = row.event()
    except ValueError:
        return Broken(row.seq, "its content is not an event (not JSON)")
    if not isinstance(fields, dict) or fields.get("seq") != row.seq:
        return Broken(row.seq, "its content carries another sequence number")
    if fields.get("prev") != prev.hex():
        return Broken(row.seq, f"it does not link to event {row.seq - 1} (wrong prev hash)")
    return None


def _check_head(head: Head, hashes: dict[int, bytes], count: int, key: bytes) -> Broken | None:
    if not verify_signature(key, head_message(head.seq, head.hash), head.signature):
        return Broken(head.seq, "the signed head at this event has a bad signature")
    if head.seq > count:
        return Broken(
            count + 1,
            f"missing: a signed head covers events up to {head.seq}, the log ends at {count}",
        )
    if hashes.get(head.seq) != head.hash:
        return Broken(head.seq, "its hash differs from the signed head")
    return None
