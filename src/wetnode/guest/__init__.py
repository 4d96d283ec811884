"""wetnode.guest: the guest SDK, Cap'n Proto RPC in pure Python.

Guests are Python compiled to WebAssembly by componentize-py, where pycapnp
cannot load; this package speaks the wire format and RPC level 1 itself, using
only the standard library.  A guest's entry point is one call:

    import wetnode.guest as ww

    async def main() -> int:
        membrane = await ww.connect()            # the host's GuestMembrane
        signer = (await membrane.signer()).signer
        caps = await membrane.graft(signer)
        print((await caps.host.id()).peerId.hex())
        return 0

    exit_code = ww.run(main)                     # over the WIT channel

`run(main, transport=..., bootstrap=...)` also works natively over a socket.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

# Imported eagerly: componentize-py embeds only modules imported at build time.
from wetnode.guest._generated.stem import GuestMembrane
from wetnode.guest.caps import Promise
from wetnode.guest.errors import Disconnected, Failed, Overloaded, RpcError, Unimplemented
from wetnode.guest.loop import Future, gather
from wetnode.guest.schema import Interface, TypedClient, TypedServer
from wetnode.guest.transport import SocketTransport, Transport
from wetnode.guest.vat import Vat, current_vat
from wetnode.guest.wasm import ChannelTransport

__all__ = [
    "Disconnected",
    "Failed",
    "Future",
    "Interface",
    "Overloaded",
    "Promise",
    "RpcError",
    "SocketTransport",
    "Transport",
    "TypedClient",
    "TypedServer",
    "Unimplemented",
    "Vat",
    "connect",
    "export",
    "gather",
    "run",
    "serve_forever",
]

log = logging.getLogger(__name__)


def run(
    main: Callable[[], Coroutine[Any, Any, int | None]],
    *,
    transport: Transport | None = None,
    bootstrap: Any = None,
) -> int:
    """Run the guest's `async def main()` over the host channel; returns the exit code.

    `main` returning None means 0.  An exception is printed to stderr and gives
    exit code 1.  `transport` defaults to the WIT channel; `bootstrap` is the
    capability the host gets if it bootstraps this guest (see `export`).
    """
    if transport is None:
        transport = ChannelTransport()
    vat = Vat(transport, bootstrap)
    try:
        code = vat.run(main())
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return 1
    return 0 if code is None else int(code)


async def connect(interface: type[Interface] | None = None) -> Any:
    """Bootstrap the host: by default its GuestMembrane (a Membrane plus `signer()`)."""
    if interface is None:
        interface = GuestMembrane
    cap = current_vat().bootstrap()
    await cap.pending
    return interface.Client(cap.resolved())


def export(server: Any) -> None:
    """Make `server` this guest's bootstrap capability (the host may ask for it)."""
    current_vat().export(server)


async def serve_forever() -> None:
    """Keep serving exported capabilities until the host closes the channel."""
    await current_vat().closed
