"""The Cap'n Proto RPC protocol, level 1, two-party, as a sans-IO state machine.

Feed received bytes to `Connection.receive`, send what `data_to_send` returns.
Nothing here blocks or touches a socket: incoming calls are handed to
capability objects, replies resolve `Pending` futures.  That keeps the
protocol testable byte for byte and lets one implementation run natively and
inside a WebAssembly guest.

This module reads each received message and decides what to answer; the
connection's state lives in `tables.Tables` and outgoing messages are laid out
by `messages`.  Embargoes: when a promise we had pipelined calls on turns out
to point back into this vat, new calls wait until a Disembargo round trip
proves the earlier ones arrived, so call order is preserved.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import Any

from wetnode.capnproto import messages, schema, wire
from wetnode.capnproto.caps import (
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
from wetnode.capnproto.errors import Disconnected, Failed, RpcError, Unimplemented, as_rpc_error
from wetnode.capnproto.imported import ImportCap
from wetnode.capnproto.loop import Future
from wetnode.capnproto.messages import Target
from wetnode.capnproto.schemas import rpc as R
from wetnode.capnproto.tables import Answer, ProtocolError, Question, Tables

log = logging.getLogger(__name__)


class Connection:
    """One two-party RPC session. `bootstrap` is what the peer gets when it bootstraps us."""

    def __init__(self, bootstrap: Cap | None = None) -> None:
        self.bootstrap_cap = bootstrap
        self.error: RpcError | None = None
        self.tables: Tables[ImportCap] = Tables()
        self._decoder = wire.FrameDecoder()
        self._out: list[bytes] = []

    @property
    def questions(self) -> dict[int, Question]:
        return self.tables.questions

    @property
    def answers(self) -> dict[int, Answer]:
        return self.tables.answers

    @property
    def exports(self) -> dict[int, list[Any]]:
        """Export id -> [capability, the peer's reference count]."""
        return self.tables.exports

    @property
    def imports(self) -> dict[int, Any]:
        """Import id -> weak reference to its ImportCap."""
        return self.tables.imports

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
            self._out.append(messages.abort(reason))
        self._shutdown(Disconnected(f"connection aborted: {reason}"))

    def _shutdown(self, error: RpcError) -> None:
        if self.error is not None:
            return
        self.error = error
        self.tables.fail_all(error)

    # ------------------------------------------------------ outgoing calls

    def bootstrap(self) -> PipelineCap:
        """The peer's bootstrap capability, usable (pipelined) right away."""
        pending = Pending()
        if self.error is not None:
            pending.set_exception(self.error)
            return PipelineCap(pending, ())
        qid = self.tables.new_question_id()
        pending.remote = self
        pending.question_id = qid
        self.tables.asked(qid, pending, [])
        self._out.append(messages.bootstrap(qid))
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
        self._pipelined(pending, path)
        target = ("answer", pending.question_id, path)
        return self.call_target(target, interface_id, method_id, params, results, build)

    def forward(self, target: Target, d: Delivery) -> None:
        """Send a call that arrived in another message on to the peer."""
        pending = self._send_call(
            target, d.interface_id, d.method_id, lambda ptr: schema.copy_any(d.params, ptr)
        )
        pending.add_done_callback(lambda p: _transfer(p, d.answer))

    def forward_promised(self, pending: Pending, path: tuple[int, ...], d: Delivery) -> None:
        self._pipelined(pending, path)
        self.forward(("answer", pending.question_id, path), d)

    def _pipelined(self, pending: Pending, path: tuple[int, ...]) -> None:
        q = self.tables.questions.get(pending.question_id)
        if q is not None:
            q.pipelined.add(path)

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
        qid = self.tables.new_question_id()
        mb, payload, ptr = messages.call(qid, target, interface_id, method_id)
        content(ptr)
        exports = self._write_cap_table(payload, mb.caps)
        pending.remote = self
        pending.question_id = qid
        self.tables.asked(qid, pending, exports)
        self._out.append(mb.to_bytes())
        return pending

    # ------------------------------------------------- capability tables

    def _write_cap_table(self, payload: wire.StructBuilder, caps: list[Any]) -> list[int]:
        exported: list[int] = []
        if not caps:
            return exported
        descs = R.Payload.Builder(payload).init("capTable", len(caps))
        for desc, obj in zip(descs, caps, strict=True):
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
                messages.write_transform(pa, cap.path)
            else:
                eid = self.tables.export(cap)
                desc.senderHosted = eid
                exported.append(eid)
        return exported

    def _read_cap_table(self, descs: list[Any]) -> list[Cap]:
        caps: list[Cap] = []
        for d in descs:
            kind = d.which()
            if kind in ("senderHosted", "senderPromise"):
                caps.append(self._import(getattr(d, kind)))
            elif kind == "receiverHosted":
                cap = self.tables.exported(d.receiverHosted)
                caps.append(
                    cap
                    if cap is not None
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
        return self.tables.add_import(
            import_id, lambda: ImportCap(self, import_id), lambda cap: cap.released
        )

    def drop_import(self, cap: ImportCap) -> None:
        """Our last reference to `cap` is gone: tell the peer how many to release."""
        count = self.tables.drop_import(cap.import_id, cap)
        if count and self.error is None:
            self._out.append(messages.release(cap.import_id, count))

    def _answer_cap(self, pa: Any) -> Cap:
        answer = self.tables.answers.get(pa.questionId)
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
        root = msg.root().struct() or schema.empty_struct(msg)
        member = _HANDLERS.get(root.get(_U16, _MESSAGE_UNION))
        if member is None:
            log.info("answering unimplemented for RPC message %s", R.Message.Reader(root).which())
            self._out.append(messages.unimplemented(msg))
            return
        handler, body, slot = member
        handler(self, body(root.struct(slot) or schema.empty_struct(msg)), msg)

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
            q = self.tables.questions.pop(getattr(inner, kind).questionId, None)
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
            cap = self.tables.exported(t.importedCap)
            if cap is None:
                raise ProtocolError(f"call to unknown export {t.importedCap}")
            return cap
        if kind == "promisedAnswer":
            return self._answer_cap(t.promisedAnswer)
        raise ProtocolError(f"unknown message target {kind}")

    def _new_answer(self, answer_id: int) -> Answer:
        answer = self.tables.new_answer(answer_id)
        answer.add_done_callback(self._send_return)
        return answer

    def _send_return(self, answer: Any) -> None:
        if self.error is not None:
            return
        error = answer.exception()
        if answer.keep_results:
            self._out.append(messages.elsewhere_return(answer.question_id))
        elif error is None:
            mb, payload, ptr = messages.results_return(answer.question_id)
            try:
                schema.copy_any(answer.result(), ptr)
            except wire.DecodeError as exc:
                error = Failed(f"results could not be copied: {exc}")
            else:
                answer.result_exports = self._write_cap_table(payload, mb.caps)
                self._out.append(mb.to_bytes())
        if error is not None:
            self._out.append(messages.exception_return(answer.question_id, as_rpc_error(error)))
        if answer.finished:
            self.tables.finish_answer(answer)

    def _on_finish(self, f: Any, msg: wire.MessageReader) -> None:
        answer = self.tables.answers.get(f.questionId)
        if answer is None:
            raise ProtocolError(f"finish for unknown question {f.questionId}")
        answer.finished = True
        answer.release_result_caps = f.releaseResultCaps
        if answer.done():
            self.tables.finish_answer(answer)

    def _on_return(self, r: Any, msg: wire.MessageReader) -> None:
        q = self.tables.questions.pop(r.answerId, None)
        if q is None:
            raise ProtocolError(f"return for unknown question {r.answerId}")
        if r.releaseParamCaps:
            self.tables.release_all(q.param_exports)
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
            answer = self.tables.answers.get(r.takeFromOtherQuestion)
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
        if result is not None and q.pipelined:
            for path in sorted(q.pipelined):
                index = cap_index_at(result, path)
                if index is not None and not self._points_to_peer(result.msg.caps[index]):
                    lifted = self._disembargo(("answer", qid, path))
                    result.msg.caps[index] = EmbargoedCap(result.msg.caps[index], lifted)
        self._out.append(messages.finish(qid))
        self.tables.retire_question(qid)
        if error is not None:
            q.pending.set_exception(error)
        else:
            q.pending.set_result(result)

    def _disembargo(self, target: Target) -> Future:
        eid, lifted = self.tables.embargo()
        self._out.append(messages.disembargo(target, "senderLoopback", eid))
        return lifted

    def _on_resolve(self, res: Any, msg: wire.MessageReader) -> None:
        if res.which() == "cap":
            msg.caps = self._read_cap_table([res.cap])
            cap: Cap = msg.caps[0]
        else:
            ex = res.exception
            cap = BrokenCap(RpcError.of_type(ex.type, ex.reason))
        promise = self.tables.imported(res.promiseId)
        if promise is None:
            return  # already released; the resolution's own reference drops with `cap`
        promise.resolution = cap
        if promise.used and not self._points_to_peer(cap):
            promise.embargo = self._disembargo(("import", res.promiseId))

    def _on_release(self, rel: Any, msg: wire.MessageReader) -> None:
        self.tables.release_export(rel.id, rel.referenceCount)

    def _on_disembargo(self, d: Any, msg: wire.MessageReader) -> None:
        ctx = d.context
        kind = ctx.which()
        if kind == "receiverLoopback":
            self.tables.lift(ctx.receiverLoopback)
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
        self._out.append(messages.disembargo(target, "receiverLoopback", ctx.senderLoopback))


_U16 = struct.Struct("<H")
_MESSAGE_UNION = R.Message.DISCRIMINANT_OFFSET


def _handlers() -> dict[int, tuple[Callable[..., None], type[schema.StructReaderView], int]]:
    """Message union member -> (its ``_on_`` handler, its body's reader, the body's slot).
    Members without a handler are answered ``unimplemented``."""
    table = {}
    for f in R.Message.FIELDS:
        handler = getattr(Connection, "_on_" + f.name, None)
        if handler is not None:
            table[f.discriminant] = (handler, schema.struct_class(f.type[1]).Reader, f.offset)
    return table


_HANDLERS = _handlers()


def _transfer(source: Any, dest: Pending) -> None:
    error = source.exception()
    if error is not None:
        dest.set_exception(error)
    else:
        dest.set_result(source.result())
