"""wetnode.codec against the real libraries: base58, multiaddr and libp2p's peer IDs."""

from __future__ import annotations

import base58
import pytest
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.peer.id import ID
from libp2p.utils.varint import encode_uvarint
from multiaddr import Multiaddr

from wetnode import codec

PEER = ID.from_pubkey(create_new_key_pair(b"\x01" * 32).public_key)

BYTES = [b"", b"\0", b"\0\0\x01", b"\x01", b"\xff" * 33, bytes(range(64)), PEER.to_bytes()]

ADDRS = [
    "/ip4/127.0.0.1/tcp/2025",
    f"/ip4/10.0.0.7/tcp/4001/p2p/{PEER.to_base58()}",
    "/ip6/::1/udp/4001/quic-v1",
    "/ip6/2001:db8::1/udp/9/quic",
    "/dns4/example.com/tcp/443/wss",
    "/dns6/node.example/tcp/80/ws",
    "/dns/example.org/tcp/2025",
    "/dnsaddr/bootstrap.libp2p.io",
    "/ip4/1.2.3.4/tcp/1/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N/p2p-circuit",
]


@pytest.mark.parametrize("data", BYTES)
def test_base58_matches_the_base58_package(data: bytes) -> None:
    text = base58.b58encode(data).decode()
    assert codec.b58encode(data) == text
    assert codec.b58decode(text) == data


def test_a_peer_id_prints_as_libp2p_prints_it() -> None:
    assert codec.b58encode(PEER.to_bytes()) == PEER.to_base58()
    assert ID(codec.b58decode(PEER.to_base58())) == PEER


def test_base58_rejects_characters_outside_the_alphabet() -> None:
    with pytest.raises(ValueError, match="not a base58 character"):
        codec.b58decode("0OIl")


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 16383, 16384, 2**32, 2**64 - 1])
def test_uvarints_match_libp2p_and_read_back(value: int) -> None:
    encoded = codec.uvarint(value)
    assert encoded == encode_uvarint(value)
    assert codec.read_uvarint(b"x" + encoded + b"y", 1) == (value, 1 + len(encoded))


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "truncated"), (b"\x80", "truncated"), (b"\xff" * 10 + b"\x01", "64 bits")],
)
def test_malformed_uvarints_are_value_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codec.read_uvarint(data)


def test_a_negative_number_has_no_uvarint() -> None:
    with pytest.raises(ValueError, match="negative"):
        codec.uvarint(-1)


@pytest.mark.parametrize("text", ADDRS)
def test_multiaddrs_match_the_multiaddr_package(text: str) -> None:
    binary = Multiaddr(text).to_bytes()
    assert codec.multiaddr_from_text(text) == binary
    assert codec.multiaddr_to_text(binary) == str(Multiaddr(binary)) == text


@pytest.mark.parametrize(
    "text",
    ["ip4/1.2.3.4", "/ip4/::1", "/ip6/1.2.3.4", "/tcp/70000", "/ip4", "/onion3/x", "/ip4/1.2.3"],
)
def test_text_that_is_no_multiaddr_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        codec.multiaddr_from_text(text)


@pytest.mark.parametrize("data", [b"\x04\x7f\x00", b"\xe7\x07", b"\x35\x05ab"])
def test_binary_that_is_no_multiaddr_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        codec.multiaddr_to_text(data)


def test_split_peer_separates_the_peer_id_from_the_address() -> None:
    peer, addr = codec.split_peer(f"/ip4/10.0.0.7/tcp/4001/p2p/{PEER.to_base58()}")
    assert peer == PEER.to_bytes()
    assert addr == Multiaddr("/ip4/10.0.0.7/tcp/4001").to_bytes()
    with pytest.raises(ValueError, match="does not end in /p2p/"):
        codec.split_peer("/ip4/10.0.0.7/tcp/4001")
