"""The audit log's record of the calls on one exported-membrane stream, made in the pump.

Every call a remote peer makes on what pid0's export handed it crosses the
stream as a Cap'n Proto Call, and its answer as a Return: the pump's flow
count (`wetnode.net.flow`) already decodes the head of each, and hands it
here (`Watcher`).  A Call opens an entry (``Interface.method`` from its
interface and method IDs, its size, the time); the Return with the same id
closes it with its outcome and size, and one event goes to the log under the
peer's ID.  Capabilities returned to the peer, wherever they sat in a result,
are called over the same stream, so they are recorded the same way, with no
copy of any message and no Python hop on the call's path.

Calls go the other way too: pid0 (or whatever pid0 handed it to) calls a
capability the peer passed in, and the vat sends the Call.  Those are
recorded with caller ``pid0`` and detail ``a capability of <peer>``.

Two calls are not recorded as calls, as before: the graft on the stream's
bootstrap (`ExportedMembrane` records it as a ``graft`` event) and every
call on the Signer passed to such a graft (the node's challenge, and pid0's
`CheckedSigner` passing it on).  A call still open when the stream ends is
recorded as failed, ``disconnected``.

Sizes are whole messages as they crossed the stream (framing included).
The epoch is the node's when the call arrived.  Sans-IO apart from the
clock: the pump calls in, `Tap.call` only queues an event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wetnode.capnproto.errors import server_reason
from wetnode.capnproto.wire import DecodeError
from wetnode.guest.schemas.stem import Membrane
from wetnode.rpc.methods import method_label

if TYPE_CHECKING:
    from libp2p.peer.id import ID

    from wetnode.audit.log import AuditLog, Tap
    from wetnode.membrane.epoch import EpochClock

log = logging.getLogger(__name__)

GRAFT = 0  # Membrane.graft's ordinal
ENDED = "disconnected: the stream ended before the call returned"

# An open call: (method label, bytes of its Call, perf_counter_ns at arrival, epoch).
_Open = tuple[str, int, int, int]


class StreamRecorder:
    """What crossed one stream, as call events: ``tap`` is the peer's, ``back`` pid0's."""

    def __init__(self, tap: Tap, back: Tap, epoch: Callable[[], int]) -> None:
        self._tap = tap
        self._back = back
        self._epoch = epoch
        self._from_peer: dict[int, _Open] = {}  # the peer's questions, by question id
        self._from_vat: dict[int, _Open] = {}  # the vat's questions to the peer
        self._bootstrap: int | None = None  # the peer's Bootstrap question, until its Finish
        # References to the bootstrap capability (vat export ids) and to the Signers
        # passed to grafts on it (peer export ids), by id: an id is free for another
        # capability once Releases bring its count to zero.
        self._membrane: dict[int, int] = {}
        self._signers: dict[int, int] = {}
        self._grafts: set[int] = set()  # open grafts on the bootstrap

    def peer_sent(self, kind: str, body: Any, length: int) -> None:
        try:
            if kind == "call":
                self._peer_call(body, length)
            elif kind == "return":
                self._close(self._from_vat, self._back, body, length)
            elif kind == "bootstrap":
                self._bootstrap = body.questionId
            elif kind == "finish" and body.questionId == self._bootstrap:
                self._bootstrap = None  # its id is free again: a later Call may take it
            elif kind == "release":
                _release(self._membrane, body)
        except DecodeError as error:  # past the head flow.py keeps: the rest is unread
            log.debug("audit: a peer message not recorded: %s", error)

    def vat_sent(self, kind: str, body: Any, length: int) -> None:
        try:
            if kind == "return":
                self._vat_return(body, length)
            elif kind == "call" and not self._on_signer(body.target):
                self._open(self._from_vat, body, length)
            elif kind == "release":
                _release(self._signers, body)
        except DecodeError as error:
            log.debug("audit: a node message not recorded: %s", error)

    def ended(self) -> None:
        """The stream is over: the calls still open will not return."""
        for calls, tap in ((self._from_peer, self._tap), (self._from_vat, self._back)):
            for label, size, started, epoch in calls.values():
                tap.call(epoch, label, ENDED, size, 0, started)
            calls.clear()

    def _peer_call(self, body: Any, length: int) -> None:
        if body.interfaceId == Membrane.ID and body.methodId == GRAFT and self._on_bootstrap(body):
            self._grafts.add(body.questionId)
            _hold(self._signers, _cap_ids(body.params))
            return
        self._open(self._from_peer, body, length)

    def _vat_return(self, body: Any, length: int) -> None:
        answer = body.answerId
        if answer == self._bootstrap:
            if body.which() == "results":
                _hold(self._membrane, _cap_ids(body.results))
            return
        if answer in self._grafts:
            self._grafts.discard(answer)
            return
        self._close(self._from_peer, self._tap, body, length)

    def _open(self, calls: dict[int, _Open], body: Any, length: int) -> None:
        label = method_label(body.interfaceId, body.methodId)
        calls[body.questionId] = (label, length, time.perf_counter_ns(), self._epoch())

    @staticmethod
    def _close(calls: dict[int, _Open], tap: Tap, body: Any, length: int) -> None:
        entry = calls.pop(body.answerId, None)
        if entry is None:
            return
        label, size, started, epoch = entry
        tap.call(epoch, label, _reason(body), size, length, started)

    def _on_bootstrap(self, call: Any) -> bool:
        target = call.target
        if target.which() == "importedCap":
            return bool(target.importedCap in self._membrane)
        promised = target.promisedAnswer
        return bool(promised.questionId == self._bootstrap and not promised.transform)

    def _on_signer(self, target: Any) -> bool:
        return bool(target.which() == "importedCap" and target.importedCap in self._signers)


def _hold(counts: dict[int, int], ids: list[int]) -> None:
    for id_ in ids:
        counts[id_] = counts.get(id_, 0) + 1


def _release(counts: dict[int, int], release: Any) -> None:
    """A Release of ``counts``' ids: an id whose references all went is forgotten.

    Only the references seen here are counted, so an id is forgotten no later
    than its capability is gone: a call on a reused id is recorded, never hidden.
    """
    id_ = release.id
    if id_ in counts:
        left = counts[id_] - release.referenceCount
        if left > 0:
            counts[id_] = left
        else:
            del counts[id_]


def _cap_ids(payload: Any) -> list[int]:
    """The export ids a payload's cap table names (its sender's own capabilities)."""
    ids = []
    for cap in payload.capTable:
        which = cap.which()
        if which in ("senderHosted", "senderPromise"):
            ids.append(getattr(cap, which))
    return ids


def _reason(answer: Any) -> str | None:
    """None for a Return with results; else why the call failed, as its server said it."""
    which = answer.which()
    if which == "exception":
        return server_reason(str(answer.exception.reason))
    if which == "canceled":
        return "canceled: the caller gave up on the call"
    return None


def recorders(audit: AuditLog, clock: EpochClock) -> Callable[[ID], StreamRecorder]:
    """Per inbound stream: the recorder of the calls of ``peer`` and of pid0 on its capabilities."""

    def recorder(peer: ID) -> StreamRecorder:
        tap = audit.tap(str(peer))
        return StreamRecorder(tap, tap.facing("pid0"), lambda: clock.current.seq)

    return recorder
