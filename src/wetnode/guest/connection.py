"""The Cap'n Proto RPC protocol, level 1, two-party, as a sans-IO state machine.

Feed received bytes to `Connection.receive`, send what `data_to_send` returns.
Nothing here blocks or touches a socket: incoming calls are handed to
capability objects, replies resolve `Pending` futures.  That keeps the
protocol testable byte for byte and lets one implementation run natively and
inside a WebAssembly guest.

Tables (rpc.capnp terms): questions we asked, answers we owe, exports we serve
(with the peer's reference counts), imports we hold (counted per descriptor
received, released when our last Python reference goes).  Embargoes: when a
promise we had pipelined calls on turns out to point back into this vat, new
calls wait until a Disembargo round trip proves the earlier ones arrived, so
call order is preserved.
"""

from __future__ import annotations

import contextlib
import logging
import struct
import weakref
from collections.abc import Callable
from typing import Any

from wetnode.guest import schema, wire
from wetnode.guest._generated import rpc as R
from wetnode.guest.caps import (
    BrokenCap,
    Build,
    Cap,
    Delivery,
    EmbargoedCap,
    Pending,
    PipelineCap,
    Promise,
    as_cap,
    cap_index_at,
    reread,
)
from wetnode.guest.errors import Disconnected, Failed, RpcError, Unimplemented, as_rpc_error
from wetnode.guest.loop import Future

log = logging.getLogger(__name__)
Target = tuple[Any, ...]  # ("import", id) or ("answer", question_id, path)


_U16, _U32, _U64 = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<Q")
_MSG_CALL = R.Message.FIELD_MAP["call"]
_MSG_FINISH = R.Message.FIELD_MAP["finish"]
_CALL_QID = R.Call.FIELD_MAP["questionId"].offset
_CALL_IID = R.Call.FIELD_MAP["interfaceId"].offset
_CALL_MID = R.Call.FIELD_MAP["methodId"].offset
_CALL_TARGET = R.Call.FIELD_MAP["target"].offset
_CALL_PARAMS = R.Call.FIELD_MAP["params"].offset
_TARGET_SIZE = (R.MessageTarget.DATA_WORDS, R.MessageTarget.PTR_COUNT)
_TARGET_IMPORT = R.MessageTarget.FIELD_MAP["importedCap"]
_PAYLOAD_SIZE = (R.Payload.DATA_WORDS, R.Payload.PTR_COUNT)
_PAYLOAD_CONTENT = R.Payload.FIELD_MAP["content"].offset
_FINISH_QID = R.Finish.FIELD_MAP["questionId"].offset
_MSG_RETURN = R.Message.FIELD_MAP["return"]
_RETURN_ID = R.Return.FIELD_MAP["answerId"].offset
_RETURN_RELEASE = R.Return.FIELD_MAP["releaseParamCaps"]
_RETURN_UNION = R.Return.DISCRIMINANT_OFFSET
_RETURN_RESULTS = R.Return.FIELD_MAP["results"]
_RETURN_ELSEWHERE = R.Return.FIELD_MAP["resultsSentElsewhere"]
_FINISH_RELEASE = R.Finish.FIELD_MAP["releaseResultCaps"]


def _init_union_struct(
    mb: wire.MessageBuilder,
    root: type[schema.Struct],
    member: schema.Field,
    body: type[schema.Struct],
) -> wire.StructBuilder:
    """Root struct `root` with union `member` set to a new `body` struct; returns the body."""
    r = mb.init_root(root.DATA_WORDS, root.PTR_COUNT)
    assert root.DISCRIMINANT_OFFSET is not None
    r.set(_U16, root.DISCRIMINANT_OFFSET, member.discriminant)
    return wire.init_struct(mb, r.ptr_index + member.offset, body.DATA_WORDS, body.PTR_COUNT)


def _finish_frame() -> tuple[bytes, int]:
    """Every call ends with the same Finish but for its question id: the framed
    message for question 0, and the byte offset of the id in it."""
    mb = wire.MessageBuilder()
    fin = _init_union_struct(mb, R.Message, _MSG_FINISH, R.Finish)
    fin.set_bool(_FINISH_RELEASE.offset, False, _FINISH_RELEASE.default)
    return mb.to_bytes(), wire.FRAME_HEADER + fin.data_off + _FINISH_QID


