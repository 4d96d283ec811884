"""Signing domains, the exact bytes a graft signature covers, and the node key.

One format end to end (the reference's signer and verifier disagreed):

* the signed message is a libp2p signed-envelope buffer (RFC 0002)::

      uvarint(len(domain)) domain uvarint(len(payload_type)) payload_type
      uvarint(len(payload)) payload

  with, for grafts, domain ``ww-membrane-graft``, payload type
  ``/ww/membrane/graft-nonce`` and payload the nonce as 8 big-endian bytes;
* the signature is secp256k1 ECDSA over SHA-256 of that message, sent as
  64 bytes ``r || s`` with a low ``s`` (what k256 and libsecp256k1 produce and
  accept, so a Rust peer verifies ours and we verify theirs).

Domains form a closed set: a Signer only ever signs for a domain listed here,
so a guest can never make the node key sign arbitrary bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from coincurve import PrivateKey, PublicKey
from coincurve.ecdsa import cdata_to_der, der_to_cdata, deserialize_compact, serialize_compact

SIGNATURE_SIZE = 64


@dataclass(frozen=True)
class SigningDomain:
    """A signing purpose: the envelope domain string and its payload type."""

    name: str
    payload_type: bytes

    def message(self, payload: bytes) -> bytes:
        """The exact bytes signed for ``payload`` under this domain."""
        parts = (self.name.encode(), self.payload_type, payload)
        return b"".join(_uvarint(len(part)) + part for part in parts)


_PUBKEY_PREFIX = b"\x08\x02\x12"  # protobuf PublicKey: Type = Secp256k1, then Data

GRAFT = SigningDomain("ww-membrane-graft", b"/ww/membrane/graft-nonce")
DOMAINS: dict[str, SigningDomain] = {GRAFT.name: GRAFT}


def domain_named(name: str) -> SigningDomain:
    """The known domain called ``name``; ``ValueError`` for any other name."""
    try:
        return DOMAINS[name]
    except KeyError:
        known = ", ".join(sorted(DOMAINS))
        raise ValueError(f"unknown signing domain {name!r}; known domains: {known}") from None


def graft_message(nonce: int) -> bytes:
    """The bytes a Signer signs to answer graft challenge ``nonce`` (a UInt64)."""
    return GRAFT.message(nonce.to_bytes(8, "big"))


class SignerKey(Protocol):
    """A secp256k1 key that signs host-side; its secret never leaves the host."""

    @property
    def public_key(self) -> bytes:
        """The 33-byte compressed public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """64-byte ``r || s`` ECDSA signature over SHA-256(message)."""
        ...


class Secp256k1Key:
    """A secp256k1 private key held in host memory (the node key, or a child's).

    With no ``secret`` a fresh random key is made (children get one each).
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._key = PrivateKey(secret) if secret is not None else PrivateKey()

    @property
    def public_key(self) -> bytes:
        return self._key.public_key.format(compressed=True)

    @property
    def peer_id(self) -> bytes:
        return peer_id_of(self.public_key)

    def sign(self, message: bytes) -> bytes:
        der = self._key.sign(message, hasher=_sha256)
        return serialize_compact(der_to_cdata(der))


def peer_id_of(public_key: bytes) -> bytes:
    """The raw libp2p peer ID of a compressed secp256k1 key: an identity
    multihash of the protobuf-encoded public key (type Secp256k1 = 2)."""
    encoded = _PUBKEY_PREFIX + _uvarint(len(public_key)) + public_key
    return b"\x00" + _uvarint(len(encoded)) + encoded


def peer_public_key(peer_id: bytes) -> bytes:
    """The compressed public key inside a secp256k1 peer ID (the inverse of
    ``Secp256k1Key.peer_id``); ``ValueError`` for any other kind of ID."""
    head = b"\x00" + _uvarint(len(_PUBKEY_PREFIX) + 34) + _PUBKEY_PREFIX + _uvarint(33)
    if len(peer_id) != len(head) + 33 or not peer_id.startswith(head):
        raise ValueError("not a secp256k1 peer ID (identity multihash of a 33-byte key)")
    return peer_id[len(head) :]


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` (64-byte r||s, low s) signs ``message`` for the key."""
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        der = cdata_to_der(deserialize_compact(signature))
        return PublicKey(public_key).verify(der, message, hasher=_sha256)
    except ValueError:  # malformed r or s (zero, or not below the curve order)
        return False


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
