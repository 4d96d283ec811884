"""Typed views over the wire format, driven by tables the schema generator writes.

Generated modules (`schemas/` packages) declare each struct and interface as a class
with a small table of fields or methods; `__init_subclass__` here turns those
tables into Reader, Builder and Pipeline classes with one property per field,
and interfaces into Client and Server classes.  Keeping the logic here and the
data there keeps the generated files small, reviewable and reproducible.

Type descriptors in the tables are tuples: ("void",), ("bool",), ("num", fmt),
("text",), ("data",), ("struct", id), ("list", elem), ("iface", id), ("any",), and ("group", id)
for a group or named union, which shares its parent's sections.
Primitive field offsets are in bytes, bool offsets in bits, pointer offsets in
pointer slots; defaults are stored XOR-ed on the wire as the spec requires.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from wetnode.capnproto import wire

TO_DICT_STRUCTS = 1 << 14  # structs one `to_dict` may expand (defaults included)
NO_DISCRIMINANT = 0xFFFF
REGISTRY: dict[int, type[Struct] | type[Interface]] = {}
_FMT = {c: struct.Struct("<" + c) for c in "bBhHiIqQfd"}
_U16 = _FMT["H"]

Type = tuple[Any, ...]


class Field:
    """One field of a struct: where it lives and how to see it."""

    __slots__ = ("default", "discriminant", "name", "offset", "type")

    def __init__(
        self,
        name: str,
        type: Type,
        offset: int = 0,
        default: Any = None,
        discriminant: int = NO_DISCRIMINANT,
    ) -> None:
        self.name = name
        self.type = type
        self.offset = offset
        self.default = default
        self.discriminant = discriminant


class Method:
    __slots__ = ("_classes", "name", "ordinal", "params", "results")

    def __init__(self, name: str, ordinal: int, params: int, results: int) -> None:
        self.name = name
        self.ordinal = ordinal
        self.params = params
        self.results = results
        self._classes: tuple[type[Struct], type[Struct]] | None = None

    def classes(self) -> tuple[type[Struct], type[Struct]]:
        """Its params and results structs, looked up on first use (they may be defined
        after the interface) and kept: every call of the method needs them."""
        if self._classes is None:
            self._classes = (struct_class(self.params), struct_class(self.results))
        return self._classes


def struct_class(type_id: int) -> type[Struct]:
    cls = REGISTRY[type_id]
    assert issubclass(cls, Struct)
    return cls


def interface_class(type_id: int) -> type[Interface]:
    cls = REGISTRY[type_id]
    assert issubclass(cls, Interface)
    return cls


# ------------------------------------------------------------------- reading


def empty_struct(msg: wire.MessageReader | None = None) -> wire.StructReader:
    """A struct with every field at its default (what a null pointer reads as)."""
    return wire.StructReader(msg or _EMPTY_MSG, -1, 0, 0, 0, 0, wire.NESTING_LIMIT)


_EMPTY_MSG = wire.MessageReader([bytes(8)])


def read_value(r: wire.StructReader, f: Field) -> Any:
    kind = f.type[0]
    if kind == "num":
        return r.get(_FMT[f.type[1]], f.offset, f.default or 0)
    if kind == "bool":
        return r.get_bool(f.offset, bool(f.default))
    if kind == "text":
        return r.text(f.offset, f.default or "")
    if kind == "data":
        return r.data(f.offset, f.default or b"")
    if kind == "struct":
        cls = struct_class(f.type[1])
        return cls.Reader(r.struct(f.offset) or empty_struct(r.msg))
    if kind == "list":
        lst = r.list(f.offset)
        return [] if lst is None else list_value(lst, f.type[1])
    if kind == "iface":
        index = r.cap_index(f.offset)
        if index is None:
            return None
        if index >= len(r.msg.caps):
            raise wire.DecodeError(f"capability index {index} outside the message's table")
        return interface_class(f.type[1]).Client(r.msg.caps[index])
    if kind == "any":
        return r.ptr(f.offset)
    if kind == "group":
        return struct_class(f.type[1]).Reader(r)
    return None


def list_value(lst: wire.ListReader, elem: Type) -> Sequence[Any]:
    kind = elem[0]
    if kind == "num":
        return lst.primitives(elem[1])
    if kind == "bool":
        return lst.primitives("?")
    if kind == "struct":
        reader = struct_class(elem[1]).Reader
        return [reader(s) for s in lst.structs()]
    if kind == "void":
        return [None] * len(lst)
    out: list[Any] = []
    for i in range(len(lst)):
        p = lst.ptr_at(i)
        if kind == "text":
            sub = wire.read_list(p.msg, p.seg_id, p.index, p.depth)
            out.append("" if sub is None else sub.as_text())
        elif kind == "data":
            sub = wire.read_list(p.msg, p.seg_id, p.index, p.depth)
            out.append(b"" if sub is None else sub.as_bytes())
        elif kind == "list":
            sub = wire.read_list(p.msg, p.seg_id, p.index, p.depth)
            out.append([] if sub is None else list_value(sub, elem[1]))
        elif kind == "iface":
            index = p.cap_index()
            out.append(
                None if index is None else interface_class(elem[1]).Client(p.msg.caps[index])
            )
        else:
            out.append(p)
    return out


# ------------------------------------------------------------------ building


def write_value(b: wire.StructBuilder, f: Field, value: Any) -> None:
    kind = f.type[0]
    mb = b.mb
    if kind == "num":
        b.set(_FMT[f.type[1]], f.offset, value, f.default or 0)
    elif kind == "bool":
        b.set_bool(f.offset, value, bool(f.default))
    elif kind == "void":
        pass
    elif kind == "group":
        fill(struct_class(f.type[1]).Builder(b), value)
    elif value is None:
        wire._U64.pack_into(mb.buf, (b.ptr_index + f.offset) * 8, 0)
    elif kind == "text":
        wire.set_bytes(mb, b.ptr_index + f.offset, value.encode(), nul=True)
    elif kind == "data":
        wire.set_bytes(mb, b.ptr_index + f.offset, bytes(value), nul=False)
    elif kind == "struct" and isinstance(value, StructReaderView):
        caps = value._r.msg.caps
        wire.copy_struct(value._r, mb, b.ptr_index + f.offset, lambda i: mb.add_cap(caps[i]))
    elif kind == "struct":
        cls = struct_class(f.type[1])
        fill(
            cls.Builder(
                wire.init_struct(mb, b.ptr_index + f.offset, cls.DATA_WORDS, cls.PTR_COUNT)
            ),
            value,
        )
    elif kind == "list":
        write_list(mb, b.ptr_index + f.offset, f.type[1], value)
    elif kind == "iface":
        wire.set_cap(mb, b.ptr_index + f.offset, mb.add_cap(value))
    elif kind == "any" and isinstance(value, TypedClient | TypedServer):
        # A `Capability` field (an AnyPointer in the schema): the capability itself.
        wire.set_cap(mb, b.ptr_index + f.offset, mb.add_cap(value))
    elif kind == "any":
        if not isinstance(value, wire.Ptr):
            raise TypeError(
                f"{f.name}: an AnyPointer takes a received pointer to copy, or a capability"
            )
        copy_any(value, wire.PtrBuilder(mb, b.ptr_index + f.offset))


def copy_any(src: wire.Ptr, dst: wire.PtrBuilder) -> None:
    """Copy a received object, carrying its capabilities into the new message."""
    caps = src.msg.caps
    dst.copy_from(src, lambda i: dst.mb.add_cap(caps[i]))


def write_list(mb: wire.MessageBuilder, index: int, elem: Type, values: Sequence[Any]) -> None:
    kind = elem[0]
    if kind == "num":
        wire.set_primitive_list(mb, index, elem[1], values)
    elif kind == "bool":
        wire.set_primitive_list(mb, index, "?", values)
    elif kind == "void":
        wire.init_list(mb, index, wire.VOID, len(values))
    elif kind == "struct":
        cls = struct_class(elem[1])
        for out, value in zip(
            wire.init_struct_list(mb, index, len(values), cls.DATA_WORDS, cls.PTR_COUNT),
            values,
            strict=True,
        ):
            fill(cls.Builder(out), value)
    else:
        first = wire.init_list(mb, index, wire.POINTER, len(values)) >> 3
        for i, value in enumerate(values):
            slot = first + i
            if value is None:
                continue
            if kind == "text":
                wire.set_bytes(mb, slot, value.encode(), nul=True)
            elif kind == "data":
                wire.set_bytes(mb, slot, bytes(value), nul=False)
            elif kind == "list":
                write_list(mb, slot, elem[1], value)
            elif kind == "iface":
                wire.set_cap(mb, slot, mb.add_cap(value))
            else:
                copy_any(value, wire.PtrBuilder(mb, slot))


def fill(builder: StructBuilderView, value: Any) -> None:
    """Set a struct's fields from a dict (or copy from a reader of the same type)."""
    if value is None:
        return
    if isinstance(value, StructReaderView):
        value = value.to_dict()
    if not isinstance(value, dict):
        raise TypeError(
            f"{type(builder).__qualname__}: expected a dict of fields, got {type(value).__name__}"
        )
    fields = builder.SCHEMA.FIELD_MAP
    for name, v in value.items():
        if name not in fields:
            raise TypeError(
                f"{builder.SCHEMA.__qualname__} has no field {name!r} (fields: {', '.join(fields)})"
            )
        setattr(builder, name, v)


