"""Decoding what a node reports: well-formed logs decode, anything else is refused."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from wetnode.stem.abi import (
    HEAD_UPDATED_TOPIC,
    DecodeError,
    Head,
    decode_head_return,
    decode_log,
)

WRITER = "0x" + "ab" * 20


def raw_log(cid: bytes = b"cid", seq: int = 7, **override: Any) -> dict[str, Any]:
    log = {
        "topics": [
            "0x" + HEAD_UPDATED_TOPIC.hex(),
            "0x" + seq.to_bytes(32, "big").hex(),
            "0x" + bytes(12).hex() + WRITER[2:],
            "0x" + keccak(cid).hex(),
        ],
        "data": "0x" + abi_encode(["bytes"], [cid]).hex(),
        "blockNumber": "0x10",
        "blockHash": "0x" + "11" * 32,
        "logIndex": "0x2",
        "transactionHash": "0x" + "22" * 32,
    }
    return {**log, **override}


def test_a_head_updated_log_decodes_with_its_position() -> None:
    event = decode_log(raw_log())
    assert (event.seq, event.cid, event.writer) == (7, b"cid", WRITER)
    assert event.key == (bytes.fromhex("11" * 32), 2)
    assert event.block_number == 16


@pytest.mark.parametrize(
    "override",
    [
        {"topics": ["0x" + keccak(text="Other(uint64)").hex()]},  # another event
        {"topics": ["0x85f2cb2e"]},  # a 4-byte prefix is not the topic
        {"data": "0x" + abi_encode(["bytes"], [b"not-the-hashed-cid"]).hex()},
        {"data": "0x1234"},
        {"blockNumber": 16},
        {"blockHash": None},
    ],
    ids=["other-event", "topic-prefix", "cid-hash-mismatch", "short-data", "number", "hash"],
)
def test_malformed_or_foreign_logs_are_refused(override: dict[str, Any]) -> None:
    with pytest.raises(DecodeError):
        decode_log(raw_log(**override))


def test_head_return_decodes_and_garbage_is_refused() -> None:
    assert decode_head_return(abi_encode(["uint64", "bytes"], [3, b"cid"])) == Head(3, b"cid")
    with pytest.raises(DecodeError):
        decode_head_return(b"\x00" * 10)
