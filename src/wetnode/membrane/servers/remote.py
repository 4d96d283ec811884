"""The bootstrap of a shell run here on a remote node's export (`ww dial --shell`)."""

from __future__ import annotations

from typing import Any

import capnp
import trio

from wetnode.membrane.bytestream_port import StreamPort
from wetnode.membrane.epoch import EpochClock
from wetnode.membrane.errors import GraftRefused
from wetnode.membrane.servers.bytestream import ByteStreamServer
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.servers.membrane import pass_on_graft
from wetnode.membrane.signing import GRAFT, SignerKey
from wetnode.membrane.terminal import TerminalInput
from wetnode.rpc.reasons import remote_reason
from wetnode.rpc.vat import Vat
from wetnode.schemas import stem as _stem


class RemoteGuestMembrane(_stem.GuestMembrane.Server):
    """The shell's bootstrap: this machine's signer and terminal, the remote's graft.

    The capabilities the remote graft returns are handed to the guest
    unchanged, so it reaches exactly what the remote node exports to this
    peer.  Lives on the vat, as every pycapnp object does.
    """

    def __init__(
        self,
        vat: Vat,
        remote_export: Any,
        key: SignerKey,
        stdin: trio.abc.ReceiveStream | None = None,
    ) -> None:
        self._vat = vat
        self._export = remote_export.cast_as(_stem.Membrane)
        self._key = key
        # This machine's terminal: edited lines on a TTY (`terminal.tty.node_stdin`).
        self._stdin = StreamPort("stdin", receive=stdin if stdin is not None else TerminalInput())
        self._clock = EpochClock()  # no epochs here: the remote guards its own caps

    async def signer(self, **_: Any) -> SignerServer:
        return SignerServer(GRAFT, self._key)

    async def stdin(self, **_: Any) -> ByteStreamServer:
        return ByteStreamServer(self._clock.guard(), self._vat, self._stdin)

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        try:
            answer = await self._export.graft(signer)
        except capnp.KjException as exc:  # not a Membrane, or it refused us
            raise GraftRefused(f"the remote export did not graft: {remote_reason(exc)}") from None
        pass_on_graft(answer, _context.results)
