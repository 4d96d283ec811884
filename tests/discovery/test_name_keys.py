"""Service names become DHT keys the way the reference node derives them."""

from __future__ import annotations

import base64

import pytest

from wetnode.net.routing import key_multihash, name_key

# BLAKE3-256 of the empty input, from the BLAKE3 specification's test vectors.
BLAKE3_EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"


def test_a_name_is_a_cidv1_raw_key_of_its_blake3_digest() -> None:
    text, multihash = name_key("")
    assert multihash == bytes([0x1E, 32]) + bytes.fromhex(BLAKE3_EMPTY)
    assert text.startswith("b")
    raw = base64.b32decode(text[1:].upper() + "=" * (-len(text[1:]) % 8))
    assert raw == bytes([0x01, 0x55]) + multihash  # CIDv1, raw codec, then the multihash


def test_different_names_are_different_keys() -> None:
    assert name_key("echo-service") != name_key("echo-service ")
    assert name_key("echo-service") == name_key("echo-service")


def test_a_key_text_parses_back_to_its_multihash() -> None:
    text, multihash = name_key("echo-service")
    assert key_multihash(text) == multihash
    with pytest.raises(ValueError, match="is not a key"):
        key_multihash("echo-service")
