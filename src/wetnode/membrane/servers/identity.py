"""Signer and Identity: host-side signing for the known domains only."""

from __future__ import annotations

from typing import Any

from wetnode.keys import peer_id_of
from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.signing import SignerKey, SigningDomain, domain_named
from wetnode.schemas import stem as _stem

_UINT64_MAX = 2**64 - 1


class SignerServer(_stem.Signer.Server):
    """Signs 8-byte nonces under one domain; the key stays in this process."""

    def __init__(self, domain: SigningDomain, key: SignerKey) -> None:
        self._domain = domain
        self._key = key

    async def sign(self, nonce: int, **_: Any) -> bytes:
        return self._key.sign(self._domain.message(nonce.to_bytes(8, "big")))

    async def peer(self, **_: Any) -> bytes:
        return peer_id_of(self._key.public_key)


class EpochSignerServer(Guarded, SignerServer):
    """A Signer obtained through a graft: stale with the rest of its graft."""

    def __init__(self, guard: EpochGuard, domain: SigningDomain, key: SignerKey) -> None:
        SignerServer.__init__(self, domain, key)
        Guarded.__init__(self, guard)


class IdentityServer(Guarded, _stem.Identity.Server):
    def __init__(self, guard: EpochGuard, key: SignerKey) -> None:
        super().__init__(guard)
        self._key = key

    async def signer(self, domain: str, **_: Any) -> EpochSignerServer:
        try:
            known = domain_named(domain)
        except ValueError as exc:
            raise CapabilityError(f"identity.signer: {exc}") from None
        return EpochSignerServer(self.guard, known, self._key)
