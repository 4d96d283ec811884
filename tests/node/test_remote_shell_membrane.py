"""`ww dial --shell`'s bootstrap: local signer, graft forwarded to the remote export."""

from __future__ import annotations

import socket
from typing import Any

import capnp
import trio

from tests.support.echo import Echo
from wetnode.keys import NodeKey, verify
from wetnode.membrane.servers.remote import RemoteGuestMembrane
from wetnode.membrane.signing import graft_message
from wetnode.rpc import schema
from wetnode.rpc.reasons import remote_reason
from wetnode.rpc.vat import Vat, open_vat

_stem = schema.stem()


class RemoteMembrane(_stem.Membrane.Server):
    """Stands in for a remote node's export: records the signature it gets."""

    def __init__(self) -> None:
        self.signatures: list[bytes] = []

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        self.signatures.append(bytes((await signer.sign(7)).sig))
        _context.results.executor = Echo("remote says ")


async def _shell_grafts(vat: Vat, remote_export: Any, key: NodeKey) -> Any:
    """On the vat: serve the remote export, then graft as the shell guest would."""
    export_end, dialer_end = socket.socketpair()
    await vat.connect(export_end, remote_export)
    remote = (await vat.connect(dialer_end)).bootstrap()
    host_end, guest_end = socket.socketpair()
    await vat.connect(host_end, RemoteGuestMembrane(vat, remote, key))
    membrane = (await vat.connect(guest_end)).bootstrap().cast_as(_stem.GuestMembrane)
    signer = (await membrane.signer()).signer
    try:
        caps = await membrane.graft(signer)
    except capnp.KjException as exc:
        return remote_reason(exc)
    return (await caps.executor.echo("hi")).response


async def test_the_shell_grafts_onto_the_remote_export_with_the_dialers_key() -> None:
    key, export = NodeKey.generate(), RemoteMembrane()
    async with open_vat() as vat:
        with trio.fail_after(10):
            assert await vat.run(_shell_grafts, vat, export, key) == "remote says hi"
    # signed by the dialer's key under the graft domain, on this machine
    assert verify(key.public_key, graft_message(7), export.signatures[0])


async def test_an_export_that_is_not_a_membrane_is_a_clear_graft_refusal() -> None:
    async with open_vat() as vat:
        with trio.fail_after(10):
            reason = await vat.run(_shell_grafts, vat, Echo(), NodeKey.generate())
    assert reason.startswith("graftRefused: the remote export did not graft: ")
    assert "not implemented" in reason
