"""The bitswap message (protocols /ipfs/bitswap/1.0.0-1.2.0): encode and decode, no I/O.

Hand-written on `wetnode.ipfs.protobuf` like dag-pb, because the schema is
five small messages and we want to own the limits: a CID that does not parse
or a block whose prefix names a hash we do not support drops that entry, not
the stream.  On the wire each message is preceded by its uvarint length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from wetnode.codec import read_uvarint, uvarint
from wetnode.ipfs.cid import DAG_PB, SHA2_256, Cid
from wetnode.ipfs.errors import IpfsError
from wetnode.ipfs.protobuf import field_bytes, field_varint, fields

MAX_MESSAGE = 4 * 1024 * 1024  # the spec's limit; Kubo and Helia refuse larger


class WantType(IntEnum):
    BLOCK = 0
    HAVE = 1


class Presence(IntEnum):
    HAVE = 0
    DONT_HAVE = 1


@dataclass(frozen=True)
class Want:
    cid: Cid
    want_type: WantType = WantType.BLOCK
    cancel: bool = False
    send_dont_have: bool = False
    priority: int = 1


@dataclass
class Message:
    wants: list[Want] = field(default_factory=list)
    full: bool = False
    blocks: list[tuple[Cid, bytes]] = field(default_factory=list)
    presences: list[tuple[Cid, Presence]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.wants or self.blocks or self.presences)


def encode(message: Message, *, v100: bool = False) -> bytes:
    """The message without its length prefix; ``v100`` sends blocks as 1.0.0 did (no prefix)."""
    out = bytearray()
    if message.wants or message.full:
        wantlist = b"".join(field_bytes(1, _want(want)) for want in message.wants)
        if message.full:
            wantlist += field_varint(2, 1)
        out += field_bytes(1, wantlist)
    for cid, data in message.blocks:
        if v100:
            out += field_bytes(2, data)
        else:
            out += field_bytes(3, field_bytes(1, prefix(cid)) + field_bytes(2, data))
    for cid, presence in message.presences:
        out += field_bytes(4, field_bytes(1, cid.to_bytes()) + field_varint(2, presence))
    return bytes(out)


def frame(message: Message, *, v100: bool = False) -> bytes:
    body = encode(message, v100=v100)
    return uvarint(len(body)) + body


def _want(want: Want) -> bytes:
    out = field_bytes(1, want.cid.to_bytes()) + field_varint(2, want.priority & 0xFFFFFFFF)
    if want.cancel:
        out += field_varint(3, 1)
    if want.want_type != WantType.BLOCK:
        out += field_varint(4, want.want_type)
    if want.send_dont_have:
        out += field_varint(5, 1)
    return out


def prefix(cid: Cid) -> bytes:
    """The CID prefix a 1.1+ block carries: version, codec, hash code and length."""
    return uvarint(cid.version) + uvarint(cid.codec) + uvarint(SHA2_256) + uvarint(32)


def cid_of(prefix_bytes: bytes, data: bytes) -> Cid:
    """The CID of a 1.1+ block from its prefix; `InvalidCid` for a hash we cannot check."""
    version, pos = read_uvarint(prefix_bytes, 0)
    codec, pos = read_uvarint(prefix_bytes, pos)
    code, pos = read_uvarint(prefix_bytes, pos)
    length, pos = read_uvarint(prefix_bytes, pos)
    if code != SHA2_256 or length != 32:
        raise IpfsError(f"bitswap block hashed with 0x{code:x}/{length}: only sha2-256")
    of = Cid.of_block(data, version=version, codec=DAG_PB if version == 0 else codec)
    return Cid.from_bytes(of.to_bytes())  # checks the version and codec


def decode(body: bytes) -> tuple[Message, list[bytes]]:
    """The message, and the 1.0.0 blocks (bare data: the caller matches them to its wants).

    Entries we cannot use (a CID we do not support) are skipped; a body that
    is not protobuf raises ValueError, which ends the stream it came on.
    """
    message = Message()
    bare: list[bytes] = []
    for number, value in fields(body):
        if not isinstance(value, bytes):
            continue
        if number == 1:
            _wantlist(value, message)
        elif number == 2:
            bare.append(value)
        elif number == 3:
            parts = dict(fields(value))
            pre, data = parts.get(1, b""), parts.get(2, b"")
            if isinstance(pre, bytes) and isinstance(data, bytes):
                try:
                    message.blocks.append((cid_of(pre, data), data))
                except (IpfsError, ValueError):
                    continue
        elif number == 4:
            parts = dict(fields(value))
            raw, kind = parts.get(1, b""), parts.get(2, 0)
            if isinstance(raw, bytes) and isinstance(kind, int) and kind in (0, 1):
                try:
                    message.presences.append((Cid.from_bytes(raw), Presence(kind)))
                except IpfsError:
                    continue
    return message, bare


def _wantlist(body: bytes, message: Message) -> None:
    for number, value in fields(body):
        if number == 2 and isinstance(value, int):
            message.full = bool(value)
        if number != 1 or not isinstance(value, bytes):
            continue
        parts = dict(fields(value))
        raw = parts.get(1, b"")
        if not isinstance(raw, bytes):
            continue
        try:
            cid = Cid.from_bytes(raw)
        except IpfsError:
            continue
        kind = parts.get(4, 0)
        message.wants.append(
            Want(
                cid,
                WantType.HAVE if kind == 1 else WantType.BLOCK,
                cancel=bool(parts.get(3, 0)),
                send_dont_have=bool(parts.get(5, 0)),
            )
        )
