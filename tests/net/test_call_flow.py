"""`CallFlow`, the pump's count of a peer's open calls, on real Cap'n Proto frames."""

from __future__ import annotations

import random

import pytest

from wetnode.capnproto import messages, wire
from wetnode.capnproto.errors import RpcError
from wetnode.net.flow import HEAD, CallFlow, FlowError, FlowLimits, _quick, _read


def _call(question: int, params: bytes = b"") -> bytes:
    """A Call of question ``question`` whose params struct holds ``params`` as Data."""
    mb, _payload, content = messages.call(question, ("import", 0), 0x1234, 0)
    wire.set_bytes(mb, content.init_struct(0, 1).ptr_index, params, nul=False)
    return mb.to_bytes()


def _return(answer: int) -> bytes:
    mb, _payload, _content = messages.results_return(answer)
    return mb.to_bytes()


def test_calls_fill_the_window_and_returns_reopen_it():
    flow = CallFlow(FlowLimits(max_calls=3, max_bytes=1 << 20))
    flow.from_peer(_call(1) + _call(2))
    assert (flow.open_calls, flow.full) == (2, False)
    flow.from_peer(messages.bootstrap(3))
    assert (flow.open_calls, flow.full) == (3, True)
    flow.from_vat(_return(2))
    assert (flow.open_calls, flow.full) == (2, False)


def test_bytes_of_open_calls_fill_the_window_too():
    big = _call(7, bytes(64 * 1024))
    flow = CallFlow(FlowLimits(max_calls=100, max_bytes=len(big)))
    flow.from_peer(big)
    assert flow.full and flow.open_bytes == len(big)
    flow.from_vat(messages.exception_return(7, RpcError("no")))
    assert not flow.full and flow.open_bytes == 0


def test_messages_split_at_any_byte_are_counted_once():
    frames = _call(1, bytes(5000)) + messages.finish(9) + _call(2) + _return(1)
    flow = CallFlow()
    for i in range(len(frames)):
        flow.from_peer(frames[i : i + 1])
    assert flow.open_calls == 2  # the Return came from the peer: it answers none of its own


def test_a_question_opened_twice_is_refused():
    flow = CallFlow()
    flow.from_peer(_call(4))
    with pytest.raises(FlowError, match="question 4 opened twice"):
        flow.from_peer(_call(4))


@pytest.mark.parametrize(
    "garbage",
    [
        b"\xff\xff\xff\xff" + bytes(12),  # 2**32 segments
        b"\x00\x00\x00\x00\x01\x00\x00\x00" + b"\xff" * 8,  # a root pointer far out of bounds
    ],
)
def test_a_peer_message_that_cannot_be_counted_is_refused(garbage: bytes):
    with pytest.raises(FlowError, match="does not decode"):
        CallFlow().from_peer(garbage)


def test_a_message_kind_newer_than_our_schema_passes_and_opens_no_question():
    """Legal from a newer peer (pycapnp answers it `unimplemented`); it crashed the node's
    pump with AttributeError, which took every other peer's calls down with it."""
    frame = bytearray(_call(1))
    frame[16:18] = (0x7777).to_bytes(2, "little")  # the Message union's discriminant
    flow = CallFlow()
    flow.from_peer(bytes(frame) + _call(2))
    assert flow.open_calls == 1


class _Kinds:
    """A watcher noting the kind and length of each message it is shown."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def peer_sent(self, kind: str, body: object, length: int) -> None:
        self.seen.append((kind, length))

    def vat_sent(self, kind: str, body: object, length: int) -> None:
        self.seen.append((kind, length))


def test_whole_messages_table_first_pieces_and_single_bytes_are_split_alike():
    """Whole one-segment messages are split without copying, and so are a table sent
    alone and its segment (how pycapnp writes): the same messages as byte by byte."""
    frames = [_call(1, bytes(5000)), messages.finish(9), _call(2), _return(1)]
    stream = b"".join(frames)
    feeds = {
        "whole": [stream],
        "pycapnp's pieces": [piece for f in frames for piece in (f[:8], f[8:])],
        "bytes": [stream[i : i + 1] for i in range(len(stream))],
        "odd cuts": [stream[i : i + 7] for i in range(0, len(stream), 7)],
    }
    seen = {}
    for name, pieces in feeds.items():
        kinds = _Kinds()
        flow = CallFlow(watcher=kinds)
        for piece in pieces:
            flow.from_peer(piece)
        seen[name] = (kinds.seen, flow.open_calls, flow.open_bytes)
    kinds = ["call", "finish", "call", "return"]
    assert seen["whole"][0] == [(kind, len(f)) for kind, f in zip(kinds, frames, strict=True)]
    assert all(result == seen["whole"] for result in seen.values()), seen


def test_the_quick_read_finds_what_the_decoder_finds_in_every_mutated_frame():
    """Without a watcher, a message's kind and question are read straight from its words
    (`_quick`: every message of every channel goes through it); where that read gives
    up, or a watcher needs the body, the decoder reads them (`_read`).  On the fuzz
    run's 12,000 mutated frames, wherever the quick read answers, the decoder reads the
    message without error and finds the same kind and question."""
    from tests.harden.test_mutated_frames import SEED, _mutations, _seeds

    answered = 0
    for frame in _mutations(random.Random(SEED), _seeds()):
        head = frame[8 : 8 + HEAD]
        quick = _quick(head)
        if quick is not None:
            kind, _body, question = _read(head)  # raises DecodeError if it disagrees so
            assert quick == (kind, question), frame.hex()
            answered += 1
    assert answered > 6000, answered  # most frames: the mutations leave most heads plain
