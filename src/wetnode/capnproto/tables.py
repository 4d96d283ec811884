"""The tables of one RPC connection, as rpc.capnp names them, with no messages in sight.

Questions we asked, answers we owe, exports we serve (with the peer's
reference counts), imports we hold (counted per descriptor received) and
embargoes we wait on.  This is the connection's state; what goes on the wire
is decided in connection.py and laid out in messages.py, as h11 keeps its
state machine apart from its readers and writers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from wetnode.capnproto.caps import Cap, Pending
from wetnode.capnproto.errors import RpcError
from wetnode.capnproto.loop import Future

C = TypeVar("C", bound=Cap)


class ProtocolError(Exception):
    """The peer broke the protocol; the connection is aborted."""


class IdPool:
    """Small integer IDs, reused lowest-first like the C++ implementation."""

    def __init__(self) -> None:
        self._next = 0
        self._free: list[int] = []

    def take(self) -> int:
        if self._free:
            return self._free.pop()
        self._next += 1
        return self._next - 1

    def give(self, n: int) -> None:
        self._free.append(n)


class Question:
    """A call we made: its results-to-be, the caps we sent with it, the paths pipelined on."""

    __slots__ = ("param_exports", "pending", "pipelined")

    def __init__(self, pending: Pending, param_exports: list[int]) -> None:
        self.pending = pending
        self.param_exports = param_exports
        self.pipelined: set[tuple[int, ...]] = set()


class Answer(Pending):
    """A call the peer made: its results, and what Finish told us to do with them."""

    __slots__ = ("finished", "keep_results", "release_result_caps", "result_exports")

    def __init__(self, answer_id: int) -> None:
        super().__init__()
        self.question_id = answer_id
        self.finished = False
        self.release_result_caps = False
        self.keep_results = False  # sendResultsTo = yourself: the peer will take them
        self.result_exports: list[int] = []


class Tables(Generic[C]):
    """Every table of a connection; `C` is the class of its imported capabilities."""

    def __init__(self) -> None:
        self.questions: dict[int, Question] = {}
        self._qids = IdPool()
        self.answers: dict[int, Answer] = {}
        self.exports: dict[int, list[Any]] = {}  # id -> [cap, refcount]
        self._export_ids: dict[int, int] = {}  # id(cap) -> export id
        self._eids = IdPool()
        self.imports: dict[int, weakref.ref[C]] = {}
        self._import_refs: dict[int, int] = {}
        self.embargoes: dict[int, Future] = {}
        self._embargo_ids = IdPool()

    # ------------------------------------------------------------ questions

    def new_question_id(self) -> int:
        """An id for a question whose message is still being written (see `asked`)."""
        return self._qids.take()

    def asked(self, qid: int, pending: Pending, param_exports: list[int]) -> None:
        """Record the question sent as `qid`, with the exports its params carried."""
        self.questions[qid] = Question(pending, param_exports)

    def retire_question(self, qid: int) -> None:
        """The question is finished: its id may be reused."""
        self._qids.give(qid)

    # -------------------------------------------------------------- answers

    def new_answer(self, answer_id: int) -> Answer:
        if answer_id in self.answers:
            raise ProtocolError(f"question ID {answer_id} is already in use")
        answer = Answer(answer_id)
        self.answers[answer_id] = answer
        return answer

    def finish_answer(self, answer: Answer) -> None:
        """Forget a returned and finished answer; release its result caps if asked to."""
        self.answers.pop(answer.question_id, None)
        if answer.release_result_caps:
            self.release_all(answer.result_exports)

    # -------------------------------------------------------------- exports

    def export(self, cap: Cap) -> int:
        """The export id of `cap`, counting one more reference the peer holds."""
        eid = self._export_ids.get(id(cap))
        if eid is not None:
            self.exports[eid][1] += 1
            return eid
        eid = self._eids.take()
        self.exports[eid] = [cap, 1]
        self._export_ids[id(cap)] = eid
        return eid

    def exported(self, eid: int) -> Cap | None:
        entry = self.exports.get(eid)
        return entry[0] if entry else None

    def release_export(self, eid: int, count: int) -> None:
        entry = self.exports.get(eid)
        if entry is None:
            raise ProtocolError(f"release of unknown export {eid}")
        entry[1] -= count
        if entry[1] <= 0:
            del self.exports[eid]
            del self._export_ids[id(entry[0])]
            self._eids.give(eid)

    def release_all(self, eids: list[int]) -> None:
        """One reference to each export still there (caps sent with a call or return)."""
        for eid in eids:
            if eid in self.exports:
                self.release_export(eid, 1)

    # -------------------------------------------------------------- imports

    def imported(self, import_id: int) -> C | None:
        ref = self.imports.get(import_id)
        return ref() if ref is not None else None

    def add_import(self, import_id: int, make: Callable[[], C], released: Callable[[C], bool]) -> C:
        """The capability for a received descriptor, counting one more reference.

        `make` builds a new one when we hold none (or only a `released` one).
        """
        cap = self.imported(import_id)
        if cap is None or released(cap):
            cap = make()
            self.imports[import_id] = weakref.ref(cap)
            self._import_refs[import_id] = 1
        else:
            self._import_refs[import_id] += 1
        return cap

    def drop_import(self, import_id: int, cap: C) -> int:
        """Forget `cap`; returns the references to release (0 if it was not current)."""
        ref = self.imports.get(import_id)
        if ref is None or ref() not in (None, cap):
            return 0
        del self.imports[import_id]
        return self._import_refs.pop(import_id, 0)

    # ------------------------------------------------------------ embargoes

    def embargo(self) -> tuple[int, Future]:
        """A new embargo: its id and the future its lifting resolves."""
        eid = self._embargo_ids.take()
        fut = Future()
        self.embargoes[eid] = fut
        return eid, fut

    def lift(self, eid: int) -> None:
        fut = self.embargoes.pop(eid, None)
        if fut is None:
            raise ProtocolError(f"unknown embargo {eid}")
        self._embargo_ids.give(eid)
        fut.set_result(None)

    # ------------------------------------------------------------ the end

    def fail_all(self, error: RpcError) -> None:
        """The connection is gone: fail what waits on the peer, drop every reference."""
        questions, self.questions = self.questions, {}
        for q in questions.values():
            q.pending.set_exception(error)
        embargoes, self.embargoes = self.embargoes, {}
        for fut in embargoes.values():
            fut.set_exception(error)
        self.exports.clear()
        self._export_ids.clear()
        self.imports.clear()
        self._import_refs.clear()
