"""Content identifiers: parse, print, and check a block against its CID.

Only sha2-256 multihashes are accepted: it is what `ipfs add` uses by default
and it lets every block be verified without trusting whoever served it.
CIDv0 prints as base58btc (`Qm...`); CIDv1 as base32 (`b...`).  Two CIDs are
compared as decoded values, never as text (a daemon may print v1 in base58).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from wetnode.codec import b58decode, b58encode, read_uvarint, uvarint
from wetnode.ipfs.errors import CorruptBlock, InvalidCid

SHA2_256 = 0x12
DAG_PB = 0x70
RAW = 0x55
CODEC_NAMES = {DAG_PB: "dag-pb", RAW: "raw"}


@dataclass(frozen=True)
class Cid:
    version: int
    codec: int
    multihash: bytes

    @classmethod
    def of_block(cls, block: bytes, *, version: int = 0, codec: int = DAG_PB) -> Cid:
        digest = hashlib.sha256(block).digest()
        return cls(version, codec, bytes([SHA2_256, len(digest)]) + digest)

    @classmethod
    def parse(cls, text: str) -> Cid:
        """A CID from its text form; `InvalidCid` names the text otherwise."""
        text = text.strip()
        try:
            if len(text) == 46 and text.startswith("Qm"):
                return cls._checked(0, DAG_PB, b58decode(text), text)
            if text[:1] == "b":
                padded = text[1:].upper() + "=" * (-len(text[1:]) % 8)
                return cls.from_bytes(base64.b32decode(padded), text)
            if text[:1] == "z":
                return cls.from_bytes(b58decode(text[1:]), text)
            if text[:1] == "f":
                return cls.from_bytes(bytes.fromhex(text[1:]), text)
        except (ValueError, TypeError) as exc:
            raise InvalidCid(_invalid(text, str(exc))) from None
        raise InvalidCid(_invalid(text, "expected a CIDv0 (Qm...) or a CIDv1 (b..., z...)"))

    @classmethod
    def from_bytes(cls, raw: bytes, text: str | None = None) -> Cid:
        """A CID from its binary form (as carried in dag-pb links and capnp `Data`)."""
        label = text if text is not None else raw.hex()
        if len(raw) == 34 and raw[0] == SHA2_256:
            return cls._checked(0, DAG_PB, raw, label)
        try:
            version, pos = read_uvarint(raw, 0)
            codec, pos = read_uvarint(raw, pos)
        except ValueError as exc:
            raise InvalidCid(_invalid(label, str(exc))) from None
        if version != 1:
            raise InvalidCid(_invalid(label, f"unknown CID version {version}"))
        return cls._checked(1, codec, raw[pos:], label)

    @classmethod
    def _checked(cls, version: int, codec: int, multihash: bytes, label: str) -> Cid:
        if codec not in CODEC_NAMES:
            raise InvalidCid(_invalid(label, f"codec 0x{codec:x} is not dag-pb or raw"))
        if len(multihash) != 34 or multihash[0] != SHA2_256 or multihash[1] != 32:
            raise InvalidCid(_invalid(label, "only sha2-256 multihashes are supported"))
        return cls(version, codec, multihash)

    @property
    def digest(self) -> bytes:
        return self.multihash[2:]

    def to_bytes(self) -> bytes:
        if self.version == 0:
            return self.multihash
        return uvarint(1) + uvarint(self.codec) + self.multihash

    def key(self) -> str:
        """Block store key: the multihash in base58 (one file per distinct content)."""
        return b58encode(self.multihash)

    def verify(self, block: bytes) -> bytes:
        """``block`` if it hashes to this CID; `CorruptBlock` otherwise."""
        if hashlib.sha256(block).digest() != self.digest:
            raise CorruptBlock(
                f"block {self} failed verification: its bytes do not hash to its CID "
                "(tampered or damaged); delete it from the block store and fetch it again"
            )
        return block

    def __str__(self) -> str:
        if self.version == 0:
            return b58encode(self.multihash)
        return "b" + base64.b32encode(self.to_bytes()).decode().lower().rstrip("=")


def _invalid(text: str, why: str) -> str:
    return f"invalid CID {text!r}: {why}"
