"""Text forms of what the host hands over as bytes: peer IDs and multiaddrs.

Pure Python (base58btc and the multiaddr binary format), because the guest
cannot load the host's C-backed libraries.
"""

from __future__ import annotations

import ipaddress

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for ch in text:
        index = _B58.find(ch)
        if index < 0:
            raise ValueError(f"{ch!r} is not a base58 character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


# code -> (name, value size: fixed bytes, -1 length-prefixed, 0 none)
_PROTOCOLS = {
    4: ("ip4", 4),
    6: ("tcp", 2),
    273: ("udp", 2),
    41: ("ip6", 16),
    53: ("dns", -1),
    54: ("dns4", -1),
    55: ("dns6", -1),
    421: ("p2p", -1),
    460: ("quic", 0),
    461: ("quic-v1", 0),
    477: ("ws", 0),
    478: ("wss", 0),
}
_BY_NAME = {name: (code, size) for code, (name, size) in _PROTOCOLS.items()}


def multiaddr_to_text(data: bytes) -> str:
    parts, pos = [], 0
    while pos < len(data):
        code, pos = _read_uvarint(data, pos)
        if code not in _PROTOCOLS:
            raise ValueError(f"unknown multiaddr protocol code {code}")
        name, size = _PROTOCOLS[code]
        if size == -1:
            size, pos = _read_uvarint(data, pos)
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
        out += _uvarint(code)
        i += 1
        if size == 0:
            continue
        if i >= len(words):
            raise ValueError(f"{name} needs a value")
        value = words[i]
        i += 1
        if name in ("ip4", "ip6"):
            out += ipaddress.ip_address(value).packed
        elif name in ("tcp", "udp"):
            out += int(value).to_bytes(2, "big")
        else:
            raw = b58decode(value) if name == "p2p" else value.encode()
            out += _uvarint(len(raw)) + raw
    return bytes(out)


def split_peer(text: str) -> tuple[bytes, bytes]:
    """`/ip4/.../tcp/N/p2p/<id>` -> (raw peer ID, binary address without /p2p)."""
    head, sep, peer = text.rpartition("/p2p/")
    if not sep or not peer or "/" in peer:
        raise ValueError(f"{text!r} does not end in /p2p/<peer id>")
    return b58decode(peer), multiaddr_from_text(head)
