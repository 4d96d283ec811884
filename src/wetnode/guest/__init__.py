"""wetnode.guest: the guest SDK, a thin layer over `wetnode.capnproto`.

Guests are Python compiled to WebAssembly by componentize-py, where pycapnp
cannot load; `wetnode.capnproto` speaks Cap'n Proto in pure Python and this
package adds what a guest needs on top: `run` over the WIT channel, `connect`
to the host, `export` and `serve_forever`, wetnode's schemas (`stem`,
`system`, `ipfs`), the text codecs (`codec`) and the names a guest author
uses, re-exported.  A guest's entry point is one call:

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
from wetnode import codec
from wetnode.capnproto import (
    Disconnected,
    Failed,
    Future,
    Gate,
    Interface,
    NotAllowed,
    Overloaded,
    Promise,
    Refusal,
    RpcError,
    SocketTransport,
    Transport,
    TypedClient,
    TypedServer,
    Unimplemented,
    Vat,
    attenuate,
    current_vat,
    gather,
)
from wetnode.guest.errors import GraftRefused
from wetnode.guest.schemas import ipfs, stem, system
from wetnode.guest.wasm import ChannelTransport

__all__ = [
    "ChannelTransport",
    "Disconnected",
    "Failed",
    "Future",
    "Gate",
    "GraftRefused",
    "Interface",
    "NotAllowed",
    "Overloaded",
    "Promise",
    "Refusal",
    "RpcError",
    "SocketTransport",
    "Transport",
    "TypedClient",
    "TypedServer",
    "Unimplemented",
    "Vat",
    "attenuate",
    "codec",
    "connect",
    "export",
    "gather",
    "ipfs",
    "run",
    "serve_forever",
    "stem",
    "system",
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
        interface = stem.GuestMembrane
    cap = current_vat().bootstrap()
    await cap.pending
    return interface.Client(cap.resolved())


def export(server: Any) -> None:
    """Make `server` this guest's bootstrap capability (the host may ask for it)."""
    current_vat().export(server)


async def serve_forever() -> None:
    """Keep serving exported capabilities until the host closes the channel."""
    await current_vat().closed