# --------------------------------------------------------------- class views


class StructReaderView:
    """Base of generated Reader classes: typed, read-only access to a struct."""

    __slots__ = ("_r",)
    SCHEMA: ClassVar[type[Struct]]

    def __init__(self, raw: wire.StructReader) -> None:
        self._r = raw

    def which(self) -> str:
        schema = self.SCHEMA
        if schema.DISCRIMINANT_OFFSET is None:
            raise TypeError(f"{schema.__qualname__} has no union")
        value = self._r.get(_U16, schema.DISCRIMINANT_OFFSET)
        try:
            return schema.UNION[value]
        except KeyError:
            return f"unknown({value})"

    def to_dict(
        self, depth: int = wire.NESTING_LIMIT, budget: list[int] | None = None
    ) -> dict[str, Any]:
        """Every field as plain values, nested structs as dicts.

        A null struct field reads as that struct's defaults, which cost the
        sender nothing: a few bytes can name a tree of defaults that nests
        without end (``Message.unimplemented`` holds a Message) or branches
        at every level.  So at most ``depth`` levels and `TO_DICT_STRUCTS`
        structs are expanded; past either this raises `DecodeError`, as a
        read past the traversal limit does.
        """
        budget = [TO_DICT_STRUCTS] if budget is None else budget
        budget[0] -= 1
        if depth <= 0 or budget[0] < 0:
            raise wire.DecodeError(f"{self.SCHEMA.__qualname__} expands past the to_dict limits")
        schema = self.SCHEMA
        active = self.which() if schema.DISCRIMINANT_OFFSET is not None else None
        out = {}
        for f in schema.FIELDS:
            if f.discriminant != NO_DISCRIMINANT and f.name != active:
                continue
            out[f.name] = _plain(getattr(self, f.name), depth - 1, budget)
        return out

    def __repr__(self) -> str:
        return f"<{self.SCHEMA.__qualname__} {self.to_dict()!r}>"


