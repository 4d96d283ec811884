"""The channel: host socket <-> guest read/write imports, with a real echo guest."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import trio
import trio.socket
import wasmtime

from wetnode.cell import EXIT_TRAP, Engine, Exit, GuestSpec, Limits, open_cell


async def test_guest_echoes_channel_bytes_and_eof_ends_it(engine: Engine, probe) -> None:
    payload = os.urandom(300_000)
    async with open_cell(engine, probe("echo")) as cell:
        channel = trio.SocketStream(trio.socket.from_stdlib_socket(cell.channel))
        received = bytearray()

        async def send() -> None:
            await channel.send_all(payload)
            await channel.send_eof()  # EOF for the guest

        async with trio.open_nursery() as nursery:
            nursery.start_soon(send)
            with trio.fail_after(10):
                while chunk := await channel.receive_some(65536):
                    received += chunk
        exit = await cell.wait()
    assert bytes(received) == payload
    assert exit == Exit(7)  # the probe's own exit code after EOF


FLOOD_BLOCK = bytes(range(256)) * 16  # the probe's `flood` block: every byte value


@pytest.mark.parametrize("mode", ["flood", "flood-try"])  # write; try_write and wait
async def test_sdk_channel_writes_do_not_stay_in_the_guest_memory(
    engine: Engine, probe, mode: str
) -> None:
    """64 MiB written through the SDK's ChannelTransport fits in a 24 MiB guest memory,
    with its blocking writes and with the non-blocking ones its vat makes.

    The probe needs ~11 MiB of linear memory to start.  If each byte written
    stayed allocated (componentize-py's lowering of a `bytes` as `list<u8>`),
    the guest would need 11 + 64 MiB and trap after writing ~13 MiB; freed
    writes need only a few chunks on top of the start.  The bytes must arrive
    unchanged: `write-latin1` carries every byte value as one character.
    """
    blocks = 16384
    expected = hashlib.sha256(FLOOD_BLOCK * blocks).hexdigest()
    limits = Limits(memory_bytes=24 << 20)
    async with open_cell(engine, probe(mode, str(blocks), limits=limits)) as cell:
        channel = trio.SocketStream(trio.socket.from_stdlib_socket(cell.channel))
        received, digest = 0, hashlib.sha256()
        with trio.fail_after(60):
            while chunk := await channel.receive_some(65536):
                received += len(chunk)
                digest.update(chunk)
            exit = await cell.wait()
    assert exit == Exit(0)
    assert received == len(FLOOD_BLOCK) * blocks
    assert digest.hexdigest() == expected


async def test_latin1_write_of_a_wider_character_traps_the_guest(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("wide")) as cell:
        exit = await cell.wait()
    assert exit.code == EXIT_TRAP
    assert exit.reason is not None
    assert "U+0100 at 3" in exit.reason and "U+0000..U+00FF" in exit.reason


def writer_of(size: int) -> bytes:
    """A minimal component whose `run` makes one channel write of `size` zero bytes."""
    return bytes(wasmtime.wat2wasm(f"""(component
      (import "wetware:guest/channel@0.1.0" (instance $ch
        (export "write" (func (param "data" (list u8))))))
      (core module $M (memory (export "memory") {size // 65536 + 1}))
      (core instance $m (instantiate $M))
      (alias core export $m "memory" (core memory $mem))
      (core func $w (canon lower (func $ch "write") (memory $mem)))
      (core module $R
        (import "m" "memory" (memory 1))
        (import "c" "write" (func $write (param i32 i32)))
        (func (export "run") (result i32)
          (call $write (i32.const 0) (i32.const {size})) (i32.const 0)))
      (core instance $r (instantiate $R
        (with "m" (instance $m)) (with "c" (instance (export "write" (func $w))))))
      (func (export "run") (result s32) (canon lift (core func $r "run"))))"""))


async def test_oversized_channel_write_traps_the_guest_only(tmp_path: Path) -> None:
    """wasmtime caps data per host call (~2 MB here); the guest traps, the host goes on."""
    with Engine(tmp_path) as engine:
        async with open_cell(engine, GuestSpec(writer_of(3_000_000))) as cell:
            exit = await cell.wait()
        assert exit.code == EXIT_TRAP
        assert exit.reason is not None and "too much data" in exit.reason
        async with open_cell(engine, GuestSpec(writer_of(65536))) as cell:
            channel = trio.SocketStream(trio.socket.from_stdlib_socket(cell.channel))
            received = 0
            while chunk := await channel.receive_some():
                received += len(chunk)
            assert await cell.wait() == Exit(0)
        assert received == 65536


async def test_run_return_value_is_the_exit_code(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("return", "9")) as cell:
        assert await cell.wait() == Exit(9)


async def test_libc_exit_reports_failure_as_1(engine: Engine, probe) -> None:
    # WASI 0.2's exit carries only ok/err, so exit(5) arrives as 1 (docs/guest-abi.md).
    async with open_cell(engine, probe("exit", "5")) as cell:
        assert await cell.wait() == Exit(1)
