"""Limits and stop end one guest only, promptly, with a reason; others keep running."""

from __future__ import annotations

import os

import trio
import trio.socket
import trio.testing

from tests.support.procfs import thread_names
from wetnode.cell import EXIT_KILLED, Cell, Engine, Exit, Limits, Stdio, open_cell


def stream(cell: Cell) -> trio.SocketStream:
    return trio.SocketStream(trio.socket.from_stdlib_socket(cell.channel))


async def wait_for_channel(cell: Cell, expected: bytes) -> None:
    channel = stream(cell)
    received = b""
    with trio.fail_after(10):
        while len(received) < len(expected):
            chunk = await channel.receive_some(len(expected) - len(received))
            assert chunk, "guest closed its channel early"
            received += chunk
    assert received == expected


async def echo_once(cell: Cell, payload: bytes) -> None:
    await stream(cell).send_all(payload)
    await wait_for_channel(cell, payload)


async def test_cpu_limit_stops_a_spinning_guest(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("spin", limits=Limits(cpu_seconds=0.3))) as cell:
        await wait_for_channel(cell, b"spinning")
        with trio.fail_after(10):
            exit = await cell.wait()
    assert exit.code == EXIT_KILLED
    assert exit.reason == "CPU limit of 0.3 s exceeded"


async def test_explicit_stop_ends_a_spinning_guest_within_100_ms(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("spin")) as cell:
        await wait_for_channel(cell, b"spinning")
        started = trio.current_time()
        cell.stop("enough")
        exit = await cell.wait()
        elapsed = trio.current_time() - started
    assert exit.code == EXIT_KILLED
    assert exit.reason == "enough"
    assert elapsed < 0.1, f"stop took {elapsed * 1000:.0f} ms"


async def test_stop_wakes_a_guest_blocked_reading_its_channel(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("echo")) as cell:
        await echo_once(cell, b"ping")  # the guest is now blocked in read
        cell.stop()
        with trio.fail_after(5):
            exit = await cell.wait()
    assert exit.code == EXIT_KILLED
    assert exit.reason == "stopped by the host"


async def test_a_running_guest_has_a_thread_the_os_names_after_it(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("echo")) as cell:
        await echo_once(cell, b"ping")  # running, blocked in read on its own thread
        assert "guest probe" in thread_names(os.getpid())  # as top -H and py-spy show it
        cell.stop()


async def test_stop_wakes_a_guest_blocked_reading_piped_stdin(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("stdio", stdio=Stdio.pipes())) as cell:
        await trio.testing.wait_all_tasks_blocked()
        cell.stop()
        with trio.fail_after(5):
            exit = await cell.wait()
    assert exit == Exit(EXIT_KILLED, "stopped by the host")


async def test_leaving_the_cell_stops_a_running_guest(engine: Engine, probe) -> None:
    with trio.fail_after(10):
        async with open_cell(engine, probe("spin")) as cell:
            await wait_for_channel(cell, b"spinning")
    assert cell.exit is not None
    assert cell.exit.code == EXIT_KILLED


async def test_wall_clock_limit_stops_a_blocked_guest(engine: Engine, probe) -> None:
    async with open_cell(engine, probe("echo", limits=Limits(wall_seconds=0.2))) as cell:
        with trio.fail_after(10):
            exit = await cell.wait()
    assert exit.code == EXIT_KILLED
    assert exit.reason == "wall clock limit of 0.2 s exceeded"


async def test_memory_bomb_and_spinner_are_contained_while_another_guest_serves(
    engine: Engine, probe, read_all
) -> None:
    limit_mib = 64
    async with (
        open_cell(engine, probe("echo")) as server,
        open_cell(engine, probe("membomb", limits=Limits(memory_bytes=limit_mib << 20))) as bomb,
        open_cell(engine, probe("spin", limits=Limits(cpu_seconds=0.5))) as spinner,
    ):
        await wait_for_channel(spinner, b"spinning")
        served = 0
        while spinner.exit is None or bomb.exit is None:
            await echo_once(server, b"still here %d" % served)
            served += 1
        bomb_output = (await read_all(bomb.stdout)).decode()
        await echo_once(server, b"after")
        server.stop()

    assert served > 0
    assert spinner.exit.code == EXIT_KILLED
    assert bomb.exit == bomb.exit.__class__(3)  # the guest saw MemoryError and chose exit 3
    hoarded = int(bomb_output.split()[3])
    assert 0 < hoarded <= limit_mib
