"""The UnixFS `Data` message inside a dag-pb node: what kind of entry it is.

Files carry `filesize` (always, even 0) and one `blocksizes` entry per child;
directories and symlinks carry neither.  HAMT shards (`wetnode.ipfs.hamt`) carry their
slot bitfield as `data`, plus `hash_type` and `fanout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from wetnode.codec import read_uvarint
from wetnode.ipfs.protobuf import field_bytes, field_varint, fields


class Kind(IntEnum):
    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


@dataclass(frozen=True)
class UnixFSData:
    kind: Kind
    data: bytes = b""
    filesize: int | None = None
    blocksizes: tuple[int, ...] = field(default_factory=tuple)
    hash_type: int | None = None
    fanout: int | None = None

    @classmethod
    def file(cls, data: bytes = b"", blocksizes: tuple[int, ...] = ()) -> UnixFSData:
        return cls(Kind.FILE, data, len(data) + sum(blocksizes), blocksizes)

    @classmethod
    def directory(cls) -> UnixFSData:
        return cls(Kind.DIRECTORY)

    @classmethod
    def symlink(cls, target: str) -> UnixFSData:
        """No filesize, as go-unixfs writes symlinks."""
        return cls(Kind.SYMLINK, target.encode())

    def encode(self) -> bytes:
        out = field_varint(1, self.kind)
        if self.data:
            out += field_bytes(2, self.data)
        if self.filesize is not None:
            out += field_varint(3, self.filesize)
        for size in self.blocksizes:
            out += field_varint(4, size)
        if self.hash_type is not None:
            out += field_varint(5, self.hash_type)
        if self.fanout is not None:
            out += field_varint(6, self.fanout)
        return out

    @classmethod
    def decode(cls, buf: bytes) -> UnixFSData:
        """Raises ValueError on a malformed message (the caller names the block)."""
        kind: Kind | None = None
        data = b""
        filesize: int | None = None
        blocksizes: list[int] = []
        hash_type: int | None = None
        fanout: int | None = None
        for number, value in fields(buf):
            if number == 1 and isinstance(value, int):
                kind = Kind(value)
            elif number == 2 and isinstance(value, bytes):
                data = value
            elif number == 3 and isinstance(value, int):
                filesize = value
            elif number == 4 and isinstance(value, int):
                blocksizes.append(value)
            elif number == 4 and isinstance(value, bytes):
                blocksizes.extend(_packed(value))
            elif number == 5 and isinstance(value, int):
                hash_type = value
            elif number == 6 and isinstance(value, int):
                fanout = value
            # mode, mtime: not needed to read content
        if kind is None:
            raise ValueError("UnixFS data without a type")
        return cls(kind, data, filesize, tuple(blocksizes), hash_type, fanout)

    @property
    def size(self) -> int:
        """The content size this node stands for."""
        if self.filesize is not None:
            return self.filesize
        return len(self.data) + sum(self.blocksizes)


def _packed(buf: bytes) -> list[int]:
    out: list[int] = []
    pos = 0
    while pos < len(buf):
        value, pos = read_uvarint(buf, pos)
        out.append(value)
    return out
