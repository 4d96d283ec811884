"""Wire format edge cases and hostile input: far pointers, limits, loops, fuzzing."""

from __future__ import annotations

import random
import struct
import subprocess
import sys
from typing import Any

import pytest
from guest_peers import ROOT

from wetnode.capnproto import wire
from wetnode.capnproto.connection import Connection
from wetnode.capnproto.schemas import rpc as R


def words(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}Q", *values)


def framed(*segments: bytes) -> bytes:
    header = struct.pack(f"<I{len(segments)}I", len(segments) - 1, *(len(s) // 8 for s in segments))
    header += bytes(-len(header) % 8)
    return header + b"".join(segments)


def struct_ptr(offset: int, data: int, ptrs: int) -> int:
    return ((offset << 2) & 0xFFFFFFFF) | (data << 32) | (ptrs << 48)


def far_ptr(segment: int, landing: int, double: bool = False) -> int:
    return 2 | (int(double) << 2) | (landing << 3) | (segment << 32)


def test_single_far_pointer_is_followed() -> None:
    seg0 = words(far_ptr(1, 0))
    seg1 = words(struct_ptr(0, 1, 0), 0xDEADBEEF)
    s = wire.MessageReader.from_bytes(framed(seg0, seg1)).root().struct()
    assert s is not None and s.get(struct.Struct("<Q"), 0) == 0xDEADBEEF


def test_double_far_pointer_is_followed() -> None:
    seg0 = words(far_ptr(1, 0, double=True))
    seg1 = words(far_ptr(2, 0), struct_ptr(0, 1, 0))  # landing pad + tag
    seg2 = words(42)
    s = wire.MessageReader.from_bytes(framed(seg0, seg1, seg2)).root().struct()
    assert s is not None and s.get(struct.Struct("<Q"), 0) == 42


@pytest.mark.parametrize(
    ("message", "complaint"),
    [
        (framed(words(struct_ptr(5, 1, 0))), "out of bounds"),
        (framed(words(far_ptr(9, 0))), "missing segment"),
        (framed(words(struct_ptr(-1, 0, 1))), "nesting limit"),  # points at itself
        (framed(words(1 | (7 << 32) | (1 << 35), struct_ptr(3, 1, 0))), "composite"),
    ],
)
def test_bad_pointers_raise_decode_errors(message: bytes, complaint: str) -> None:
    def walk(s: Any) -> None:
        while s is not None:
            s = s.struct(0) if s.ptr_count else None

    with pytest.raises(wire.DecodeError, match=complaint):
        root = wire.MessageReader.from_bytes(message).root()
        if "composite" in complaint:
            wire.read_list(root.msg, 0, 0, 64)
        walk(root.struct())


def test_amplification_hits_the_traversal_limit() -> None:
    # A list of 1000 pointers that all point at one big struct.
    n = 1000
    body = [1 | (wire.POINTER << 32) | (n << 35)]
    for i in range(n):
        body.append(struct_ptr(n - i - 1, 0, 0) | (2000 << 32))
    body += [0] * 2000
    msg = wire.MessageReader([words(*body)], traversal_limit=100_000)
    lst = wire.read_list(msg, 0, 0, 64)
    assert lst is not None
    with pytest.raises(wire.DecodeError, match="traversal limit"):
        for i in range(n):
            lst.ptr_at(i).struct()


def test_copying_a_pointer_loop_fails_cleanly() -> None:
    msg = wire.MessageReader.from_bytes(framed(words(struct_ptr(-1, 0, 1))))
    with pytest.raises(wire.DecodeError):
        wire.copy_pointer(msg, 0, 0, 64, wire.MessageBuilder(), 0, lambda i: i)


@pytest.mark.parametrize(
    "data",
    [
        struct.pack("<I", 0xFFFFFFFF) + bytes(4),  # 4 Gi segments
        struct.pack("<II", 0, 0x7FFFFFFF),  # a 16 GiB segment
    ],
)
def test_oversized_frames_abort_before_buffering(data: bytes) -> None:
    conn = Connection()
    conn.receive(data)
    assert conn.error is not None and conn._decoder.pending <= len(data)
    (abort,) = [R.Message.read(m) for m in wire.FrameDecoder().feed(conn.data_to_send())]
    assert abort.which() == "abort"


def _bootstrap_frames(*question_ids: int) -> list[bytes]:
    frames = []
    for qid in question_ids:
        mb, msg = R.Message.new_message()
        msg.init("bootstrap").questionId = qid
        frames.append(mb.to_bytes())
    return frames


def test_a_stream_cut_anywhere_decodes_to_the_same_messages() -> None:
    frames = [*_bootstrap_frames(1, 2, 3), framed(words(struct_ptr(0, 1, 0), 7), words(9))]
    stream = b"".join(frames)
    for cut in range(len(stream) + 1):
        decoder = wire.FrameDecoder()
        got = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        assert [bytes(m.segments[0]) for m in got[:3]] == [f[8:] for f in frames[:3]], cut
        assert len(got) == 4 and bytes(got[3].segments[1]) == words(9), cut
        assert decoder.pending == 0
    decoder = wire.FrameDecoder()
    one_by_one = [m for i in range(len(stream)) for m in decoder.feed(stream[i : i + 1])]
    assert len(one_by_one) == 4 and decoder.pending == 0


def test_messages_read_from_a_buffer_the_caller_reuses_keep_their_bytes() -> None:
    first, second = _bootstrap_frames(5, 6)
    buf = bytearray(first + second[:5])
    decoder = wire.FrameDecoder()
    (m,) = decoder.feed(buf)
    buf[:] = bytes(len(buf))  # a transport refilling its read buffer
    (n,) = decoder.feed(memoryview(bytearray(second[5:])))
    assert R.Message.read(m).bootstrap.questionId == 5
    assert R.Message.read(n).bootstrap.questionId == 6


def test_truncated_frame_waits_then_eof_disconnects() -> None:
    conn = Connection()
    mb, msg = R.Message.new_message()
    msg.init("bootstrap").questionId = 1
    conn.receive(mb.to_bytes()[:-3])
    assert conn.error is None and conn.answers == {}
    conn.peer_closed()
    assert conn.error is not None and conn.error.type == "disconnected"


def fuzz_inputs(count: int) -> list[bytes]:
    rng = random.Random(20261122)
    mb, msg = R.Message.new_message()
    call = msg.init("call")
    call.questionId = 3
    call.init("target").importedCap = 0
    params = call.init("params")
    params.init("content").init_struct(1, 1)
    (desc,) = params.init("capTable", 1)
    desc.senderHosted = 4
    seed = bytes(mb.to_bytes())
    out = []
    for i in range(count):
        if i % 2:
            data = bytearray(seed)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            data = bytearray(rng.randbytes(rng.randint(0, 200)))
        out.append(bytes(data))
    return out


def test_fuzzed_frames_decode_or_raise_decode_error_only() -> None:
    parsed = rejected = 0
    for data in fuzz_inputs(3000):
        try:
            for m in wire.FrameDecoder().feed(data):
                R.Message.read(m).to_dict()  # walks every reachable field
            parsed += 1
        except wire.DecodeError:
            rejected += 1
    assert parsed and rejected  # both kinds occur with this seed


def test_fuzzed_frames_end_connections_cleanly() -> None:
    aborted = 0
    for data in fuzz_inputs(2000):
        conn = Connection()
        conn.receive(data)
        aborted += conn.error is not None
        conn.peer_closed()
        assert conn.error is not None and conn.questions == {}
    assert aborted > 500


def test_committed_generated_schemas_match_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_guest_schemas.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_rpc_default_values_are_xored_on_the_wire() -> None:
    mb, ret = R.Return.new_message()
    ret.releaseParamCaps = True  # the default: stored as 0
    assert not any(mb.buf[8:])
    ret.releaseParamCaps = False
    r = R.Return.read(wire.MessageReader.from_bytes(mb.to_bytes()))
    assert r.releaseParamCaps is False