def _plain(value: Any, depth: int, budget: list[int]) -> Any:
    if isinstance(value, StructReaderView):
        return value.to_dict(depth, budget)
    if isinstance(value, list) and value and isinstance(value[0], (StructReaderView, list)):
        return [_plain(v, depth, budget) for v in value]
    return value


class StructBuilderView:
    """Base of generated Builder classes."""

    __slots__ = ("_b",)
    SCHEMA: ClassVar[type[Struct]]

    def __init__(self, raw: wire.StructBuilder) -> None:
        self._b = raw

    def init(self, name: str, count: int | None = None) -> Any:
        """Allocate a struct/group field (or a struct list of `count`) and return its builder(s)."""
        f = self.SCHEMA.FIELD_MAP[name]
        self._set_discriminant(f)
        b = self._b
        kind = f.type[0]
        if kind == "group":
            return struct_class(f.type[1]).Builder(b)
        if kind == "struct":
            cls = struct_class(f.type[1])
            return cls.Builder(
                wire.init_struct(b.mb, b.ptr_index + f.offset, cls.DATA_WORDS, cls.PTR_COUNT)
            )
        if kind == "list" and f.type[1][0] == "struct" and count is not None:
            cls = struct_class(f.type[1][1])
            raws = wire.init_struct_list(
                b.mb, b.ptr_index + f.offset, count, cls.DATA_WORDS, cls.PTR_COUNT
            )
            return [cls.Builder(r) for r in raws]
        if kind == "any":
            return wire.PtrBuilder(b.mb, b.ptr_index + f.offset)
        raise TypeError(
            f"{name}: init() applies to struct, group, struct-list and AnyPointer fields"
        )

    def _set_discriminant(self, f: Field) -> None:
        if f.discriminant != NO_DISCRIMINANT:
            offset = self.SCHEMA.DISCRIMINANT_OFFSET
            assert offset is not None  # a union member implies a union
            self._b.set(_U16, offset, f.discriminant)