_FINISH_FRAME, _FINISH_QID_AT = _finish_frame()


class _PayloadTemplate:
    """A message with a payload, laid out once.  CPython compiled to wasm
    builds structs slowly; copying these bytes and writing a few numbers
    instead made a guest's call a quarter faster (docs/performance.md)."""

    def __init__(self, mb: wire.MessageBuilder, payload: wire.StructBuilder) -> None:
        self.segment = bytes(mb.buf)
        self.payload = (payload.data_off, payload.data_words, payload.ptr_index, payload.ptr_count)

    def copy(self) -> tuple[wire.MessageBuilder, wire.StructBuilder]:
        """A new message from the template, and its payload struct."""
        mb = wire.MessageBuilder.from_segment(self.segment)
        return mb, wire.StructBuilder(mb, *self.payload)


def _call_to_import() -> tuple[_PayloadTemplate, int, int, int, int]:
    """A Call to an imported capability; byte offsets of its question id,
    interface id, method id and import id."""
    mb = wire.MessageBuilder()
    call = _init_union_struct(mb, R.Message, _MSG_CALL, R.Call)
    target = wire.init_struct(mb, call.ptr_index + _CALL_TARGET, *_TARGET_SIZE)
    target.set(_U16, R.MessageTarget.DISCRIMINANT_OFFSET, _TARGET_IMPORT.discriminant)
    payload = wire.init_struct(mb, call.ptr_index + _CALL_PARAMS, *_PAYLOAD_SIZE)
    at = call.data_off
    return (
        _PayloadTemplate(mb, payload),
        at + _CALL_QID,
        at + _CALL_IID,
        at + _CALL_MID,
        target.data_off + _TARGET_IMPORT.offset,
    )


def _results_return() -> tuple[_PayloadTemplate, int]:
    """A Return carrying results; byte offset of its answer id."""
    mb = wire.MessageBuilder()
    ret = _init_union_struct(mb, R.Message, _MSG_RETURN, R.Return)
    ret.set_bool(_RETURN_RELEASE.offset, False, _RETURN_RELEASE.default)
    ret.set(_U16, _RETURN_UNION, _RETURN_RESULTS.discriminant)
    payload = wire.init_struct(mb, ret.ptr_index + _RETURN_RESULTS.offset, *_PAYLOAD_SIZE)
    return _PayloadTemplate(mb, payload), ret.data_off + _RETURN_ID


_CALL_TEMPLATE, _CALL_QID_AT, _CALL_IID_AT, _CALL_MID_AT, _CALL_IMPORT_AT = _call_to_import()
_RETURN_TEMPLATE, _RETURN_ID_AT = _results_return()


class ProtocolError(Exception):
    """The peer broke the protocol; the connection is aborted."""


class ImportCap(Cap):
    """A capability the peer hosts (or a promise it will resolve)."""

    def __init__(self, conn: Connection, import_id: int) -> None:
        self.conn = conn
        self.import_id = import_id
        self.released = False
        self.used = False
        self.resolution: Cap | None = None
        self.embargo: Future | None = None

    def resolved(self) -> Cap:
        if self.resolution is not None and (self.embargo is None or self.embargo.done()):
            return self.resolution.resolved()
        return self

    def call(
        self,
        interface_id: int,
        method_id: int,
        params: type[schema.Struct],
        results: type[schema.Struct],
        build: Build,
    ) -> Promise:
        if self.resolution is not None:
            if self.embargo is not None and not self.embargo.done():
                return super().call(interface_id, method_id, params, results, build)
            return self.resolution.call(interface_id, method_id, params, results, build)
        if self.released:
            return _RELEASED.call(interface_id, method_id, params, results, build)
        self.used = True
        return self.conn.call_target(
            ("import", self.import_id), interface_id, method_id, params, results, build
        )

    def deliver(self, d: Delivery) -> None:
        if self.resolution is not None:
            if self.embargo is not None and not self.embargo.done():
                self.embargo.add_done_callback(lambda _: self.deliver(d))
            else:
                self.resolution.deliver(d)
            return
        if self.released:
            _RELEASED.deliver(d)
            return
        self.used = True
        self.conn.forward(("import", self.import_id), d)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.conn._drop_import(self)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit there is no one to tell
            self.release()

    def __repr__(self) -> str:
        return f"<import {self.import_id}>"


