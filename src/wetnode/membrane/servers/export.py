"""pid0's exported Membrane as the host re-serves it, one instance per remote stream.

pycapnp cannot offer a promised client capability as a connection's
bootstrap (calls on it fail inside pycapnp), so the host offers an
`ExportedMembrane`, which forwards `graft` to pid0's export.  First it checks
that the signer speaks for the peer on the other end of the stream: it must
sign a fresh graft challenge with the key behind the peer's Noise-verified
ID, within the challenge's time bound.  So pid0's export is only ever grafted
by the peer the connection belongs to, and pid0 gets a `CheckedSigner` whose
`peer()` says which.  The capabilities pid0's graft returns travel back
unchanged: remote peers reach exactly what pid0 chose to hand out, and
pycapnp passes their calls through in C++.  With the audit log on, each
graft the peer tries is recorded here; its calls are recorded from the
stream's frames in the pump (`wetnode.net.audit_tap`), which sees every
capability the peer holds, wherever it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from libp2p.peer.id import ID

from wetnode.keys import peer_public_key
from wetnode.membrane.epoch import EpochClock
from wetnode.membrane.errors import GraftRefused
from wetnode.membrane.servers.membrane import challenge, pass_on_graft
from wetnode.rpc.reasons import wire_reason
from wetnode.schemas import stem as _stem

if TYPE_CHECKING:
    from wetnode.audit.log import AuditLog, Tap


class ExportedMembrane(_stem.Membrane.Server):
    """Forwards a graft from ``peer`` to pid0's export once the peer proved its key."""

    def __init__(
        self, target: Any, peer: ID, tap: Tap | None = None, clock: EpochClock | None = None
    ) -> None:
        self._target = target
        self._peer = peer
        self._tap = tap
        self._clock = clock or EpochClock()

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        epoch = self._clock.current.seq
        try:
            answer = await self._graft(signer)
        except BaseException as exc:
            if self._tap is not None:
                self._tap.event("graft", epoch, reason=wire_reason(exc))
            raise
        if self._tap is not None:
            self._tap.event("graft", epoch)
        pass_on_graft(answer, _context.results)

    async def _graft(self, signer: Any) -> Any:
        try:
            public_key = peer_public_key(self._peer.to_bytes())
        except ValueError as exc:
            raise GraftRefused(f"peer {self._peer}: {exc}") from None
        await challenge(
            signer, public_key, mismatch=f"the signer does not hold the key of peer {self._peer}"
        )
        return await self._target.graft(CheckedSigner(signer, self._peer.to_bytes()))


class CheckedSigner(_stem.Signer.Server):
    """A remote's Signer as pid0's export receives it: `peer` names the peer
    whose key the host has just checked it against (the remote cannot lie
    about it, since this server is the host's)."""

    def __init__(self, remote: Any, peer_id: bytes) -> None:
        self._remote = remote
        self._peer_id = peer_id

    async def sign(self, nonce: int, **_: Any) -> bytes:
        return bytes((await self._remote.sign(nonce)).sig)

    async def peer(self, **_: Any) -> bytes:
        return self._peer_id


def export_of(
    pid0: Any, audit: AuditLog | None = None, clock: EpochClock | None = None
) -> Callable[[ID], ExportedMembrane]:
    """Per inbound stream (on the vat): a forwarder to pid0's export for that peer.

    ``pid0`` is the host's RPC connection to pid0 (anything with a
    ``connection`` attribute that has `bootstrap`).  pid0 is bootstrapped once,
    lazily, and its export is shared by every remote connection; everything
    lives on the vat like every pycapnp object.  With ``audit``, the peer's
    grafts are recorded, under the epoch of ``clock`` at the graft.
    """
    targets: list[Any] = []

    def export(peer: ID) -> ExportedMembrane:
        if not targets:
            targets.append(pid0.connection.bootstrap().cast_as(_stem.Membrane))
        tap = audit.tap(str(peer)) if audit is not None else None
        return ExportedMembrane(targets[0], peer, tap, clock)

    return export
