"""The capability a connection's peer hosts, as seen from this vat.

An `ImportCap` sends calls over its connection until the peer resolves it (a
promise it exported) to something else; then calls go to the resolution, held
back behind an embargo while earlier calls may still be on their way.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from wetnode.capnproto import schema
from wetnode.capnproto.caps import BrokenCap, Build, Cap, Delivery, Promise
from wetnode.capnproto.errors import Failed
from wetnode.capnproto.loop import Future

if TYPE_CHECKING:
    from wetnode.capnproto.connection import Connection

RELEASED = BrokenCap(Failed("the capability was released"))
"""What a released import answers to every call."""


class ImportCap(Cap):
    """A capability the peer hosts (or a promise it will resolve)."""

    def __init__(self, conn: Connection, import_id: int) -> None:
        self.conn = conn
        self.import_id = import_id
        self.released = False
        self.used = False
        self.resolution: Cap | None = None
        self.embargo: Future | None = None

    def resolved(self) -> Cap:
        if self.resolution is not None and (self.embargo is None or self.embargo.done()):
            return self.resolution.resolved()
        return self

    def call(
        self,
        interface_id: int,
        method_id: int,
        params: type[schema.Struct],
        results: type[schema.Struct],
        build: Build,
    ) -> Promise:
        if self.resolution is not None:
            if self.embargo is not None and not self.embargo.done():
                return super().call(interface_id, method_id, params, results, build)
            return self.resolution.call(interface_id, method_id, params, results, build)
        if self.released:
            return RELEASED.call(interface_id, method_id, params, results, build)
        self.used = True
        return self.conn.call_target(
            ("import", self.import_id), interface_id, method_id, params, results, build
        )

    def deliver(self, d: Delivery) -> None:
        if self.resolution is not None:
            if self.embargo is not None and not self.embargo.done():
                self.embargo.add_done_callback(lambda _: self.deliver(d))
            else:
                self.resolution.deliver(d)
            return
        if self.released:
            RELEASED.deliver(d)
            return
        self.used = True
        self.conn.forward(("import", self.import_id), d)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.conn.drop_import(self)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit there is no one to tell
            self.release()

    def __repr__(self) -> str:
        return f"<import {self.import_id}>"
