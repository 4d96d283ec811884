"""The vat's coalescer releases whole Cap'n Proto messages, and nothing is lost."""

from __future__ import annotations

from wetnode.capnproto.wire import frame_header
from wetnode.net.framing import Coalescer
from wetnode.rpc import schema


def _message(size: int) -> bytes:
    """A real message in stream framing, as pycapnp writes it (one segment here)."""
    return schema.system().PeerInfo.new_message(peerId=b"p" * size).to_bytes()


def _two_segments(first_words: int, second_words: int) -> bytes:
    """A two-segment message: table of 4 + 2*4 bytes, padded to 16, then the words."""
    table = (1).to_bytes(4, "little") + first_words.to_bytes(4, "little")
    table += second_words.to_bytes(4, "little") + bytes(4)
    return table + bytes(8 * (first_words + second_words))


def test_a_message_split_anywhere_comes_out_whole_and_once() -> None:
    message = _message(100)
    for cut in range(1, len(message)):
        coalescer = Coalescer()
        assert coalescer.feed(message[:cut]) == b""
        assert coalescer.feed(message[cut:]) == message


def test_pycapnps_two_writes_per_message_become_one() -> None:
    coalescer = Coalescer()
    message = _message(10)
    table, body = message[:8], message[8:]  # what pycapnp hands the socket, in turn
    assert coalescer.feed(table) == b""
    assert coalescer.feed(body) == message


def test_whole_messages_go_out_and_a_partial_one_waits() -> None:
    first, second, third = _message(5), _two_segments(2, 3), _message(7)
    coalescer = Coalescer()
    assert coalescer.feed(first + second + third[:9]) == first + second
    assert coalescer.feed(third[9:]) == third


def test_a_large_message_streams_as_it_arrives_and_the_next_boundary_is_kept() -> None:
    big, small = _message(200_000), _message(3)
    coalescer = Coalescer(stream_above=64 * 1024)
    out = [coalescer.feed(big[i : i + 50_000]) for i in range(0, len(big), 50_000)]
    assert b"".join(out) == big
    assert all(out), "every chunk of the large message goes out at once"
    assert coalescer.feed(small[:8]) == b""  # back to whole messages after it
    assert coalescer.feed(small[8:]) == small


def test_bytes_already_whole_and_a_large_messages_rest_come_back_uncopied() -> None:
    whole = _message(5) + _two_segments(2, 3)
    coalescer = Coalescer(stream_above=64 * 1024)
    assert coalescer.feed(whole) is whole
    big = _message(200_000)
    table = big[: frame_header(big)[0]]  # type: ignore[index]
    assert coalescer.feed(table) == table  # a large message's table goes out at once
    rest = big[len(table) :]
    assert coalescer.feed(rest) is rest


def test_an_implausible_segment_table_passes_bytes_through() -> None:
    garbage = (100_000).to_bytes(4, "little") + b"rest"
    coalescer = Coalescer()
    assert coalescer.feed(garbage) == garbage
    assert coalescer.feed(b"more") == b"more"


def test_flush_at_end_of_stream_returns_what_is_held() -> None:
    message = _message(20)
    coalescer = Coalescer()
    assert coalescer.feed(message[:12]) == b""
    assert coalescer.flush() == message[:12]
    assert coalescer.flush() == b""
