"""GuestMembrane: what the host bootstraps to a guest; graft is challenge-response.

``graft(signer)`` draws a fresh random 64-bit nonce, has ``signer`` sign it
under the graft domain (see ``signing``), and checks the 64-byte ``r || s``
signature against this membrane's key before it hands out any capability.
A null signer, a signer that fails or hangs, and a signature from another key
are each refused with a ``graftRefused`` reason.

``signer()`` is the first-graft answer: a fresh guest has no key and must
never see one, so the membrane gives it a host-side Signer bound to exactly
the key it verifies.  That Signer is not epoch-scoped: it is how the guest
grafts again after an epoch change.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import capnp
import trio

from wetnode.keys import verify
from wetnode.membrane.bytestream_port import StreamPort
from wetnode.membrane.errors import GraftRefused
from wetnode.membrane.passed import hand_out
from wetnode.membrane.servers.approvals import ApprovalsServer
from wetnode.membrane.servers.bytestream import ByteStreamServer
from wetnode.membrane.servers.executor import ExecutorServer
from wetnode.membrane.servers.host import HostServer
from wetnode.membrane.servers.identity import IdentityServer, SignerServer
from wetnode.membrane.servers.ipfs import IpfsClientServer
from wetnode.membrane.servers.mcp import McpServer
from wetnode.membrane.servers.routing import AnnouncerServer, FinderServer
from wetnode.membrane.session import Session
from wetnode.membrane.signing import GRAFT, graft_message
from wetnode.rpc.reasons import remote_reason
from wetnode.schemas import stem as _stem

log = logging.getLogger(__name__)


class _Empty(trio.abc.ReceiveStream):
    """The stdin of a guest that has none: end of stream at once."""

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        return b""

    async def aclose(self) -> None:
        pass


_EMPTY = _Empty()

SIGN_TIMEOUT = 10.0  # seconds a signer gets to answer the challenge


# What Membrane.graft returns, by name (from the schema: a new result passes on by itself).
GRAFT_RESULTS = tuple(
    f.proto.name for f in _stem.Membrane.schema.methods["graft"].result_type.fields_list
)


def pass_on_graft(answer: Any, results: Any) -> None:
    """Hand another membrane's graft ``answer`` on as this graft's ``results``,
    capabilities unchanged (for membranes that forward a graft)."""
    for name in GRAFT_RESULTS:
        setattr(results, name, getattr(answer, name))


class GuestMembraneServer(_stem.GuestMembrane.Server):
    def __init__(self, session: Session) -> None:
        self._session = session

    async def signer(self, **_: Any) -> SignerServer:
        return SignerServer(GRAFT, self._session.key)

    async def stdin(self, **_: Any) -> ByteStreamServer:
        port = self._session.stdin or StreamPort("stdin", receive=_EMPTY)
        session = self._session
        return ByteStreamServer(session.clock.guard(session.tap), session.vat, port)

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        session = self._session
        try:
            await self._challenge(signer.cast_as(_stem.Signer))
        except GraftRefused as exc:
            if session.tap is not None:
                session.tap.event("graft", session.clock.current.seq, reason=str(exc))
            raise
        guard = session.clock.guard(session.tap)
        if session.tap is not None:
            session.tap.event("graft", guard.issued_seq)
        results = _context.results
        results.identity = IdentityServer(guard, session.key)
        if session.grants.host:
            results.host = HostServer(guard, session)
        if session.grants.executor:
            results.executor = ExecutorServer(guard, session)
        if session.grants.ipfs:
            results.ipfs = IpfsClientServer(guard, session.vat, session.ipfs, session.results)
        if session.grants.approvals and session.approvals is not None:
            results.approvals = ApprovalsServer(guard, session)
        if session.grants.mcp and session.mcp is not None:
            results.mcp = McpServer(guard, session.vat, session.mcp)
        if session.grants.finder and session.routing is not None:
            results.finder = FinderServer(guard, session)
        if session.grants.announcer and session.routing is not None:
            results.announcer = AnnouncerServer(guard, session)
        if session.passed is not None:
            hand_out(session.passed, results)

    async def _challenge(self, signer: Any) -> None:
        await challenge(
            signer,
            self._session.key.public_key,
            mismatch="the signature does not verify against this membrane's key "
            "(expected 64-byte r||s secp256k1 over the ww-membrane-graft envelope)",
        )


async def challenge(signer: Any, public_key: bytes, *, mismatch: str) -> None:
    """The graft challenge, for every membrane that grafts (on the vat).

    ``signer`` must sign a fresh random nonce under the graft domain with the
    key ``public_key`` within `SIGN_TIMEOUT`; else `GraftRefused`, with
    ``mismatch`` as the reason when it signed with another key.
    """
    nonce = secrets.randbits(64)
    try:
        async with asyncio.timeout(SIGN_TIMEOUT):
            signature = bytes((await signer.sign(nonce)).sig)
    except TimeoutError:
        raise GraftRefused(f"the signer did not answer within {SIGN_TIMEOUT:g} s") from None
    except capnp.KjException as exc:
        reason = remote_reason(exc)
        if "null capability" in reason:
            raise GraftRefused("no signer was passed to graft") from None
        raise GraftRefused(f"the signer failed: {reason}") from None
    if not verify(public_key, graft_message(nonce), signature):
        log.info("graft refused: %s", mismatch)
        raise GraftRefused(mismatch)
