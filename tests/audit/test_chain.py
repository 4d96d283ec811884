"""The audit chain's sans-IO core: encoding, links, signed heads and what verify names."""

from __future__ import annotations

import dataclasses

from wetnode.audit.chain import Chain, Event, Head, Row, encode, head_message, verify
from wetnode.keys import NodeKey

KEY = NodeKey.generate()


def _rows(count: int, chain: Chain | None = None) -> list[Row]:
    chain = chain or Chain()
    return [
        chain.append(Event("call", 1_000 + i, 0, "pid0", "Executor.echo", bytes_in=16))
        for i in range(count)
    ]


def _head(row: Row, key: NodeKey = KEY) -> Head:
    return Head(row.seq, row.hash, key.sign(head_message(row.seq, row.hash)))


def test_an_intact_signed_chain_verifies_and_counts_its_unsigned_tail():
    rows = _rows(10)
    report = verify(rows, [_head(rows[6])], KEY.public_key)
    assert report.broken is None
    assert (report.events, report.heads, report.last_signed, report.unsigned) == (10, 1, 7, 3)


def test_the_body_is_canonical_json_linking_to_the_previous_hash():
    first, second = _rows(2)
    assert first.body == encode(first.event())  # sorted keys, no spaces: re-encoding is identity
    assert first.event()["prev"] == "00" * 32
    assert second.event()["prev"] == first.hash.hex()
    assert b" " not in second.body and second.event()["seq"] == 2


def test_one_flipped_byte_in_a_stored_event_names_that_event():
    rows = _rows(10)
    body = bytearray(rows[4].body)
    body[body.index(b"pid0")] ^= 0x01
    rows[4] = dataclasses.replace(rows[4], body=bytes(body))
    report = verify(rows, [_head(rows[-1])], KEY.public_key)
    assert report.broken is not None
    assert report.broken.seq == 5
    assert "does not match its stored hash" in report.broken.reason


def test_an_event_rewritten_with_a_fresh_hash_breaks_the_next_link():
    rows = _rows(6)
    forged = Chain(3, rows[2].hash).append(Event("call", 9, 0, "pid0", "Host.id"))
    rows[3] = forged
    report = verify(rows, [], KEY.public_key)
    assert report.broken is not None and report.broken.seq == 5
    assert "does not link to event 4" in report.broken.reason


def test_deleting_the_last_events_is_detected_against_the_last_signed_head():
    rows = _rows(10)
    report = verify(rows[:7], [_head(rows[-1])], KEY.public_key)
    assert report.broken is not None and report.broken.seq == 8
    assert "a signed head covers events up to 10, the log ends at 7" in report.broken.reason


def test_a_missing_event_in_the_middle_is_named():
    rows = _rows(5)
    report = verify(rows[:2] + rows[3:], [], KEY.public_key)
    assert report.broken is not None and report.broken.seq == 3


def test_a_head_signed_by_another_key_is_refused():
    rows = _rows(3)
    report = verify(rows, [_head(rows[-1], NodeKey.generate())], KEY.public_key)
    assert report.broken is not None and report.broken.seq == 3
    assert "bad signature" in report.broken.reason


def test_a_chain_continues_after_the_last_stored_event():
    rows = _rows(3)
    more = _rows(2, Chain(rows[-1].seq, rows[-1].hash))
    assert [r.seq for r in more] == [4, 5]
    assert verify(rows + more, [_head(more[-1])], KEY.public_key).broken is None
