"""The node key: one secp256k1 secret that is both the libp2p peer ID and the EVM account.

One key means one thing to back up and one identity: the address that owns
an Atom contract on-chain is the peer that runs the node.  Key files hold
the 32-byte secret as base58btc (what `ww keygen` writes) or hex (`0x`
optional); surrounding whitespace is ignored.  A libp2p protobuf-encoded
private key is recognised too: secp256k1 loads, other kinds are refused.
The secret never enters a guest: it signs host-side, for the domains of
`wetnode.membrane.signing` only.

Signatures are secp256k1 ECDSA over SHA-256 of the message, sent as 64 bytes
``r || s`` with a low ``s`` (what k256 and libsecp256k1 produce and accept, so
a Rust peer verifies ours and we verify theirs).  The peer ID is derived here
only, from the compressed public key, as libp2p does for secp256k1 keys.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import string
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from coincurve import PrivateKey, PublicKey
from coincurve.ecdsa import cdata_to_der, der_to_cdata, deserialize_compact, serialize_compact
from Crypto.Hash import keccak

from wetnode.codec import b58decode, b58encode, read_uvarint, uvarint
from wetnode.config import option
from wetnode.errors import KeyFileError

if TYPE_CHECKING:
    from libp2p.crypto.keys import KeyPair
    from libp2p.peer.id import ID

log = logging.getLogger(__name__)

SECRET_SIZE = 32
IMAGE_IDENTITY = "etc/identity"  # a key baked into an image; hidden from guests

SIGNATURE_SIZE = 64

# The curve order: a secret must lie in [1, n).
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_PUBKEY_PREFIX = b"\x08\x02\x12"  # protobuf PublicKey: Type = Secp256k1, then Data


class NodeKey:
    """A secp256k1 secret with the identities derived from it, held in host memory.

    The node's own key, and the fresh one each child guest gets.  It satisfies
    `wetnode.membrane.signing.SignerKey`.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) != SECRET_SIZE:
            raise ValueError(f"a node key is {SECRET_SIZE} bytes, got {len(secret)}")
        if not 0 < int.from_bytes(secret, "big") < _SECP256K1_N:
            raise ValueError("not a valid secp256k1 secret (zero or above the curve order)")
        self.secret = secret

    @classmethod
    def generate(cls) -> NodeKey:
        while True:
            candidate = secrets.token_bytes(SECRET_SIZE)
            if 0 < int.from_bytes(candidate, "big") < _SECP256K1_N:
                return cls(candidate)

    @classmethod
    def parse(cls, text: str) -> NodeKey:
        """From base58btc or hex (``0x`` optional); raises ValueError."""
        text = text.strip()
        if not text:
            raise ValueError("it is empty")
        hex_text = text[2:] if text[:2].lower() == "0x" else text
        if len(hex_text) == 2 * SECRET_SIZE and all(c in string.hexdigits for c in hex_text):
            return cls(bytes.fromhex(hex_text))
        try:
            raw = b58decode(text)
        except ValueError:
            raise ValueError("it is neither base58btc nor hex") from None
        return cls(raw)

    @classmethod
    def load(cls, path: Path) -> NodeKey:
        """Read a key file; a missing or malformed file is a `KeyFileError`.

        Besides our own base58btc or hex secret, a libp2p protobuf-encoded
        private key (raw, base64 or base58btc, as go-libp2p, Kubo and other
        libp2p tools write them) is understood: a secp256k1 one is loaded,
        any other kind is refused by name, since loading it as a secp256k1
        secret would silently give the node another peer ID.
        """
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise KeyFileError(
                f"key file {path} does not exist: create one with `ww keygen --output {path}`"
            ) from None
        except OSError as exc:
            raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
        libp2p_key = _libp2p_private_key(data)
        if libp2p_key is not None:
            return cls._from_libp2p(path, *libp2p_key)
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise KeyFileError(f"cannot read key file {path}: not a text file") from None
        libp2p_key = _libp2p_private_key_in_text(text)
        if libp2p_key is not None:
            return cls._from_libp2p(path, *libp2p_key)
        try:
            return cls.parse(text)
        except ValueError as exc:
            raise KeyFileError(
                f"key file {path} is not a node key ({exc}): it must hold a 32-byte "
                "secp256k1 secret as base58btc or hex; `ww keygen` writes one"
            ) from None

    @classmethod
    def _from_libp2p(cls, path: Path, kind: str, data: bytes) -> NodeKey:
        if kind != "secp256k1":
            raise KeyFileError(
                f"key file {path} holds a libp2p {kind} private key, but a wetnode node key "
                "is secp256k1 (its peer ID is also its EVM account): create one with "
                "`ww keygen --output PATH` and use it instead (the node gets a new peer ID)"
            )
        try:
            return cls(data)
        except ValueError as exc:
            raise KeyFileError(f"key file {path} holds a bad libp2p secp256k1 key: {exc}") from None

    def save(self, path: Path, *, overwrite: bool = False) -> None:
        """Write the base58btc secret, readable by the owner only (0600).

        A missing directory is created, owner-only (0700), so
        ``--output ~/.ww/key`` works on a machine that never ran `ww`.
        """
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            raise KeyFileError(f"{path} already exists: pass --force to replace it") from None
        except OSError as exc:
            raise KeyFileError(f"cannot write key file {path}: {exc.strerror}") from None
        with os.fdopen(fd, "w", encoding="ascii") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(self.to_base58() + "\n")

    def to_base58(self) -> str:
        return b58encode(self.secret)

    # libp2p is imported only by the two methods that hand it its own types:
    # importing it loads its whole host (over a second on a loaded machine),
    # which `ww keygen`, `ww approve` and `ww audit` never use.

    def libp2p_key_pair(self) -> KeyPair:
        from libp2p.crypto.secp256k1 import create_new_key_pair

        return create_new_key_pair(self.secret)

    @cached_property
    def _private(self) -> PrivateKey:
        return PrivateKey(self.secret)

    @cached_property
    def public_key(self) -> bytes:
        """The 33-byte compressed public key."""
        return bytes(self._private.public_key.format(compressed=True))

    def sign(self, message: bytes) -> bytes:
        """64-byte ``r || s`` ECDSA signature over SHA-256(message)."""
        return bytes(serialize_compact(der_to_cdata(self._private.sign(message, hasher=_sha256))))

    @cached_property
    def peer_id_bytes(self) -> bytes:
        return peer_id_of(self.public_key)

    @cached_property
    def peer_id(self) -> ID:
        from libp2p.peer.id import ID

        return ID(self.peer_id_bytes)

    @property
    def peer_id_text(self) -> str:
        """The peer ID as libp2p writes it (base58btc), without loading libp2p."""
        return b58encode(self.peer_id_bytes)

    @cached_property
    def evm_address(self) -> str:
        """EIP-55 checksummed: keccak of the uncompressed public key, last 20 bytes.

        Derived with coincurve and pycryptodome's keccak (both loaded anyway):
        eth_keys would bring eth_utils and pydantic, ~15 MB of every node's RSS.
        """
        public = self._private.public_key.format(compressed=False)[1:]  # drop the 0x04 tag
        address = keccak256(public)[-20:].hex()
        hashed = keccak256(address.encode("ascii")).hex()[:40]  # EIP-55: a nibble per digit
        return "0x" + "".join(
            char.upper() if int(nibble, 16) >= 8 else char
            for char, nibble in zip(address, hashed, strict=True)
        )


