"""dag-pb nodes (PBNode / PBLink) in their canonical byte form.

Canonical means: links first (field 2), then data (field 1); a link always
carries Hash, Name (even when empty) and Tsize.  That is what go-ipfs and
js-ipfs write, so identical trees give identical CIDs.
"""

from __future__ import annotations

from dataclasses import dataclass

from wetnode.ipfs.cid import Cid
from wetnode.ipfs.errors import CorruptBlock
from wetnode.ipfs.protobuf import field_bytes, field_varint, fields


@dataclass(frozen=True)
class Link:
    cid: Cid
    name: str
    tsize: int  # the whole sub-DAG's serialized size


@dataclass(frozen=True)
class Node:
    links: tuple[Link, ...]
    data: bytes | None

    def encode(self) -> bytes:
        out = bytearray()
        for link in self.links:
            body = (
                field_bytes(1, link.cid.to_bytes())
                + field_bytes(2, link.name.encode())
                + field_varint(3, link.tsize)
            )
            out += field_bytes(2, body)
        if self.data is not None:
            out += field_bytes(1, self.data)
        return bytes(out)

    @classmethod
    def decode(cls, block: bytes, cid: Cid) -> Node:
        try:
            links: list[Link] = []
            data: bytes | None = None
            for number, value in fields(block):
                if number == 2 and isinstance(value, bytes):
                    links.append(_decode_link(value))
                elif number == 1 and isinstance(value, bytes):
                    data = value
                else:
                    raise ValueError(f"unexpected field {number}")
            return cls(tuple(links), data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptBlock(f"block {cid} is not a valid dag-pb node: {exc}") from None


def _decode_link(buf: bytes) -> Link:
    cid: Cid | None = None
    name = ""
    tsize = 0
    for number, value in fields(buf):
        if number == 1 and isinstance(value, bytes):
            cid = Cid.from_bytes(value)
        elif number == 2 and isinstance(value, bytes):
            name = value.decode()
        elif number == 3 and isinstance(value, int):
            tsize = value
        else:
            raise ValueError(f"unexpected link field {number}")
    if cid is None:
        raise ValueError("link without a hash")
    return Link(cid, name, tsize)
