"""Capabilities that do not depend on a connection: local servers, broken caps, pipelines.

Every capability offers two operations.  `call` is what a typed client uses:
it builds the params and returns a `Promise`.  `deliver` hands over a call
that is already a received message (a `Delivery`); this is how calls reach a
server, get forwarded to another vat, or wait behind a promise.  Results are
always a received pointer whose message carries its capability table as
capability objects, so they can be read, pipelined on or copied onward alike.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from wetnode.capnproto import loop as _loop
from wetnode.capnproto import schema, wire
from wetnode.capnproto.errors import Failed, RpcError, Unimplemented, as_rpc_error

Build = Callable[[wire.StructBuilder], None]
"""Fills in a call's params struct."""


class Pending(_loop.Future):
    """The results of one call (a received pointer), possibly still on the way.

    `remote` is the connection that will answer it, when there is one: calls
    pipelined on a remote answer are sent to that vat right away.
    """

    __slots__ = ("question_id", "remote")

    def __init__(self) -> None:
        super().__init__()
        self.remote: Any = None
        self.question_id = -1


class Delivery:
    """A call in received form, on its way to whatever serves it."""

    __slots__ = ("answer", "interface_id", "method_id", "params")

    def __init__(
        self, interface_id: int, method_id: int, params: wire.Ptr, answer: Pending
    ) -> None:
        self.interface_id = interface_id
        self.method_id = method_id
        self.params = params
        self.answer = answer


def reread(mb: wire.MessageBuilder) -> wire.MessageReader:
    """A message just built, as a received message (with its caps as Cap objects)."""
    msg = wire.MessageReader([memoryview(mb.buf)])
    msg.caps = [as_cap(c) for c in mb.caps]
    return msg


class Cap:
    """Base capability: local calls are built into a message and delivered."""

    def call(
        self,
        interface_id: int,
        method_id: int,
        params: type[schema.Struct],
        results: type[schema.Struct],
        build: Build,
    ) -> Promise:
        mb = wire.MessageBuilder()
        build(mb.init_root(params.DATA_WORDS, params.PTR_COUNT))
        pending = Pending()
        self.deliver(Delivery(interface_id, method_id, reread(mb).root(), pending))
        return Promise(pending, results)

    def deliver(self, d: Delivery) -> None:
        raise NotImplementedError

    def release(self) -> None:
        """Drop this reference now rather than when it is garbage-collected."""

    def resolved(self) -> Cap:
        """The capability this one currently stands for (itself unless a promise)."""
        return self


class BrokenCap(Cap):
    """Every call fails with the same error (a null or failed capability)."""

    def __init__(self, error: RpcError) -> None:
        self.error = error

    def deliver(self, d: Delivery) -> None:
        d.answer.set_exception(self.error)

    def __repr__(self) -> str:
        return f"<broken {self.error!r}>"


_Served = tuple[
    Any, type[schema.Struct], type[schema.Struct], tuple[tuple[str, Callable[[Any], Any]], ...]
]
"""A served method: its implementation, params and results classes, and a (name,
reader) per params field."""


class LocalCap(Cap):
    """A capability served by a Python object in this vat (a TypedServer)."""

    def __init__(self, server: schema.TypedServer) -> None:
        self.server = server
        self._methods: dict[tuple[int, int], tuple[Any, schema.Method]] = {}
        for iface in server._interfaces().values():
            for m in iface.METHODS:
                self._methods[(iface.ID, m.ordinal)] = (getattr(server, m.name, None), m)
        self._served: dict[tuple[int, int], _Served] = {}

    def deliver(self, d: Delivery) -> None:
        _loop.current_loop().spawn(self._serve(d))

    def _method(self, d: Delivery) -> _Served:
        """How to serve the call's method, worked out on its first call."""
        key = (d.interface_id, d.method_id)
        served = self._served.get(key)
        if served is None:
            impl, m = self._methods.get(key, (None, None))
            if impl is None or m is None:
                raise Unimplemented(
                    f"{type(self.server).__name__} does not implement method {d.method_id} "
                    f"of interface 0x{d.interface_id:016x}"
                )
            params, results = m.classes()
            getters = tuple((f.name, getattr(params.Reader, f.name).fget) for f in params.FIELDS)
            served = self._served[key] = (impl, params, results, getters)
        return served

    async def _serve(self, d: Delivery) -> None:
        try:
            impl, params_cls, results_cls, getters = self._method(d)
            params = params_cls.Reader(d.params.struct() or schema.empty_struct(d.params.msg))
            value = impl(**{name: get(params) for name, get in getters})
            if inspect.isawaitable(value):
                value = await value
            mb = wire.MessageBuilder()
            schema.fill(
                results_cls.Builder(mb.init_root(results_cls.DATA_WORDS, results_cls.PTR_COUNT)),
                schema.results_as_dict(results_cls, value),
            )
            d.answer.set_result(reread(mb).root())
        except Exception as exc:
            d.answer.set_exception(as_rpc_error(exc))

    def __repr__(self) -> str:
        return f"<local {type(self.server).__name__}>"


