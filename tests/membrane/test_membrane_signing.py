"""The graft signature format, checked byte for byte (pure logic)."""

from __future__ import annotations

import pytest
from libp2p.crypto.secp256k1 import Secp256k1PrivateKey
from libp2p.peer.id import ID

from wetnode.keys import NodeKey, peer_public_key, verify
from wetnode.membrane.signing import GRAFT, domain_named, graft_message

CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_graft_message_is_a_libp2p_envelope_buffer_of_the_big_endian_nonce() -> None:
    expected = (
        bytes([17])
        + b"ww-membrane-graft"
        + bytes([24])
        + b"/ww/membrane/graft-nonce"
        + bytes([8])
        + bytes.fromhex("0102030405060708")
    )
    assert graft_message(0x0102030405060708) == expected


def test_a_long_payload_gets_a_multi_byte_length_prefix() -> None:
    message = GRAFT.message(b"x" * 300)
    assert message.endswith(bytes([0xAC, 0x02]) + b"x" * 300)


def test_signature_is_64_bytes_and_verifies_only_for_its_key_and_message() -> None:
    key, other = NodeKey.generate(), NodeKey.generate()
    signature = key.sign(graft_message(1))
    assert len(signature) == 64
    assert verify(key.public_key, graft_message(1), signature)
    assert not verify(key.public_key, graft_message(2), signature)
    assert not verify(other.public_key, graft_message(1), signature)
    assert not verify(key.public_key, graft_message(1), signature[:63])
    assert not verify(key.public_key, graft_message(1), bytes(64))


def test_high_s_twin_of_a_valid_signature_is_rejected() -> None:
    key = NodeKey.generate()
    signature = key.sign(graft_message(5))
    s = int.from_bytes(signature[32:], "big")
    twin = signature[:32] + (CURVE_ORDER - s).to_bytes(32, "big")
    assert not verify(key.public_key, graft_message(5), twin)


def test_peer_id_matches_libp2p_for_the_same_key() -> None:
    libp2p_key = Secp256k1PrivateKey.new()
    ours = NodeKey(libp2p_key.to_bytes())
    assert ours.peer_id_bytes == ID.from_pubkey(libp2p_key.get_public_key()).to_bytes()


def test_a_peer_id_gives_back_its_public_key_and_other_ids_are_refused() -> None:
    key = NodeKey.generate()
    assert peer_public_key(key.peer_id_bytes) == key.public_key
    sha256_id = ID.from_base58("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").to_bytes()
    for other in (sha256_id, key.peer_id_bytes[:-1], b""):
        with pytest.raises(ValueError, match="not a secp256k1 peer ID"):
            peer_public_key(other)


def test_only_known_signing_domains_resolve() -> None:
    assert domain_named("ww-membrane-graft") is GRAFT
    with pytest.raises(ValueError, match="unknown signing domain 'x'; known domains: ww-"):
        domain_named("x")