class Struct:
    """Base of generated struct classes (the schema of one struct or group)."""

    ID: ClassVar[int]
    DATA_WORDS: ClassVar[int] = 0
    PTR_COUNT: ClassVar[int] = 0
    DISCRIMINANT_OFFSET: ClassVar[int | None] = None
    FIELDS: ClassVar[tuple[Field, ...]] = ()
    FIELD_MAP: ClassVar[dict[str, Field]]
    UNION: ClassVar[dict[int, str]]
    Reader: ClassVar[type[StructReaderView]]
    Builder: ClassVar[type[StructBuilderView]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.ID] = cls
        cls.FIELD_MAP = {f.name: f for f in cls.FIELDS}
        cls.UNION = {
            f.discriminant: f.name for f in cls.FIELDS if f.discriminant != NO_DISCRIMINANT
        }
        reader_ns: dict[str, Any] = {"__slots__": (), "SCHEMA": cls}
        builder_ns: dict[str, Any] = {"__slots__": (), "SCHEMA": cls}
        for f in cls.FIELDS:
            reader_ns[f.name] = property(_getter(f))
            builder_ns[f.name] = property(_builder_getter(f), _setter(f))
        cls.Reader = type(f"{cls.__name__}.Reader", (StructReaderView,), reader_ns)
        cls.Builder = type(f"{cls.__name__}.Builder", (StructBuilderView,), builder_ns)

    @classmethod
    def new_message(cls) -> tuple[wire.MessageBuilder, StructBuilderView]:
        mb = wire.MessageBuilder()
        return mb, cls.Builder(mb.init_root(cls.DATA_WORDS, cls.PTR_COUNT))

    @classmethod
    def read(cls, msg: wire.MessageReader) -> StructReaderView:
        return cls.Reader(msg.root().struct() or empty_struct(msg))


def _getter(f: Field) -> Callable[[StructReaderView], Any]:
    kind = f.type[0]
    off = f.offset
    if kind == "num":
        fmt, dflt = _FMT[f.type[1]], f.default or 0
        return lambda self: self._r.get(fmt, off, dflt)
    if kind == "bool":
        bit_default = bool(f.default)
        return lambda self: self._r.get_bool(off, bit_default)
    if kind == "struct":  # the struct class is looked up lazily: it may be defined later
        type_id = f.type[1]

        def struct_field(self: StructReaderView) -> Any:
            r = self._r
            return struct_class(type_id).Reader(r.struct(off) or empty_struct(r.msg))

        return struct_field
    if kind == "any":
        return lambda self: self._r.ptr(off)
    return lambda self: read_value(self._r, f)


def _builder_getter(f: Field) -> Callable[[StructBuilderView], Any]:
    kind = f.type[0]
    if kind == "num":
        fmt, off, dflt = _FMT[f.type[1]], f.offset, f.default or 0
        return lambda self: self._b.get(fmt, off, dflt)
    if kind == "group":
        return lambda self: struct_class(f.type[1]).Builder(self._b)
    return lambda self: _write_only(f)


def _write_only(f: Field) -> Any:
    raise AttributeError(
        f"{f.name}: pointer fields of a builder are write-only; use init() for nested builders"
    )


