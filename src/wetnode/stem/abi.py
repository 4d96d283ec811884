"""The Atom contract's interface: artifact, selectors, log and return decoding.

Everything a follower needs to understand the chain's answers lives here, so
the HTTP side (``contract``) and the WebSocket side (``indexer``) decode the
same way.  The topic is the full 32-byte keccak of the event signature: the
reference filtered on a 4-byte prefix, which any other event could collide
with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from wetnode.keys import keccak256

# Shipped in the package (built from contracts/Atom.sol by scripts/build_contract.mjs).
ARTIFACT_PATH = Path(__file__).resolve().parent / "Atom.json"

HEAD_UPDATED_SIGNATURE = "HeadUpdated(uint64,address,bytes,bytes32)"
HEAD_UPDATED_TOPIC = keccak256(HEAD_UPDATED_SIGNATURE.encode())
HEAD_SELECTOR = keccak256(b"head()")[:4]
SET_HEAD_SELECTOR = keccak256(b"setHead(bytes)")[:4]
ERROR_SELECTORS = {
    keccak256(b"NotOwner()")[:4]: "NotOwner",
    keccak256(b"NoChange()")[:4]: "NoChange",
}


class DecodeError(ValueError):
    """The chain sent something that is not a well-formed Atom answer."""


@dataclass(frozen=True)
class Head:
    """The contract's state: how often the head moved, and the head bytes (a binary CID)."""

    seq: int
    cid: bytes


@dataclass(frozen=True)
class HeadUpdated:
    """One HeadUpdated log as a node reported it, with where it sits in the chain.

    ``(block_hash, log_index)`` names a log uniquely: the same transaction
    re-included after a reorg lands in another block and is another log.
    """

    seq: int
    cid: bytes
    writer: str
    block_number: int
    block_hash: bytes
    log_index: int
    tx_hash: bytes

    @property
    def key(self) -> tuple[bytes, int]:
        return (self.block_hash, self.log_index)


@cache
def artifact() -> dict[str, Any]:
    """The compiled contract (ABI and bytecode), built by scripts/build_contract.mjs."""
    try:
        return json.loads(ARTIFACT_PATH.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{ARTIFACT_PATH} is missing: run `node scripts/build_contract.mjs`"
        ) from None


def decode_head_return(data: bytes) -> Head:
    """Decode the return data of ``head()``: ``(uint64, bytes)``."""
    try:
        seq, cid = abi_decode(["uint64", "bytes"], data)
    except (DecodingError, TypeError, ValueError) as exc:
        raise DecodeError(f"head() returned malformed data: {exc}") from exc
    return Head(seq=seq, cid=bytes(cid))


def revert_reason(data: bytes) -> str | None:
    """The Atom custom error name a revert carried, if it is one of ours."""
    return ERROR_SELECTORS.get(bytes(data[:4]))


def decode_log(log: dict[str, Any]) -> HeadUpdated:
    """Decode a JSON-RPC log object (eth_getLogs or eth_subscription) into ``HeadUpdated``."""
    try:
        topics = [hex_bytes(t) for t in log["topics"]]
        if len(topics) != 4 or topics[0] != HEAD_UPDATED_TOPIC:
            raise DecodeError(f"not a HeadUpdated log (topics {log['topics']})")
        (cid,) = abi_decode(["bytes"], hex_bytes(log["data"]))
        cid = bytes(cid)
        if keccak256(cid) != topics[3]:
            raise DecodeError("HeadUpdated cidHash does not match its cid")
        return HeadUpdated(
            seq=int.from_bytes(topics[1], "big"),
            cid=cid,
            writer="0x" + topics[2][12:].hex(),
            block_number=hex_int(log["blockNumber"]),
            block_hash=hex_bytes(log["blockHash"]),
            log_index=hex_int(log["logIndex"]),
            tx_hash=hex_bytes(log["transactionHash"]),
        )
    except DecodeError:
        raise
    except (DecodingError, KeyError, TypeError, ValueError) as exc:
        raise DecodeError(f"malformed HeadUpdated log: {exc!r}") from exc


def hex_bytes(value: str) -> bytes:
    """Bytes from a JSON-RPC ``0x``-prefixed hex string."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise DecodeError(f"expected 0x-prefixed hex, got {value!r}")
    return bytes.fromhex(value[2:])


def hex_int(value: str) -> int:
    """An integer from a JSON-RPC quantity (``0x``-prefixed hex)."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise DecodeError(f"expected 0x-prefixed quantity, got {value!r}")
    return int(value, 16)
