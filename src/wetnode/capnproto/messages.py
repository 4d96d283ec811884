"""Outgoing RPC messages: how each rpc.capnp message the connection sends is laid out.

The connection decides what to say (which question, which target, which
capabilities); this module only encodes it, as h11's writers do for its state
machine.  The three messages every call sends (a Call to an imported
capability, a Return with results, a Finish) are byte templates laid out once
from the generated tables and patched with a few numbers per call: CPython
compiled to wasm builds structs slowly, and copying the bytes instead made a
guest's call a quarter faster (docs/performance.md).  The rest go through the
typed builders.
"""

from __future__ import annotations

import struct
from typing import Any

from wetnode.capnproto import schema, wire
from wetnode.capnproto.errors import RpcError
from wetnode.capnproto.schemas import rpc as R

Target = tuple[Any, ...]
"""A call's target: ("import", import id) or ("answer", question id, pointer path)."""

_U16, _U32, _U64 = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<Q")
_MSG_CALL = R.Message.FIELD_MAP["call"]
_MSG_FINISH = R.Message.FIELD_MAP["finish"]
_MSG_RETURN = R.Message.FIELD_MAP["return"]
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
_FINISH_RELEASE = R.Finish.FIELD_MAP["releaseResultCaps"]
_RETURN_ID = R.Return.FIELD_MAP["answerId"].offset
_RETURN_RELEASE = R.Return.FIELD_MAP["releaseParamCaps"]
_RETURN_UNION = R.Return.DISCRIMINANT_OFFSET
_RETURN_RESULTS = R.Return.FIELD_MAP["results"]
_RETURN_ELSEWHERE = R.Return.FIELD_MAP["resultsSentElsewhere"]
_MSG_UNIMPLEMENTED = R.Message.FIELD_MAP["unimplemented"].offset


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


class _PayloadTemplate:
    """A message with a payload, laid out once and copied for each use."""

    def __init__(self, mb: wire.MessageBuilder, payload: wire.StructBuilder) -> None:
        self.segment = bytes(mb.buf)
        self.payload = (payload.data_off, payload.data_words, payload.ptr_index, payload.ptr_count)

    def copy(self) -> tuple[wire.MessageBuilder, wire.StructBuilder]:
        """A new message from the template, and its payload struct."""
        mb = wire.MessageBuilder.from_segment(self.segment)
        return mb, wire.StructBuilder(mb, *self.payload)


def _finish_frame() -> tuple[bytes, int]:
    """Every call ends with the same Finish but for its question id: the framed
    message for question 0, and the byte offset of the id in it."""
    mb = wire.MessageBuilder()
    fin = _init_union_struct(mb, R.Message, _MSG_FINISH, R.Finish)
    fin.set_bool(_FINISH_RELEASE.offset, False, _FINISH_RELEASE.default)
    return mb.to_bytes(), wire.FRAME_HEADER + fin.data_off + _FINISH_QID


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


_FINISH_FRAME, _FINISH_QID_AT = _finish_frame()
_CALL_TEMPLATE, _CALL_QID_AT, _CALL_IID_AT, _CALL_MID_AT, _CALL_IMPORT_AT = _call_to_import()
_RETURN_TEMPLATE, _RETURN_ID_AT = _results_return()


# ------------------------------------------------- with a payload to fill


Payload = tuple[wire.MessageBuilder, wire.StructBuilder, wire.PtrBuilder]
"""A message whose payload is still to be filled: the message, the payload, its content."""


def call(question_id: int, target: Target, interface_id: int, method_id: int) -> Payload:
    """A Call whose params are still to be written."""
    if target[0] == "import":
        mb, payload = _CALL_TEMPLATE.copy()
        _U32.pack_into(mb.buf, _CALL_QID_AT, question_id)
        _U64.pack_into(mb.buf, _CALL_IID_AT, interface_id)
        _U16.pack_into(mb.buf, _CALL_MID_AT, method_id)
        _U32.pack_into(mb.buf, _CALL_IMPORT_AT, target[1])
    else:
        # Other targets are laid out with raw struct writes, not typed builders.
        mb = wire.MessageBuilder()
        c = _init_union_struct(mb, R.Message, _MSG_CALL, R.Call)
        c.set(_U32, _CALL_QID, question_id)
        c.set(_U64, _CALL_IID, interface_id)
        c.set(_U16, _CALL_MID, method_id)
        write_target(R.Call.Builder(c).init("target"), target)
        payload = wire.init_struct(mb, c.ptr_index + _CALL_PARAMS, *_PAYLOAD_SIZE)
    return mb, payload, wire.PtrBuilder(mb, payload.ptr_index + _PAYLOAD_CONTENT)