_RELEASED = BrokenCap(Failed("the capability was released"))


class Question:
    __slots__ = ("param_exports", "pending", "pipelined")

    def __init__(self, pending: Pending, param_exports: list[int]) -> None:
        self.pending = pending
        self.param_exports = param_exports
        self.pipelined: set[tuple[int, ...]] = set()


class Answer(Pending):
    __slots__ = ("finished", "keep_results", "release_result_caps", "result_exports")

    def __init__(self, answer_id: int) -> None:
        super().__init__()
        self.question_id = answer_id
        self.finished = False
        self.release_result_caps = False
        self.keep_results = False  # sendResultsTo = yourself: the peer will take them
        self.result_exports: list[int] = []


class _IdPool:
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


class Connection:
    """One two-party RPC session. `bootstrap` is what the peer gets when it bootstraps us."""

    def __init__(self, bootstrap: Cap | None = None) -> None:
        self.bootstrap_cap = bootstrap
        self.error: RpcError | None = None
        self._decoder = wire.FrameDecoder()
        self._out: list[bytes] = []
        self.questions: dict[int, Question] = {}
        self._qids = _IdPool()
        self.answers: dict[int, Answer] = {}
        self.exports: dict[int, list[Any]] = {}  # id -> [cap, refcount]
        self._export_ids: dict[int, int] = {}  # id(cap) -> export id
        self._eids = _IdPool()
        self.imports: dict[int, weakref.ref[ImportCap]] = {}
        self._import_refs: dict[int, int] = {}
        self.embargoes: dict[int, Future] = {}
        self._embargo_ids = _IdPool()

    # ----------------------------------------------------------------- I/O

    def receive(self, data: bytes) -> None:
        """Process bytes from the peer; a protocol violation aborts the connection."""
        if self.error is not None:
            return
        try:
            for msg in self._decoder.feed(data):
                self._handle(msg)
        except Exception as exc:
            log.warning("aborting RPC connection: %s", exc)
            self.abort(f"{type(exc).__name__}: {exc}")

    def data_to_send(self) -> bytes:
        out, self._out = self._out, []
        return b"".join(out)

    def peer_closed(self) -> None:
        self._shutdown(Disconnected("the peer closed the connection"))

    def abort(self, reason: str) -> None:
        """Tell the peer why we give up, then fail everything pending."""
        if self.error is None:
            mb, msg = R.Message.new_message()
            ex = msg.init("abort")
            ex.reason = reason
            ex.type = 0
            self._send(mb)
        self._shutdown(Disconnected(f"connection aborted: {reason}"))

    def _send(self, mb: wire.MessageBuilder) -> None:
        self._out.append(mb.to_bytes())

    def _shutdown(self, error: RpcError) -> None:
        if self.error is not None:
            return
        self.error = error
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

    # ------------------------------------------------------ outgoing calls

    def bootstrap(self) -> PipelineCap:
        """The peer's bootstrap capability, usable (pipelined) right away."""
        pending = Pending()
        if self.error is not None:
            pending.set_exception(self.error)
            return PipelineCap(pending, ())
        qid = self._qids.take()
        mb, msg = R.Message.new_message()
        msg.init("bootstrap").questionId = qid
        pending.remote = self
        pending.question_id = qid
        self.questions[qid] = Question(pending, [])
        self._send(mb)
        return PipelineCap(pending, ())

    def call_target(
        self,
        target: Target,
        interface_id: int,
        method_id: int,
        params: type[schema.Struct],
        results: type[schema.Struct],
        build: Callable[[wire.StructBuilder], None],
    ) -> Promise:
        def content(ptr: wire.PtrBuilder) -> None:
            build(ptr.init_struct(params.DATA_WORDS, params.PTR_COUNT))

        return Promise(self._send_call(target, interface_id, method_id, content), results)

    def call_promised(
        self,
        pending: Pending,
        path: tuple[int, ...],
        interface_id: int,
        method_id: int,
        params: type[schema.Struct],
        results: type[schema.Struct],
        build: Build,
    ) -> Promise:
        q = self.questions.get(pending.question_id)
        if q is not None:
            q.pipelined.add(path)
        target = ("answer", pending.question_id, path)
        return self.call_target(target, interface_id, method_id, params, results, build)

    def forward(self, target: Target, d: Delivery) -> None:
        """Send a call that arrived in another message on to the peer."""
        pending = self._send_call(
            target, d.interface_id, d.method_id, lambda ptr: schema.copy_any(d.params, ptr)
        )
        pending.add_done_callback(lambda p: _transfer(p, d.answer))

    def forward_promised(self, pending: Pending, path: tuple[int, ...], d: Delivery) -> None:
        q = self.questions.get(pending.question_id)
        if q is not None:
            q.pipelined.add(path)
        self.forward(("answer", pending.question_id, path), d)

    def _send_call(
        self,
        target: Target,
        interface_id: int,
        method_id: int,
        content: Callable[[wire.PtrBuilder], None],
    ) -> Pending:
        pending = Pending()
        if self.error is not None:
            pending.set_exception(self.error)
            return pending
        qid = self._qids.take()
        # The hottest path: a call to an imported capability is a copied
        # template (_PayloadTemplate); others are laid out with raw struct
        # writes (offsets from the generated tables), not typed builders.
        if target[0] == "import":
            mb, payload = _CALL_TEMPLATE.copy()
            _U32.pack_into(mb.buf, _CALL_QID_AT, qid)
            _U64.pack_into(mb.buf, _CALL_IID_AT, interface_id)
            _U16.pack_into(mb.buf, _CALL_MID_AT, method_id)
            _U32.pack_into(mb.buf, _CALL_IMPORT_AT, target[1])
        else:
            mb = wire.MessageBuilder()
            call = _init_union_struct(mb, R.Message, _MSG_CALL, R.Call)
            call.set(_U32, _CALL_QID, qid)
            call.set(_U64, _CALL_IID, interface_id)
            call.set(_U16, _CALL_MID, method_id)
            self._write_target(R.Call.Builder(call).init("target"), target)
            payload = wire.init_struct(mb, call.ptr_index + _CALL_PARAMS, *_PAYLOAD_SIZE)
        content(wire.PtrBuilder(mb, payload.ptr_index + _PAYLOAD_CONTENT))
        exports = self._write_cap_table(R.Payload.Builder(payload), mb.caps)
        pending.remote = self
        pending.question_id = qid
        self.questions[qid] = Question(pending, exports)
        self._send(mb)
        return pending

    def _write_target(self, tb: Any, target: Target) -> None:
        if target[0] == "import":
            tb.importedCap = target[1]
        else:
            pa = tb.init("promisedAnswer")
            pa.questionId = target[1]
            self._write_transform(pa, target[2])

    @staticmethod
    def _write_transform(pa: Any, path: tuple[int, ...]) -> None:
        if path:
            for op, index in zip(pa.init("transform", len(path)), path, strict=True):
                op.getPointerField = index

    # ------------------------------------------------- capability tables

    def _write_cap_table(self, payload: Any, caps: list[Any]) -> list[int]:
        exported: list[int] = []
        if not caps:
            return exported
        for desc, obj in zip(payload.init("capTable", len(caps)), caps, strict=True):
            cap = as_cap(obj).resolved()
            if isinstance(cap, ImportCap) and cap.conn is self and not cap.released:
                desc.receiverHosted = cap.import_id
            elif (
                isinstance(cap, PipelineCap)
                and cap.pending.remote is self
                and not cap.pending.done()
            ):
                pa = desc.init("receiverAnswer")
                pa.questionId = cap.pending.question_id
                self._write_transform(pa, cap.path)
            else:
                eid = self._export(cap)
                desc.senderHosted = eid
                exported.append(eid)
        return exported

    def _export(self, cap: Cap) -> int:
        eid = self._export_ids.get(id(cap))
        if eid is not None:
            self.exports[eid][1] += 1
            return eid
        eid = self._eids.take()
        self.exports[eid] = [cap, 1]
        self._export_ids[id(cap)] = eid
        return eid

    def _release_export(self, eid: int, count: int) -> None:
        entry = self.exports.get(eid)
        if entry is None:
            raise ProtocolError(f"release of unknown export {eid}")
        entry[1] -= count
        if entry[1] <= 0:
            del self.exports[eid]
            del self._export_ids[id(entry[0])]
            self._eids.give(eid)

    def _read_cap_table(self, descs: list[Any]) -> list[Cap]:
        caps: list[Cap] = []
        for d in descs:
            kind = d.which()
            if kind in ("senderHosted", "senderPromise"):
                caps.append(self._import(getattr(d, kind)))
            elif kind == "receiverHosted":
                entry = self.exports.get(d.receiverHosted)
                caps.append(
                    entry[0]
                    if entry
                    else BrokenCap(Failed("capability refers to an unknown export"))
                )
            elif kind == "receiverAnswer":
                caps.append(self._answer_cap(d.receiverAnswer))
            elif kind == "none":
                caps.append(BrokenCap(Failed("null capability")))
            else:
                caps.append(BrokenCap(Unimplemented(f"{kind} capabilities need RPC level 3")))
        return caps

    def _import(self, import_id: int) -> ImportCap:
        ref = self.imports.get(import_id)
        cap = ref() if ref is not None else None
        if cap is None or cap.released:
            cap = ImportCap(self, import_id)
            self.imports[import_id] = weakref.ref(cap)
            self._import_refs[import_id] = 1
        else:
            self._import_refs[import_id] += 1
        return cap

    def _drop_import(self, cap: ImportCap) -> None:
        ref = self.imports.get(cap.import_id)
        if ref is None or ref() not in (None, cap):
            return
        del self.imports[cap.import_id]
        count = self._import_refs.pop(cap.import_id, 0)
        if count and self.error is None:
            mb, msg = R.Message.new_message()
            rel = msg.init("release")
            rel.id = cap.import_id
            rel.referenceCount = count
            self._send(mb)

    def _answer_cap(self, pa: Any) -> Cap:
        answer = self.answers.get(pa.questionId)
        if answer is None:
            raise ProtocolError(f"reference to unknown answer {pa.questionId}")
        path = tuple(op.getPointerField for op in pa.transform if op.which() == "getPointerField")
        return PipelineCap(answer, path)

    def _points_to_peer(self, cap: Cap) -> bool:
        cap = cap.resolved()
        if isinstance(cap, ImportCap):
            return cap.conn is self
        return isinstance(cap, PipelineCap) and cap.pending.remote is self

    # ------------------------------------------------------ incoming messages

    def _handle(self, msg: wire.MessageReader) -> None:
        m = R.Message.read(msg)
        kind = m.which()
        handler = getattr(self, "_on_" + kind, None)
        if handler is None:
            log.info("answering unimplemented for RPC message %s", kind)
            mb, out = R.Message.new_message()
            out.init("unimplemented")
            slot = out._b.ptr_index + R.Message.FIELD_MAP["unimplemented"].offset
            wire.copy_pointer(msg, 0, 0, wire.NESTING_LIMIT, mb, slot, lambda i: i)
            self._send(mb)
            return
        handler(getattr(m, kind), msg)

    def _content(self, payload: Any, msg: wire.MessageReader) -> wire.Ptr:
        msg.caps = self._read_cap_table(payload.capTable)
        ptr = payload.content
        if ptr is None:  # a payload without a content slot reads as null
            return wire.MessageReader([bytes(8)]).root()
        return ptr

    def _on_abort(self, ex: Any, msg: wire.MessageReader) -> None:
        self._shutdown(Disconnected(f"peer aborted: {ex.reason}"))

    def _on_unimplemented(self, inner: Any, msg: wire.MessageReader) -> None:
        kind = inner.which()
        if kind in ("call", "bootstrap"):
            q = self.questions.pop(getattr(inner, kind).questionId, None)
            if q is not None:
                q.pending.set_exception(Unimplemented(f"peer does not implement {kind}"))

    def _on_bootstrap(self, b: Any, msg: wire.MessageReader) -> None:
        answer = self._new_answer(b.questionId)
        if self.bootstrap_cap is None:
            answer.set_exception(Failed("this vat exports no bootstrap capability"))
            return
        mb = wire.MessageBuilder()
        wire.set_cap(mb, 0, mb.add_cap(self.bootstrap_cap))
        answer.set_result(reread(mb).root())

    def _on_call(self, c: Any, msg: wire.MessageReader) -> None:
        send_to = c.sendResultsTo.which()
        if send_to not in ("caller", "yourself"):
            raise ProtocolError(f"sendResultsTo {send_to} needs RPC level 3")
        params = self._content(c.params, msg)
        target = self._target_cap(c.target)
        answer = self._new_answer(c.questionId)
        answer.keep_results = send_to == "yourself"
        target.deliver(Delivery(c.interfaceId, c.methodId, params, answer))

    def _target_cap(self, t: Any) -> Cap:
        kind = t.which()
        if kind == "importedCap":
            entry = self.exports.get(t.importedCap)
            if entry is None:
                raise ProtocolError(f"call to unknown export {t.importedCap}")
            return entry[0]
        if kind == "promisedAnswer":
            return self._answer_cap(t.promisedAnswer)
        raise ProtocolError(f"unknown message target {kind}")

    def _new_answer(self, answer_id: int) -> Answer:
        if answer_id in self.answers:
            raise ProtocolError(f"question ID {answer_id} is already in use")
        answer = Answer(answer_id)
        self.answers[answer_id] = answer
        answer.add_done_callback(self._send_return)
        return answer

    def _send_return(self, answer: Any) -> None:
        if self.error is not None:
            return
        error = answer.exception()
        if answer.keep_results:
            mb = wire.MessageBuilder()
            ret = _init_union_struct(mb, R.Message, _MSG_RETURN, R.Return)
            ret.set(_U32, _RETURN_ID, answer.question_id)
            ret.set_bool(_RETURN_RELEASE.offset, False, _RETURN_RELEASE.default)
            ret.set(_U16, _RETURN_UNION, _RETURN_ELSEWHERE.discriminant)
        elif error is None:
            mb, payload = _RETURN_TEMPLATE.copy()
            _U32.pack_into(mb.buf, _RETURN_ID_AT, answer.question_id)
            try:
                content = wire.PtrBuilder(mb, payload.ptr_index + _PAYLOAD_CONTENT)
                schema.copy_any(answer.result(), content)
            except wire.DecodeError as exc:
                error = Failed(f"results could not be copied: {exc}")
            else:
                answer.result_exports = self._write_cap_table(R.Payload.Builder(payload), mb.caps)
        if error is not None:
            mb, msg = R.Message.new_message()
            ret = msg.init("return")
            ret.answerId = answer.question_id
            ret.releaseParamCaps = False
            rpc_error = as_rpc_error(error)
            ex = ret.init("exception")
            ex.reason = rpc_error.reason
            ex.type = rpc_error.type_ordinal
        self._send(mb)
        if answer.finished:
            self._finish_answer(answer)

    def _on_finish(self, f: Any, msg: wire.MessageReader) -> None:
        answer = self.answers.get(f.questionId)
        if answer is None:
            raise ProtocolError(f"finish for unknown question {f.questionId}")
        answer.finished = True
        answer.release_result_caps = f.releaseResultCaps
        if answer.done():
            self._finish_answer(answer)

    def _finish_answer(self, answer: Answer) -> None:
        self.answers.pop(answer.question_id, None)
        if answer.release_result_caps:
            for eid in answer.result_exports:
                if eid in self.exports:
                    self._release_export(eid, 1)

    def _on_return(self, r: Any, msg: wire.MessageReader) -> None:
        q = self.questions.pop(r.answerId, None)
        if q is None:
            raise ProtocolError(f"return for unknown question {r.answerId}")
        if r.releaseParamCaps:
            for eid in q.param_exports:
                if eid in self.exports:
                    self._release_export(eid, 1)
        kind = r.which()
        if kind == "results":
            self._complete(r.answerId, q, self._content(r.results, msg), None)
        elif kind == "exception":
            ex = r.exception
            self._complete(r.answerId, q, None, RpcError.of_type(ex.type, ex.reason))
        elif kind == "canceled":
            self._complete(r.answerId, q, None, Failed("the call was canceled"))
        elif kind == "takeFromOtherQuestion":
            # The peer reflected our call back to us (a tail call, sendResultsTo
            # = yourself): the results are those of an answer we hold.
            answer = self.answers.get(r.takeFromOtherQuestion)
            if answer is None:
                raise ProtocolError(
                    f"takeFromOtherQuestion names unknown answer {r.takeFromOtherQuestion}"
                )
            qid = r.answerId
            answer.add_done_callback(
                lambda a: self._complete(
                    qid, q, None if a.exception() else a.result(), a.exception()
                )
            )
        else:
            self._complete(
                r.answerId, q, None, Unimplemented(f"return of kind {kind} needs RPC level 3")
            )

    def _complete(
        self, qid: int, q: Question, result: wire.Ptr | None, error: BaseException | None
    ) -> None:
        """Settle a question: embargo paths that came home, send Finish, resolve."""
        if self.error is not None:
            return
        if result is not None:
            for path in sorted(q.pipelined):
                index = cap_index_at(result, path)
                if index is not None and not self._points_to_peer(result.msg.caps[index]):
                    lifted = self._disembargo(("answer", qid, path))
                    result.msg.caps[index] = EmbargoedCap(result.msg.caps[index], lifted)
        finish = bytearray(_FINISH_FRAME)
        _U32.pack_into(finish, _FINISH_QID_AT, qid)
        self._out.append(bytes(finish))
        self._qids.give(qid)
        if error is not None:
            q.pending.set_exception(error)
        else:
            q.pending.set_result(result)

    def _disembargo(self, target: Target) -> Future:
        eid = self._embargo_ids.take()
        fut = Future()
        self.embargoes[eid] = fut
        mb, msg = R.Message.new_message()
        d = msg.init("disembargo")
        self._write_target(d.init("target"), target)
        d.context.senderLoopback = eid
        self._send(mb)
        return fut

    def _on_resolve(self, res: Any, msg: wire.MessageReader) -> None:
        if res.which() == "cap":
            msg.caps = self._read_cap_table([res.cap])
            cap: Cap = msg.caps[0]
        else:
            ex = res.exception
            cap = BrokenCap(RpcError.of_type(ex.type, ex.reason))
        ref = self.imports.get(res.promiseId)
        promise = ref() if ref is not None else None
        if promise is None:
            return  # already released; the resolution's own reference drops with `cap`
        promise.resolution = cap
        if promise.used and not self._points_to_peer(cap):
            promise.embargo = self._disembargo(("import", res.promiseId))

    def _on_release(self, rel: Any, msg: wire.MessageReader) -> None:
        self._release_export(rel.id, rel.referenceCount)

    def _on_disembargo(self, d: Any, msg: wire.MessageReader) -> None:
        ctx = d.context
        kind = ctx.which()
        if kind == "receiverLoopback":
            fut = self.embargoes.pop(ctx.receiverLoopback, None)
            if fut is None:
                raise ProtocolError(f"unknown embargo {ctx.receiverLoopback}")
            self._embargo_ids.give(ctx.receiverLoopback)
            fut.set_result(None)
            return
        if kind != "senderLoopback":
            raise ProtocolError(f"disembargo context {kind} needs RPC level 3")
        cap = self._target_cap(d.target).resolved()
        if isinstance(cap, ImportCap) and cap.conn is self:
            target: Target = ("import", cap.import_id)
        elif isinstance(cap, PipelineCap) and cap.pending.remote is self:
            target = ("answer", cap.pending.question_id, cap.path)
        else:
            raise ProtocolError(
                "senderLoopback disembargo on a capability that does not point back"
            )
        mb, out = R.Message.new_message()
        reply = out.init("disembargo")
        self._write_target(reply.init("target"), target)
        reply.context.receiverLoopback = ctx.senderLoopback
        self._send(mb)


def _transfer(source: Any, dest: Pending) -> None:
    error = source.exception()
    if error is not None:
        dest.set_exception(error)
    else:
        dest.set_result(source.result())
