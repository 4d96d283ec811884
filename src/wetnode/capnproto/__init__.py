"""wetnode.capnproto: Cap'n Proto in pure Python (wire format, typed schemas, RPC level 1).

pycapnp is a C++ extension and cannot load inside a WebAssembly guest, so
this package speaks the standard encoding and the two-party RPC protocol
itself, with the standard library only.  Its first user is the guest SDK
(`wetnode.guest`); the host uses its framing parser and reason cleanup.

Layers, bottom up:

- `wire`: framing, zero-copy bounds-checked readers, one-segment builders.
- `schema`: classes from the generated tables (`Interface`, `TypedClient`,
  `TypedServer`); `schemas.rpc` is rpc.capnp's own table.
- `caps`: capabilities that need no connection (local servers, pipelines,
  `Promise`); `attenuate`: one wrapped behind a gate.
- `tables`, `messages`, `imported`, `connection`: the sans-IO RPC protocol
  (its state, its outgoing messages, the peer's capabilities, the reader
  that ties them together).
- `loop`, `vat`, `transport`: a tiny event loop and the blocking runner that
  drives a connection over a byte transport.

Everything a user needs is importable from here; every module here must stay
pure stdlib and imported eagerly (componentize-py embeds only modules
imported while it builds a guest).
"""

from __future__ import annotations

from wetnode.capnproto.attenuate import Attenuated, Gate, NotAllowed, attenuate
from wetnode.capnproto.caps import Cap, Promise
from wetnode.capnproto.connection import Connection
from wetnode.capnproto.errors import (
    Disconnected,
    Failed,
    Overloaded,
    Refusal,
    RpcError,
    Unimplemented,
    server_reason,
)
from wetnode.capnproto.loop import Future, gather
from wetnode.capnproto.schema import Interface, TypedClient, TypedServer
from wetnode.capnproto.tables import ProtocolError
from wetnode.capnproto.transport import SocketTransport, Transport
from wetnode.capnproto.vat import Vat, current_vat
from wetnode.capnproto.wire import DecodeError, MessageBuilder, MessageReader

__all__ = [
    "Attenuated",
    "Cap",
    "Connection",
    "DecodeError",
    "Disconnected",
    "Failed",
    "Future",
    "Gate",
    "Interface",
    "MessageBuilder",
    "MessageReader",
    "NotAllowed",
    "Overloaded",
    "Promise",
    "ProtocolError",
    "Refusal",
    "RpcError",
    "SocketTransport",
    "Transport",
    "TypedClient",
    "TypedServer",
    "Unimplemented",
    "Vat",
    "attenuate",
    "current_vat",
    "gather",
    "server_reason",
]
