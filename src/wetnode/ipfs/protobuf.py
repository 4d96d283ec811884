"""The few protobuf wire rules dag-pb and UnixFS need.

A hand-written codec rather than generated classes because canonical dag-pb
needs byte-exact control over field order (Links before Data) and over which
optional fields are present, and the whole format is varints and
length-delimited bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from wetnode.codec import read_uvarint, uvarint

VARINT = 0
LEN = 2


def field_varint(number: int, value: int) -> bytes:
    return uvarint(number << 3 | VARINT) + uvarint(value)


def field_bytes(number: int, value: bytes) -> bytes:
    return uvarint(number << 3 | LEN) + uvarint(len(value)) + value


def fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited."""
    pos = 0
    while pos < len(buf):
        key, pos = read_uvarint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = read_uvarint(buf, pos)
            yield number, value
        elif wire == LEN:
            length, pos = read_uvarint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("truncated length-delimited field")
            yield number, buf[pos : pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
