"""What every pycapnp schema class offers, for the generated stubs beside this file.

Stub only: pycapnp's own classes (`_DynamicStructReader`, `_RemotePromise`,
`_CallContext`, ...) are what exist at run time; nothing imports this module.
"""

import collections.abc as _abc
import typing as _t

_R = _t.TypeVar("_R")
_C = _t.TypeVar("_C", bound="Capability")

class Struct:
    """A struct reader or builder: its fields are attributes."""

    schema: _t.ClassVar[_t.Any]
    @classmethod
    def new_message(cls, **fields: _t.Any) -> _t.Self: ...
    def which(self) -> str: ...
    def to_dict(self) -> dict[str, _t.Any]: ...
    def to_bytes(self) -> bytes: ...

class Promise(_t.Generic[_R]):
    """A call's answer: await it for the results, or pipeline through its fields."""

    def __await__(self) -> _abc.Generator[_t.Any, None, _R]: ...
    def __getattr__(self, name: str) -> _t.Any: ...

class Capability:
    """A client of some interface; `cast_as` views it as another one."""

    schema: _t.ClassVar[_t.Any]
    def cast_as(self, interface: type[_C]) -> _C: ...

class Server:
    """Base of a capability implemented in Python."""

class CallContext(_t.Generic[_R]):
    """The `_context` pycapnp passes a server method: its params and results to fill."""

    params: _t.Any
    results: _R