def results_return(answer_id: int) -> Payload:
    """A Return whose results are still to be written."""
    mb, payload = _RETURN_TEMPLATE.copy()
    _U32.pack_into(mb.buf, _RETURN_ID_AT, answer_id)
    return mb, payload, wire.PtrBuilder(mb, payload.ptr_index + _PAYLOAD_CONTENT)


# -------------------------------------------------------------- whole frames


def finish(question_id: int) -> bytes:
    """The Finish for a question (the peer may release the result caps)."""
    frame = bytearray(_FINISH_FRAME)
    _U32.pack_into(frame, _FINISH_QID_AT, question_id)
    return bytes(frame)


def elsewhere_return(answer_id: int) -> bytes:
    """A Return saying the results went where the caller asked (sendResultsTo = yourself)."""
    mb = wire.MessageBuilder()
    ret = _init_union_struct(mb, R.Message, _MSG_RETURN, R.Return)
    ret.set(_U32, _RETURN_ID, answer_id)
    ret.set_bool(_RETURN_RELEASE.offset, False, _RETURN_RELEASE.default)
    ret.set(_U16, _RETURN_UNION, _RETURN_ELSEWHERE.discriminant)
    return mb.to_bytes()


def exception_return(answer_id: int, error: RpcError) -> bytes:
    mb, msg = R.Message.new_message()
    ret = msg.init("return")
    ret.answerId = answer_id
    ret.releaseParamCaps = False
    ex = ret.init("exception")
    ex.reason = error.reason
    ex.type = error.type_ordinal
    return mb.to_bytes()


def bootstrap(question_id: int) -> bytes:
    mb, msg = R.Message.new_message()
    msg.init("bootstrap").questionId = question_id
    return mb.to_bytes()


def abort(reason: str) -> bytes:
    mb, msg = R.Message.new_message()
    ex = msg.init("abort")
    ex.reason = reason
    ex.type = 0
    return mb.to_bytes()


def release(import_id: int, count: int) -> bytes:
    mb, msg = R.Message.new_message()
    rel = msg.init("release")
    rel.id = import_id
    rel.referenceCount = count
    return mb.to_bytes()


def disembargo(target: Target, context: str, embargo_id: int) -> bytes:
    """A Disembargo: `context` "senderLoopback" asks the peer to reflect it once
    earlier calls to `target` arrived; "receiverLoopback" is that reflection."""
    mb, msg = R.Message.new_message()
    d = msg.init("disembargo")
    write_target(d.init("target"), target)
    setattr(d.context, context, embargo_id)
    return mb.to_bytes()


def unimplemented(received: wire.MessageReader) -> bytes:
    """An Unimplemented echoing the whole received message."""
    mb, out = R.Message.new_message()
    out.init("unimplemented")
    slot = out._b.ptr_index + _MSG_UNIMPLEMENTED
    wire.copy_pointer(received, 0, 0, wire.NESTING_LIMIT, mb, slot, lambda i: i)
    return mb.to_bytes()


# ------------------------------------------------------------------- parts


def write_target(tb: Any, target: Target) -> None:
    """Fill a MessageTarget builder."""
    if target[0] == "import":
        tb.importedCap = target[1]
    else:
        pa = tb.init("promisedAnswer")
        pa.questionId = target[1]
        write_transform(pa, target[2])


def write_transform(pa: Any, path: tuple[int, ...]) -> None:
    """Fill a PromisedAnswer's transform with a pointer path."""
    if path:
        for op, index in zip(pa.init("transform", len(path)), path, strict=True):
            op.getPointerField = index