# libp2p's crypto.proto KeyType enum.
_LIBP2P_KEY_TYPES = {0: "RSA", 1: "Ed25519", 2: "secp256k1", 3: "ECDSA"}


def _libp2p_private_key(data: bytes) -> tuple[str, bytes] | None:
    """(key type, key data) of a protobuf-encoded libp2p ``PrivateKey``, else None.

    The message is field 1 (Type, a varint) then field 2 (Data, bytes) and
    nothing else, which no 32-byte secret in base58btc or hex text resembles.
    """
    if len(data) < 4 or data[0] != 0x08 or data[1] not in _LIBP2P_KEY_TYPES or data[2] != 0x12:
        return None
    try:
        length, start = read_uvarint(data, 3)
    except ValueError:
        return None
    if start + length != len(data):
        return None
    return _LIBP2P_KEY_TYPES[data[1]], data[start:]


def _libp2p_private_key_in_text(text: str) -> tuple[str, bytes] | None:
    """A libp2p private key written as base64 (Kubo's config) or base58btc text, else None."""
    text = text.strip()
    for decode in (b58decode, lambda t: base64.b64decode(t, validate=True)):
        try:
            found = _libp2p_private_key(decode(text))
        except ValueError:  # binascii.Error is a ValueError
            continue
        if found is not None:
            return found
    return None


def peer_id_of(public_key: bytes) -> bytes:
    """The raw libp2p peer ID of a compressed secp256k1 key: an identity
    multihash of the protobuf-encoded public key (type Secp256k1 = 2)."""
    encoded = _PUBKEY_PREFIX + uvarint(len(public_key)) + public_key
    return b"\x00" + uvarint(len(encoded)) + encoded


def peer_public_key(peer_id: bytes) -> bytes:
    """The compressed public key inside a secp256k1 peer ID (the inverse of
    `peer_id_of`); ``ValueError`` for any other kind of ID."""
    head = b"\x00" + uvarint(len(_PUBKEY_PREFIX) + 34) + _PUBKEY_PREFIX + uvarint(33)
    if len(peer_id) != len(head) + 33 or not peer_id.startswith(head):
        raise ValueError("not a secp256k1 peer ID (identity multihash of a 33-byte key)")
    return peer_id[len(head) :]


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` (64-byte r||s, low s) signs ``message`` for the key."""
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        der = cdata_to_der(deserialize_compact(signature))
        return bool(PublicKey(public_key).verify(der, message, hasher=_sha256))
    except ValueError:  # malformed r or s (zero, or not below the curve order)
        return False


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak-256 (the pre-standard SHA-3 padding)."""
    return keccak.new(digest_bits=256, data=data).digest()


EPHEMERAL = "an ephemeral key (gone when the node stops)"  # `resolve_identity`'s source then


def resolve_identity(
    flag: Path | None, environ: Mapping[str, str], image_files: Mapping[str, Path]
) -> tuple[NodeKey, str]:
    """The node key for `ww run`, and where it came from (logged at INFO).

    Order: ``--identity PATH``, ``$WW_IDENTITY``, ``/etc/identity`` in the
    merged image (``image_files`` maps image paths to host paths), else a fresh
    ephemeral key.
    """
    identity = option("identity")
    if flag is not None:
        key, source = NodeKey.load(flag), f"{identity.flag} {flag}"
    elif (env_path := identity.from_environ(environ)) is not None:
        key, source = NodeKey.load(env_path), f"${identity.env} ({env_path})"
    elif IMAGE_IDENTITY in image_files:
        key, source = NodeKey.load(image_files[IMAGE_IDENTITY]), "/etc/identity in the image"
    else:
        key, source = NodeKey.generate(), EPHEMERAL
    log.info("identity: %s, peer %s, address %s", source, key.peer_id, key.evm_address)
    return key, source
