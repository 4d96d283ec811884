"""Cap'n Proto flow control for one RPC connection: how many of a peer's calls are open (sans-IO).

pycapnp reads every call a peer sends as fast as the socket delivers it and
queues it for the capability (pid0, on its own thread); it exposes no
``setFlowLimit``.  A peer that sends calls faster than pid0 answers them, or
never reads the answers, made the node hold gigabytes (issue 12, attack 4).
So the pump counts: each Call or Bootstrap the peer sends opens a question,
its Return from the vat closes it.  While the peer has ``max_calls``
questions open, or their messages add up to ``max_bytes``, the pump stops
reading the peer's stream; yamux's window then stops the peer's sender.
Reading resumes as Returns go back.

Only a message's kind and question number are read, from its first
``HEAD`` bytes (both RPC implementations the node meets put the root, the
Message and the Call at the start of the first segment); the rest passes
through uncopied.  They are read straight from the words when the pointers
are plain, else by the decoder (which a watcher needing the body always
uses): by the decoder, the count made a call over a guest's channel take 104
µs instead of 74; read straight, 92 (docs/performance.md).
A peer message whose head does not decode, or a segment table that is not
plausible, raises ``FlowError``: pycapnp would drop the connection for it
anyway, and a call that cannot be counted must not pass.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any, Protocol

from wetnode.capnproto.schema import struct_class
from wetnode.capnproto.schemas import rpc as R
from wetnode.capnproto.wire import DecodeError, MessageReader, frame_header, near_struct
from wetnode.errors import NetError
from wetnode.net.limits import DEFAULT_FLOW_LIMITS, FlowLimits

__all__ = ["DEFAULT_FLOW_LIMITS", "CallFlow", "FlowError", "FlowLimits", "Watcher"]

HEAD = 1024  # bytes of a message's first segment kept to read its kind and question
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")


class FlowError(NetError):
    """A peer's RPC bytes cannot be counted (bad framing or a message that does not decode)."""


class Watcher(Protocol):
    """Sees each message `CallFlow` decodes: its kind, its body read from the head, its length.

    The audit log's recorder (`wetnode.net.audit_tap`) is one; it must not
    raise, since a peer's message it cannot read is still passed on.
    """

    def peer_sent(self, kind: str, body: Any, length: int) -> None: ...

    def vat_sent(self, kind: str, body: Any, length: int) -> None: ...


class _Messages:
    """Splits one direction of a framed Cap'n Proto byte stream into messages.

    Keeps only the head of the message being read; yields (head of segment
    0, whole message length) as each message ends.
    """

    def __init__(self) -> None:
        self._table = bytearray()  # the current message's bytes, up to its head
        self._length: int | None = None  # the current message's length once its table is here
        self._header = 0  # bytes of its segment table
        self._seen = 0  # bytes of the current message fed so far

    def feed(self, data: bytes | memoryview) -> Iterator[tuple[bytes, int]]:
        view = memoryview(data)
        while True:
            table = frame_header(view) if self._length is None and not self._table else None
            if table is not None and len(view) >= table[0] + 8 * table[1]:
                # The common case, taken without copying into the table: a whole message
                # at the start of what is left.
                header, length = table[0], table[0] + 8 * table[1]
                yield bytes(view[header : min(length, header + HEAD)]), length
                view = view[length:]
                continue
            if self._length is None:
                if not view:
                    return
                view = self._read_table(view)
                continue
            rest = self._length - self._seen
            if self._seen == self._header and len(view) >= rest:
                # The table came alone (pycapnp writes it as a piece of its own), the
                # segments all at once: the head is read from them, not copied first.
                yield bytes(view[: min(rest, HEAD)]), self._length
                view = view[rest:]
                self._table.clear()
                self._length = None
                continue
            take = min(len(view), rest)
            keep = self._header + HEAD - len(self._table)
            if keep > 0:
                self._table += view[: min(take, keep)]
            self._seen += take
            view = view[take:]
            if self._seen < self._length:
                return  # every byte fed is taken: the message goes on in the next feed
            yield bytes(self._table[self._header :]), self._length
            self._table.clear()
            self._length = None

    def _read_table(self, view: memoryview) -> memoryview:
        """Take the segment table a word at a time until it is whole; return what is left.

        (A table is whole words; most are one.)
        """
        take = 8 - len(self._table) % 8
        self._table += view[:take]
        if len(self._table) % 8 == 0:
            table = frame_header(self._table)  # DecodeError: more segments than KJ accepts
            if table is not None:
                self._header, words = table
                self._length = self._header + 8 * words
                self._seen = self._header
        return view[take:]


