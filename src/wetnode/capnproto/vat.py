"""The guest runtime: one connection, one loop, blocking on the transport when idle.

A `Vat` runs the sans-IO connection over a transport on a single thread: run
every ready task, send what the protocol produced, and only then block on
`transport.read`.  Calls made in the same step go out in one write.

A write never blocks while results wait to be read.  The host stops reading
a guest's calls past its bound (`--guest-max-calls`) until the guest has
taken their results, so a vat that pipelined more calls than that, with
results larger than the socket's buffer, would block in its write while the
host blocked in its own: so while the transport takes no more, the vat
reads what has arrived and hands it to the connection.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from wetnode.capnproto import loop as _loop
from wetnode.capnproto.caps import as_cap
from wetnode.capnproto.connection import Connection
from wetnode.capnproto.errors import Disconnected
from wetnode.capnproto.transport import Transport

log = logging.getLogger(__name__)
READ_SIZE = 1 << 16


class Vat:
    """A connection to one peer, driven on the calling thread."""

    def __init__(self, transport: Transport, bootstrap: Any = None) -> None:
        self.transport = transport
        self.loop = _loop.Loop()
        self.conn = Connection(as_cap(bootstrap) if bootstrap is not None else None)
        self.closed = _loop.Future()

    def export(self, server: Any) -> None:
        """Offer `server` (or a client) as what the peer gets when it bootstraps us."""
        self.conn.bootstrap_cap = as_cap(server)

    def bootstrap(self) -> Any:
        return self.conn.bootstrap()

    def run(self, main: Coroutine[Any, Any, Any]) -> Any:
        """Drive `main` (and everything it starts) to completion; returns its value."""
        previous = _loop.set_current_loop(self.loop)
        previous_vat = _set_current_vat(self)
        try:
            task = self.loop.spawn(main)
            while True:
                self.loop.run_ready()
                self._flush()
                if task.done():
                    return task.result()
                if self.conn.error is not None:
                    self.closed.set_result(None)
                    if not self.loop.has_ready():
                        raise self.conn.error
                    continue
                if self.loop.has_ready():  # woken by what _flush read
                    continue
                self._receive()
        finally:
            _loop.set_current_loop(previous)
            _set_current_vat(previous_vat)

    def _flush(self) -> None:
        """Write all the connection has to send, reading what arrives while the transport
        takes nothing (which may make more to send: a Finish, a Return).  An Abort the
        connection queued as it failed is written too; an error that arises here (the
        peer gone while we wait) ends the flush."""
        error = self.conn.error
        try:
            while out := self.conn.data_to_send():
                view = memoryview(out)
                while view and self.conn.error is error:
                    sent = self.transport.try_write(view)
                    if sent:
                        view = view[sent:]
                    elif self.transport.wait():
                        self._receive()
        except OSError as exc:
            self.conn._shutdown(Disconnected(f"write failed: {exc}"))

    def _receive(self) -> None:
        data = self.transport.read(READ_SIZE)
        if not data:
            self.conn.peer_closed()
        else:
            self.conn.receive(data)


def _set_current_vat(vat: Vat | None) -> Vat | None:
    previous = getattr(_loop._current, "vat", None)
    _loop._current.vat = vat
    return previous


def current_vat() -> Vat:
    vat = getattr(_loop._current, "vat", None)
    if vat is None:
        raise RuntimeError("no vat is running: call this inside Vat.run or wetnode.guest.run")
    return vat
