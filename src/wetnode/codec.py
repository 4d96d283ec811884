"""Text and number encodings libp2p and IPFS use: base58btc, unsigned varints, multiaddrs.

Pure standard library, because the same code runs on the host and inside
WebAssembly guests, which cannot load the host's C-backed libraries: a guest
gets peer IDs and addresses as bytes over Cap'n Proto and prints them with
these.  Multiaddrs cover the protocols a node's addresses use (ip4, ip6,
tcp, udp, dns*, p2p, quic, ws...); an unknown code is an error, not a guess.
"""

from __future__ import annotations

import ipaddress

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58)}


def b58encode(data: bytes) -> str:
    """base58btc (Bitcoin's alphabet), each leading zero byte as a "1"."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """The bytes of base58btc text; ValueError for a character outside the alphabet."""
    number = 0
    for ch in text:
        index = _B58_INDEX.get(ch)
        if index is None:
            raise ValueError(f"{ch!r} is not a base58 character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def uvarint(value: int) -> bytes:
    """Unsigned LEB128, as multiformats and protobuf write lengths and codes."""
    if value < 0:
        raise ValueError("an unsigned varint cannot hold a negative number")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_uvarint(buf: bytes, pos: int = 0) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it (at most 64 bits)."""
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 64 bits")


# code -> (name, value size: fixed bytes, -1 length-prefixed, 0 none)
_PROTOCOLS = {
    4: ("ip4", 4),
    6: ("tcp", 2),
    41: ("ip6", 16),
    53: ("dns", -1),
    54: ("dns4", -1),
    55: ("dns6", -1),
    56: ("dnsaddr", -1),
    273: ("udp", 2),
    290: ("p2p-circuit", 0),
    421: ("p2p", -1),
    460: ("quic", 0),
    461: ("quic-v1", 0),
    477: ("ws", 0),
    478: ("wss", 0),
}
_BY_NAME = {name: (code, size) for code, (name, size) in _PROTOCOLS.items()}


def multiaddr_to_text(data: bytes) -> str:
    """`/ip4/127.0.0.1/tcp/2025/p2p/16U...` from the binary multiaddr."""
    parts, pos = [], 0
    while pos < len(data):
        code, pos = read_uvarint(data, pos)
        if code not in _PROTOCOLS:
            raise ValueError(f"unknown multiaddr protocol code {code}")
        name, size = _PROTOCOLS[code]
        if size == -1:
            size, pos = read_uvarint(data, pos)
        raw = data[pos : pos + size]
        if len(raw) != size:
            raise ValueError("truncated multiaddr")
        pos += size
        parts.append(name)
        if name in ("ip4", "ip6"):
            parts.append(str(ipaddress.ip_address(raw)))
        elif name in ("tcp", "udp"):
            parts.append(str(int.from_bytes(raw, "big")))
        elif name == "p2p":
            parts.append(b58encode(raw))
        elif size:
            parts.append(raw.decode())
    return "/" + "/".join(parts)


def multiaddr_from_text(text: str) -> bytes:
    """The binary multiaddr of its text form; ValueError for what is not one."""
    if not text.startswith("/"):
        raise ValueError(f"{text!r} is not a multiaddr (it starts with /)")
    words = text.strip("/").split("/")
    out = bytearray()
    i = 0
    while i < len(words):
        name = words[i]
        if name not in _BY_NAME:
            raise ValueError(f"unknown multiaddr protocol {name!r}")
        code, size = _BY_NAME[name]
        out += uvarint(code)
        i += 1
        if size == 0:
            continue
        if i >= len(words):
            raise ValueError(f"{name} needs a value")
        value = words[i]
        i += 1
        if name == "ip4":
            out += ipaddress.IPv4Address(value).packed
        elif name == "ip6":
            out += ipaddress.IPv6Address(value).packed
        elif name in ("tcp", "udp"):
            port = int(value)
            if not 0 <= port <= 0xFFFF:
                raise ValueError(f"{name} port {port} is out of range")
            out += port.to_bytes(2, "big")
        else:
            raw = b58decode(value) if name == "p2p" else value.encode()
            out += uvarint(len(raw)) + raw
    return bytes(out)


def split_peer(text: str) -> tuple[bytes, bytes]:
    """`/ip4/.../tcp/N/p2p/<id>` -> (raw peer ID, binary address without /p2p)."""
    head, sep, peer = text.rpartition("/p2p/")
    if not sep or not peer or "/" in peer:
        raise ValueError(f"{text!r} does not end in /p2p/<peer id>")
    return b58decode(peer), multiaddr_from_text(head)
