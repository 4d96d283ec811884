"""Bad components get a clear one-line error (or an Exit with a reason); the host stays up."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from wetnode.cell import EXIT_TRAP, Engine, Exit, GuestSpec, open_cell
from wetnode.errors import CellError


def component(body: str) -> bytes:
    return bytes(wasmtime.wat2wasm(f"(component {body})"))


RUN_LIFTED = """
  (core module $m (func (export "run") (result i32) {code}))
  (core instance $i (instantiate $m))
  (func (export "run") (result {result}) (canon lift (core func $i "run")))
"""


async def start(engine: Engine, wasm: bytes | Path) -> Exit:
    async with open_cell(engine, GuestSpec(wasm, name="bad.wasm")) as cell:
        return await cell.wait()


@pytest.mark.parametrize(
    ("wasm", "message"),
    [
        (b"#!/bin/sh\necho hi\n", "bad.wasm is not a WebAssembly file"),
        (bytes(wasmtime.wat2wasm("(module)")), "bad.wasm is a core WebAssembly module"),
        (b"\0asm\x0d\x00\x01\x00garbage", "bad.wasm is not a valid WebAssembly component"),
        (component(""), "bad.wasm exports no `run` function"),
        (
            component(RUN_LIFTED.format(code="i32.const 0", result="u32")),
            "bad.wasm exports `run` with the wrong type",
        ),
        (
            component('(import "wasi:nowhere/thing@1.0.0" (instance (export "f" (func))))'
                      + RUN_LIFTED.format(code="i32.const 0", result="s32")),
            "bad.wasm does not fit world wetware:guest/guest",
        ),
    ],
    ids=["not-wasm", "core-module", "garbage-component", "no-run", "wrong-run-type",
         "unknown-import"],
)
async def test_bad_component_is_a_one_line_user_error(
    tmp_path: Path, wasm: bytes, message: str
) -> None:
    with Engine(tmp_path) as engine:
        with pytest.raises(CellError, match="^" + message) as caught:
            await start(engine, wasm)
        assert "\n" not in str(caught.value)
        # the engine still runs a good guest afterwards
        good = component(RUN_LIFTED.format(code="i32.const 3", result="s32"))
        assert await start(engine, good) == Exit(3)


async def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine, pytest.raises(CellError, match="cannot read guest"):
        await start(engine, tmp_path / "nope.wasm")


async def test_trap_is_an_exit_with_a_reason(tmp_path: Path) -> None:
    with Engine(tmp_path) as engine:
        exit = await start(engine, component(RUN_LIFTED.format(code="unreachable", result="s32")))
    assert exit.code == EXIT_TRAP
    assert exit.reason is not None
    assert "unreachable" in exit.reason


async def test_python_exception_in_a_guest_is_a_trap(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("raise")) as cell:
        exit = await cell.wait()
    assert exit.code == EXIT_TRAP
    assert exit.reason is not None and exit.reason.startswith("trap: ")
