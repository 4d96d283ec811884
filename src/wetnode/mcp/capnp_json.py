"""Cap'n Proto method signatures as MCP tools: JSON Schema in, JSON values both ways.

`input_schema` turns a method's param struct into the JSON Schema of the
tool's arguments; `to_params` turns those arguments into what pycapnp sends;
`to_json` turns the method's results back into structured content.  Text is
a string, Data base64, integers carry their bounds, lists are arrays, structs
objects and enums their names.  A capability (an interface field, or a
`Capability`) travels as a handle, a short string such as `binary/1` that
`Handles` maps to the live capability, so a later call can name it.

Everything here reads pycapnp schema and message objects, so it runs on the
vat thread with them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from wetnode.mcp.errors import McpError

_BOUNDS = {
    f"{sign}int{bits}": (
        (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sign == "" else (0, (1 << bits) - 1)
    )
    for sign in ("", "u")
    for bits in (8, 16, 32, 64)
}
_CAPABILITY = ("interface", "anyPointer")
HANDLE_HELP = "a capability handle an earlier call returned (e.g. binary/1)"


class Handles:
    """Capabilities returned by calls, by handle; `name_of` names an interface ID."""

    def __init__(self, name_of: Callable[[int], str]) -> None:
        self._name_of = name_of
        self._caps: dict[str, tuple[int | None, Any]] = {}
        self._serial = 0

    def add(self, interface_id: int | None, cap: Any) -> str:
        self._serial += 1
        kind = self._name_of(interface_id) if interface_id is not None else "capability"
        handle = f"{kind}/{self._serial}"
        self._caps[handle] = (interface_id, cap)
        return handle

    def get(self, handle: Any, interface_id: int | None = None) -> Any:
        """The capability ``handle`` names, checked to be of ``interface_id`` when given."""
        found = self._caps.get(handle) if isinstance(handle, str) else None
        if found is None:
            raise McpError(
                f"{handle!r} is not a capability handle of this session (handles end when "
                "the node changes epoch: call again for a new one)"
            )
        held, cap = found
        if interface_id is not None and held not in (None, interface_id):
            raise McpError(
                f"{handle} is a {self._name_of(held)}, not a {self._name_of(interface_id)}"
            )
        return cap

    def clear(self) -> None:
        self._caps.clear()


def _field_schema(field: Any) -> Any:
    kind = field.proto.slot.type.which()
    return field.schema if kind in ("struct", "list", "interface", "enum") else None


def _element_schema(type_: Any, schema: Any) -> Any:
    kind = type_.list.elementType.which()
    return schema.elementType if kind in ("struct", "list", "interface", "enum") else None


def input_schema(struct: Any) -> dict[str, Any]:
    """The JSON Schema of a param struct (every field required: capnp has no absent ones)."""
    properties = {
        f.proto.name: _schema_of(f.proto.slot.type, _field_schema(f)) for f in struct.fields_list
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _schema_of(type_: Any, schema: Any) -> dict[str, Any]:
    kind = type_.which()
    if kind == "text":
        return {"type": "string"}
    if kind == "data":
        return {"type": "string", "contentEncoding": "base64"}
    if kind in _BOUNDS:
        low, high = _BOUNDS[kind]
        return {"type": "integer", "minimum": low, "maximum": high}
    if kind in ("float32", "float64"):
        return {"type": "number"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "void":
        return {"type": "null"}
    if kind == "enum":
        return {"type": "string", "enum": list(schema.enumerants)}
    if kind == "list":
        element = type_.list.elementType
        return {"type": "array", "items": _schema_of(element, _element_schema(type_, schema))}
    if kind == "struct":
        return input_schema(schema)
    return {"type": "string", "description": HANDLE_HELP}  # interface, anyPointer


def to_params(struct: Any, arguments: dict[str, Any], handles: Handles) -> dict[str, Any]:
    """The tool's JSON arguments as pycapnp params of ``struct``; `McpError` names a bad one."""
    names = {f.proto.name for f in struct.fields_list}
    extra = sorted(set(arguments) - names)
    if extra:
        raise McpError(f"unknown argument(s) {', '.join(extra)}; this tool takes {sorted(names)}")
    params = {}
    for field in struct.fields_list:
        name = field.proto.name
        if name not in arguments:
            raise McpError(f"argument {name!r} is missing")
        params[name] = _value(
            name, field.proto.slot.type, _field_schema(field), arguments[name], handles
        )
    return params


def _value(where: str, type_: Any, schema: Any, value: Any, handles: Handles) -> Any:
    kind = type_.which()
    ok: bool
    if kind == "data":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise McpError(f"argument {where}: Data goes as base64 text") from None
    if kind in _CAPABILITY:
        return handles.get(value, schema.node.id if kind == "interface" else None)
    if kind == "list":
        if not isinstance(value, list):
            raise McpError(f"argument {where}: expected a list")
        element = type_.list.elementType
        element_schema = _element_schema(type_, schema)
        return [
            _value(f"{where}[{i}]", element, element_schema, v, handles)
            for i, v in enumerate(value)
        ]
    if kind == "struct":
        if not isinstance(value, dict):
            raise McpError(f"argument {where}: expected an object")
        return to_params(schema, value, handles)
    if kind in _BOUNDS:
        low, high = _BOUNDS[kind]
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    elif kind in ("float32", "float64"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind in ("text", "enum"):
        ok = isinstance(value, str)
    else:
        ok = value is None
    if not ok:
        raise McpError(f"argument {where}: {value!r} is not a {kind}")
    return value


def to_json(struct: Any, message: Any, handles: Handles) -> dict[str, Any]:
    """A results (or any) struct as JSON data; capabilities become handles."""
    return {
        f.proto.name: _json(
            f.proto.slot.type, _field_schema(f), getattr(message, f.proto.name), handles
        )
        for f in struct.fields_list
    }


def _json(type_: Any, schema: Any, value: Any, handles: Handles) -> Any:
    kind = type_.which()
    if kind == "data":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind in _CAPABILITY:
        return handles.add(schema.node.id if kind == "interface" else None, value)
    if kind == "list":
        element = type_.list.elementType
        element_schema = _element_schema(type_, schema)
        return [_json(element, element_schema, v, handles) for v in value]
    if kind == "struct":
        return to_json(schema, value, handles)
    if kind == "enum":
        return str(value)
    return value