def as_cap(obj: Any) -> Cap:
    """The capability for what a builder was given: a client, a server or a Cap."""
    if isinstance(obj, schema.TypedClient):
        return obj.cap
    if isinstance(obj, Cap):
        return obj
    if isinstance(obj, schema.TypedServer):
        cap = obj.__dict__.get("_wetnode_cap")
        if cap is None:
            cap = obj.__dict__["_wetnode_cap"] = LocalCap(obj)
        return cap
    raise TypeError(f"not a capability: {obj!r} (pass a client or a server object)")


def cap_index_at(ptr: wire.Ptr, path: tuple[int, ...]) -> int | None:
    """Index in the message's cap table of the capability at a pointer path, if any."""
    for slot in path:
        s = ptr.struct()
        p = None if s is None else s.ptr(slot)
        if p is None:
            return None
        ptr = p
    index = ptr.cap_index()
    return index if index is not None and index < len(ptr.msg.caps) else None


def follow(ptr: wire.Ptr, path: tuple[int, ...]) -> Cap:
    """The capability at a pointer path inside results (a PromisedAnswer transform)."""
    try:
        index = cap_index_at(ptr, path)
    except wire.DecodeError as exc:
        return BrokenCap(Failed(f"malformed results: {exc}"))
    if index is None:
        return BrokenCap(Failed("pipelined capability is null"))
    return ptr.msg.caps[index]


class EmbargoedCap(Cap):
    """A capability that holds calls back until `lifted` fires (the RPC embargo).

    Calls pipelined through the peer may still be on their way back to the
    object; new calls must not overtake them.
    """

    def __init__(self, inner: Cap, lifted: _loop.Future) -> None:
        self.inner = inner
        self.lifted = lifted

    def resolved(self) -> Cap:
        return self.inner.resolved() if self.lifted.done() else self

    def deliver(self, d: Delivery) -> None:
        if self.lifted.done():
            self.inner.deliver(d)
        else:
            self.lifted.add_done_callback(lambda _: self.inner.deliver(d))


class PipelineCap(Cap):
    """The capability a pending call will return at `path`: usable before it arrives."""

    def __init__(self, pending: Pending, path: tuple[int, ...]) -> None:
        self.pending = pending
        self.path = path

    def resolved(self) -> Cap:
        p = self.pending
        if not p.done():
            return self
        error = p.exception()
        if error is not None:
            return BrokenCap(as_rpc_error(error))
        return follow(p.result(), self.path).resolved()

    def call(
        self,
        interface_id: int,
        method_id: int,
        params: type[schema.Struct],
        results: type[schema.Struct],
        build: Build,
    ) -> Promise:
        p = self.pending
        if not p.done():
            if p.remote is not None:
                return p.remote.call_promised(
                    p, self.path, interface_id, method_id, params, results, build
                )
        else:
            target = self.resolved()
            if target is not self:
                return target.call(interface_id, method_id, params, results, build)
        return super().call(interface_id, method_id, params, results, build)

    def deliver(self, d: Delivery) -> None:
        p = self.pending
        if not p.done():
            if p.remote is not None:
                p.remote.forward_promised(p, self.path, d)
            else:
                p.add_done_callback(lambda _: self.deliver(d))
            return
        self.resolved().deliver(d)

    def __repr__(self) -> str:
        return f"<pipeline {self.path} of {self.pending.question_id}>"


class Promise:
    """What a call returns: await it for the results, or pipeline on its fields.

    `await promise` gives the results struct reader.  `promise.field` for a
    capability field gives a client you can call at once (promise pipelining);
    for a struct field, a narrower promise.
    """

    __slots__ = ("_path", "_pending", "_results")

    def __init__(
        self, pending: Pending, results: type[schema.Struct], path: tuple[int, ...] = ()
    ) -> None:
        self._pending = pending
        self._results = results
        self._path = path

    def __await__(self) -> Any:
        ptr = yield from self._pending.__await__()
        for index in self._path:
            s = ptr.struct()
            ptr = None if s is None else s.ptr(index)
            if ptr is None:
                return self._results.Reader(schema.empty_struct())
        return self._results.Reader(ptr.struct() or schema.empty_struct(ptr.msg))

    def __getattr__(self, name: str) -> Any:
        f = self._results.FIELD_MAP.get(name)
        if f is None:
            raise AttributeError(f"{self._results.__qualname__} has no field {name!r}")
        kind = f.type[0]
        if kind == "iface":
            cap = PipelineCap(self._pending, (*self._path, f.offset))
            return schema.interface_class(f.type[1]).Client(cap)
        if kind == "struct":
            return Promise(self._pending, schema.struct_class(f.type[1]), (*self._path, f.offset))
        raise AttributeError(
            f"{name}: only capability and struct fields can be pipelined; await the call"
        )
