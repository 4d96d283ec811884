"""Signing domains: the exact bytes a graft signature covers.

One format end to end (the reference's signer and verifier disagreed):

* the signed message is a libp2p signed-envelope buffer (RFC 0002)::

      uvarint(len(domain)) domain uvarint(len(payload_type)) payload_type
      uvarint(len(payload)) payload

  with, for grafts, domain ``ww-membrane-graft``, payload type
  ``/ww/membrane/graft-nonce`` and payload the nonce as 8 big-endian bytes;
* the signature is `wetnode.keys.NodeKey.sign`'s: 64 bytes ``r || s``.

Domains form a closed set: a Signer only ever signs for a domain listed here,
so a guest can never make the node key sign arbitrary bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from wetnode.codec import uvarint


@dataclass(frozen=True)
class SigningDomain:
    """A signing purpose: the envelope domain string and its payload type."""

    name: str
    payload_type: bytes

    def message(self, payload: bytes) -> bytes:
        """The exact bytes signed for ``payload`` under this domain."""
        parts = (self.name.encode(), self.payload_type, payload)
        return b"".join(uvarint(len(part)) + part for part in parts)


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