class CallFlow:
    """Open questions of one peer on one RPC connection, fed both directions' bytes."""

    def __init__(
        self, limits: FlowLimits = DEFAULT_FLOW_LIMITS, watcher: Watcher | None = None
    ) -> None:
        self.limits = limits
        self.watcher = watcher
        self._open: dict[int, int] = {}  # question id -> bytes of its message
        self.open_bytes = 0
        self._from_peer = _Messages()
        self._from_vat = _Messages()

    @property
    def open_calls(self) -> int:
        return len(self._open)

    @property
    def full(self) -> bool:
        """True while the pump must not read more of the peer's bytes."""
        return len(self._open) >= self.limits.max_calls or self.open_bytes >= self.limits.max_bytes

    def _kind(self, head: bytes) -> tuple[str, Any, int]:
        """``_read``, the quick way when no watcher needs the message's body."""
        if self.watcher is None and (quick := _quick(head)) is not None:
            return quick[0], None, quick[1]
        return _read(head)

    def from_peer(self, data: bytes | memoryview) -> None:
        """Bytes the peer sent, on their way to the vat: count each question they open."""
        try:
            for head, length in self._from_peer.feed(data):
                kind, body, question = self._kind(head)
                if kind in ("call", "bootstrap"):
                    if question in self._open:
                        raise DecodeError(f"question {question} opened twice")
                    self._open[question] = length
                    self.open_bytes += length
                if self.watcher is not None:
                    self.watcher.peer_sent(kind, body, length)
        except DecodeError as error:
            raise FlowError(f"peer sent an RPC message that does not decode: {error}") from error

    def from_vat(self, data: bytes | memoryview) -> None:
        """Bytes the vat sent, on their way to the peer: each Return closes a question."""
        try:
            for head, length in self._from_vat.feed(data):
                kind, body, answer = self._kind(head)
                if kind == "return":
                    self.open_bytes -= self._open.pop(answer, 0)
                if self.watcher is not None:
                    self.watcher.vat_sent(kind, body, length)
        except DecodeError:  # the vat's own framing: trusted, but never fatal to count
            self._from_vat = _Messages()


def _member(field: Any) -> tuple[str, bool] | None:
    """A Message union member ``_quick`` reads: its name, and whether its body begins
    with a question or answer id (a u32 at offset 0)."""
    if field.type[0] != "struct":
        return None  # the obsolete AnyPointer members: left to ``_read``
    body = struct_class(field.type[1])
    ids = [f for f in body.FIELDS if f.name in ("questionId", "answerId") and f.offset == 0]
    return field.name, bool(ids)


_MEMBERS = {f.discriminant: m for f in R.Message.FIELDS if (m := _member(f)) is not None}


def _quick(head: bytes) -> tuple[str, int] | None:
    """What ``_read`` finds of a message's kind and id, read straight from the words
    when the root and the body are plain near struct pointers inside the head (as both
    RPC implementations write them); None for anything else, which ``_read`` decides.
    A few times faster than ``_read``: every message on every channel goes through it."""
    segment = memoryview(head)[: len(head) & ~7]
    if len(segment) < 16:
        return None
    root = near_struct(segment, 0)
    if root is None or root[1] < 1 or root[2] < 1:
        return None
    start, data_words, _ = root
    member = _MEMBERS.get(_U16.unpack_from(segment, start * 8)[0])
    if member is None:
        return None
    body = near_struct(segment, start + data_words)
    if body is None:
        return None
    kind, has_id = member
    if not has_id:
        return kind, 0
    if body[1] < 1:
        return None
    return kind, _U32.unpack_from(segment, body[0] * 8)[0]


def _read(head: bytes) -> tuple[str, Any, int]:
    """The Message union member of a message, its body, and the body's first u32 (the
    question or answer id of a Call, Bootstrap, Return or Finish).

    A member this schema does not know is legal (a newer peer; pycapnp answers
    it ``unimplemented``): it opens no question here.
    """
    if len(head) < 8:
        raise DecodeError("empty first segment")
    message = R.Message.read(MessageReader([head[: len(head) & ~7]]))
    kind = message.which()
    body = getattr(message, kind, None)  # None: a kind newer than our schema (``unknown(N)``)
    return kind, body, getattr(body, "questionId", getattr(body, "answerId", 0))