def _setter(f: Field) -> Callable[[StructBuilderView, Any], None]:
    def setter(self: StructBuilderView, value: Any) -> None:
        self._set_discriminant(f)
        write_value(self._b, f, value)

    return setter


# ---------------------------------------------------------------- interfaces


class Interface:
    """Base of generated interface classes; builds their Client and Server classes."""

    ID: ClassVar[int]
    METHODS: ClassVar[tuple[Method, ...]] = ()
    SUPERCLASSES: ClassVar[tuple[type[Interface], ...]] = ()
    BY_ORDINAL: ClassVar[dict[int, Method]]
    Client: ClassVar[type[TypedClient]]
    Server: ClassVar[type[TypedServer]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.ID] = cls
        cls.BY_ORDINAL = {m.ordinal: m for m in cls.METHODS}
        client_ns: dict[str, Any] = {"__slots__": (), "INTERFACE": cls}
        for m in cls.METHODS:
            client_ns[m.name] = _client_method(cls.ID, m)
        # Inheritance follows the schema: a subinterface's client and server
        # also carry its superclasses' methods, under their own interface IDs.
        client_bases = tuple(s.Client for s in cls.SUPERCLASSES) or (TypedClient,)
        server_bases = tuple(s.Server for s in cls.SUPERCLASSES) or (TypedServer,)
        cls.Client = type(f"{cls.__name__}.Client", client_bases, client_ns)
        cls.Server = type(f"{cls.__name__}.Server", server_bases, {"INTERFACE": cls})


class TypedClient:
    """A capability seen through one interface: methods send calls, return promises.

    `cap` is the RPC layer's capability object (it offers `call(interface_id,
    method_id, results_class, build)` and `release()`).
    """

    __slots__ = ("cap",)
    INTERFACE: ClassVar[type[Interface]]
    cap: Any

    def __init__(self, cap: Any) -> None:
        if isinstance(cap, TypedClient):
            cap = cap.cap
        self.cap = cap

    def cast_as(self, interface: type[Interface]) -> TypedClient:
        return interface.Client(self.cap)

    def release(self) -> None:
        self.cap.release()

    def __repr__(self) -> str:
        return f"<{self.INTERFACE.__qualname__} client {self.cap!r}>"


def _client_method(interface_id: int, m: Method) -> Callable[..., Any]:
    def call(self: TypedClient, *args: Any, **kwargs: Any) -> Any:
        params, results = m.classes()
        values = kwargs
        if args:
            fields = params.FIELDS
            if len(args) > len(fields):
                raise TypeError(f"{m.name}() takes {len(fields)} arguments, got {len(args)}")
            values = {f.name: arg for f, arg in zip(fields, args, strict=False)}
            values.update(kwargs)

        def build(b: wire.StructBuilder) -> None:
            fill(params.Builder(b), values)

        return self.cap.call(interface_id, m.ordinal, params, results, build)

    call.__name__ = m.name
    return call


class TypedServer:
    """Base for serving an interface: subclass and write `async def <method>(self, **params)`.

    A method returns None (no results), the value of the single result field,
    or a dict/tuple of result fields.  Raise `wetnode.capnproto.RpcError` (or any
    exception, reported as `failed`) to fail the call.
    """

    INTERFACE: ClassVar[type[Interface]]

    def _interfaces(self) -> dict[int, type[Interface]]:
        return {
            c.INTERFACE.ID: c.INTERFACE
            for c in type(self).__mro__
            if issubclass(c, TypedServer) and "INTERFACE" in c.__dict__
        }


def results_as_dict(results: type[Struct], value: Any) -> dict[str, Any] | None:
    """Map a server method's return value onto its results struct's fields."""
    if value is None or isinstance(value, dict):
        return value
    names = [f.name for f in results.FIELDS]
    if isinstance(value, StructReaderView) and value.SCHEMA is results:
        return value.to_dict()
    if len(names) == 1:
        return {names[0]: value}
    if isinstance(value, tuple) and len(value) == len(names):
        return dict(zip(names, value, strict=True))
    raise TypeError(f"results of {results.__qualname__} take fields {names}, got {value!r}")
