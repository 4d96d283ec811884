"""ctypes glue for two wasmtime C APIs that wasmtime-py does not wrap, or wraps too slowly.

1. Epoch deadline callbacks: stop one running guest from outside its thread.
   The engine's epoch advances every tick for all stores.  Each store registers
   a callback that wasmtime calls (on the guest's own thread) when the epoch
   passes its deadline; the callback either extends the deadline by one tick or
   returns an error, which traps the guest.  So a stop request or a CPU limit
   takes effect within one tick, even in a tight loop, and other guests run on.

2. Host functions taking or returning `list<u8>`.  wasmtime-py converts such a
   list one element at a time (a 64-byte message cost ~200 us each way, 64 KiB
   about a second), so the channel's functions convert whole byte strings with
   strided slices over the C value array instead.  A `string` parameter
   carrying bytes as Latin-1 characters is converted whole by the codecs.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from typing import TypeAlias

import wasmtime
from wasmtime import WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import LinkerInstance

log = logging.getLogger(__name__)

Val = ffi.wasmtime_component_val_t
ValArray: TypeAlias = "ctypes._Pointer[ffi.wasmtime_component_val_t]"

_DeadlineCallback = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ctypes.c_uint8),
)
_NO_FINALIZER = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))
_CONTINUE = 0  # wasmtime_update_deadline_kind_t: WASMTIME_UPDATE_DEADLINE_CONTINUE

_VAL_SIZE = ctypes.sizeof(Val)
_VAL_OFFSET = Val.of.offset
_U8 = ffi.WASMTIME_COMPONENT_U8.value
_U8_KINDS: dict[int, bytes] = {}


def _error(message: str) -> int:
    """A new wasmtime_error_t for `message`, as the integer a C callback returns."""
    return ctypes.cast(ffi.wasmtime_error_new(message.encode()), ctypes.c_void_p).value or 0


def install_epoch_check(store: wasmtime.Store, check: Callable[[], str | None]) -> object:
    """Call `check()` on every epoch tick while `store` runs wasm; a returned string traps it.

    Returns the C callback object: the caller must keep it alive as long as the store.
    """

    def on_deadline(_ctx: object, _data: object, delta: ctypes.Array, kind: ctypes.Array) -> int:
        try:
            reason = check()
        except Exception:  # a ctypes callback must not raise; stop the guest instead
            log.exception("epoch check failed")
            reason = "internal error in the host's epoch check"
        if reason is not None:
            return _error(reason)
        delta[0] = 1
        kind[0] = _CONTINUE
        return 0

    callback = _DeadlineCallback(on_deadline)
    ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), callback, None, _NO_FINALIZER)
    store.set_epoch_deadline(1)
    return callback


HostFunc = Callable[[ValArray, int, ValArray], None]
"""(params, param count, results): read params, write results; raise WasmtimeError to trap."""


def add_raw_func(instance: LinkerInstance, name: str, func: HostFunc) -> object:
    """Define `name` in `instance` as `func`, bypassing wasmtime-py's value conversion.

    Returns the C callback object: keep it alive as long as any store using it.
    """

    def call(_data: object, _ctx: object, _ty: object, params: ValArray, count: int,
             results: ValArray, _result_count: int) -> int:
        try:
            func(params, count, results)
        except WasmtimeError as exc:
            return _error(str(exc))
        except Exception:  # a ctypes callback must not raise: trap the guest instead
            log.exception("host function %s failed", name)
            return _error(f"internal error in host function {name}")
        return 0

    callback = ffi.wasmtime_component_func_callback_t(call)
    encoded = name.encode()
    error = ffi.wasmtime_component_linker_instance_add_func(
        instance.ptr(), ctypes.create_string_buffer(encoded), len(encoded), callback, None,
        _NO_FINALIZER,
    )
    if error:
        raise WasmtimeError._from_ptr(error)
    return callback


def take_bytes(val: Val) -> bytes:
    """The bytes of a `list<u8>` parameter (which this frees, as wasmtime-py does)."""
    values = val.of.list
    raw = ctypes.string_at(values.data, values.size * _VAL_SIZE)
    ffi.wasmtime_component_vallist_delete(ctypes.byref(values))
    return raw[_VAL_OFFSET::_VAL_SIZE]


def take_latin1(val: Val) -> bytes:
    """The bytes a `string` parameter carries one per character (which this frees).

    Raises WasmtimeError, to trap the guest, if a character is above U+00FF.
    """
    name = val.of.string
    try:
        text = ctypes.string_at(name.data, name.size).decode("utf-8")
    finally:
        ffi.wasm_byte_vec_delete(ctypes.byref(name))
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise WasmtimeError(
            f"channel write-latin1 of U+{ord(exc.object[exc.start]):04X} at {exc.start}:"
            " each character must be one byte, U+0000..U+00FF"
        ) from None


def put_bytes(val: Val, data: bytes) -> None:
    """Store `data` as a `list<u8>` result in `val`."""
    values = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(values, len(data))
    if data:
        layout = bytearray(len(data) * _VAL_SIZE)
        layout[0::_VAL_SIZE] = bytes([_U8]) * len(data)
        layout[_VAL_OFFSET::_VAL_SIZE] = data
        ctypes.memmove(values.data, bytes(layout), len(layout))
    val.kind = ffi.WASMTIME_COMPONENT_LIST
    val.of.list = values


def put_u32(val: Val, value: int) -> None:
    """Store `value` as a `u32` result in `val`."""
    val.kind = ffi.WASMTIME_COMPONENT_U32
    val.of.u32 = value


def put_bool(val: Val, value: bool) -> None:
    """Store `value` as a `bool` result in `val`."""
    val.kind = ffi.WASMTIME_COMPONENT_BOOL
    val.of.boolean = value
