"""runBytes starts real child processes with their own link and Membrane."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import trio
from membrane_support import NODE_KEY, Node, failure, graft, pid0_membrane, running_node

from wetnode.keys import verify
from wetnode.membrane.guests import Child
from wetnode.membrane.signing import graft_message
from wetnode.rpc import schema

CAT = b"import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"
FAIL = b"import sys; sys.stderr.write('bad input: ' + sys.argv[1]); sys.exit(3)"
SHOW_ENV = b"import os; print([os.environ['A'], os.environ['B'], os.environ.get('HOME')])"
SLEEPER = b"import time; time.sleep(60)"  # sleep-ok: a child that runs until killed

# A child guest that grafts onto ITS OWN membrane over its inherited RPC socket.
GRAFTING_CHILD = b"""
import asyncio, os, socket, sys
import capnp
from wetnode.rpc import schema

async def main():
    sock = socket.socket(fileno=int(os.environ["WW_RPC_FD"]))
    client = capnp.TwoPartyClient(await capnp.AsyncIoStream.create_connection(sock=sock))
    membrane = client.bootstrap().cast_as(schema.stem().GuestMembrane)
    caps = await membrane.graft((await membrane.signer()).signer)
    print((await caps.executor.echo(sys.argv[1])).response)
    signer = (await caps.identity.signer("ww-membrane-graft")).signer
    print((await signer.sign(42)).sig.hex())
    try:
        await caps.host.id()
        print("host: granted")
    except capnp.KjException as exc:
        print("host: " + exc.description)
    sys.stdout.flush()

asyncio.run(capnp.run(main()))
"""


async def test_child_stdio_round_trip_and_exit_code(node: Node) -> None:
    payload = bytes(range(256)) * 300  # 76.8 KB: more than one pipe buffer

    async def scenario() -> tuple[bytes, int]:
        executor = (await graft(await pid0_membrane(node))).executor
        process = (await executor.runBytes(CAT, [], [])).process
        stdin, stdout = process.stdin().stream, process.stdout().stream

        async def feed() -> None:
            for start in range(0, len(payload), 16384):
                await stdin.write(payload[start : start + 16384])
            await stdin.close()

        async def drain() -> bytes:
            out = bytearray()
            while chunk := (await stdout.read(65536)).data:
                out += chunk
            return bytes(out)

        _, echoed = await asyncio.gather(feed(), drain())
        return echoed, (await process.wait()).exitCode

    with trio.fail_after(15):
        echoed, code = await node.vat.run(scenario)
    assert echoed == payload
    assert code == 0


async def test_child_exit_code_args_and_stderr_reach_the_parent(node: Node) -> None:
    async def scenario() -> tuple[int, bytes, str]:
        executor = (await graft(await pid0_membrane(node))).executor
        process = (await executor.runBytes(FAIL, ["nope"], [])).process
        code = (await process.wait()).exitCode
        err = bytes((await process.stderr().stream.read(1024)).data)
        wrong_way = await failure(process.stdout().stream.write(b"x"))
        return code, err, wrong_way

    with trio.fail_after(15):
        code, err, wrong_way = await node.vat.run(scenario)
    assert code == 3
    assert err == b"bad input: nope"
    assert wrong_way == "stdout is read-only: it cannot be written"


async def test_child_gets_the_env_it_was_given_and_nothing_of_the_hosts(node: Node) -> None:
    async def scenario() -> tuple[bytes, str]:
        executor = (await graft(await pid0_membrane(node))).executor
        process = (await executor.runBytes(SHOW_ENV, [], ["A=1=2", "B="])).process
        await process.wait()
        out = bytes((await process.stdout().stream.read(1024)).data)
        refused = await failure(executor.runBytes(SHOW_ENV, [], ["NOEQUALS"]))
        return out, refused

    with trio.fail_after(15):
        out, refused = await node.vat.run(scenario)
    assert out == b"['1=2', '', None]\n"
    assert refused == "spawn: env entry 'NOEQUALS' is not KEY=VALUE"


async def test_child_grafts_its_own_membrane_with_its_own_key_and_no_host(node: Node) -> None:
    async def scenario() -> tuple[int, list[str]]:
        executor = (await graft(await pid0_membrane(node))).executor
        process = (await executor.runBytes(GRAFTING_CHILD, ["from-child"], [])).process
        code = (await process.wait()).exitCode
        out = bytearray()
        stdout = process.stdout().stream
        while chunk := (await stdout.read(4096)).data:
            out += chunk
        return code, out.decode().splitlines()

    with trio.fail_after(20):
        code, lines = await node.vat.run(scenario)
    assert code == 0, lines
    echoed, sig_hex, host_line = lines
    assert echoed == "from-child"
    # The child's Identity signs with a key of its own, never the node key.
    assert not verify(NODE_KEY.public_key, graft_message(42), bytes.fromhex(sig_hex))
    assert "null capability" in host_line


async def test_children_stop_when_the_parent_link_breaks(node: Node) -> None:
    connection = await node.vat.run(node.vat.connect, node.pid0)

    async def start() -> None:
        membrane = connection.bootstrap().cast_as(schema.stem().GuestMembrane)
        executor = (await graft(membrane)).executor
        await executor.runBytes(SLEEPER, [], [])
        await executor.runBytes(SLEEPER, [], [])

    async def hang_up() -> None:
        node.vat.forget(connection)  # pid0 is gone, and its capabilities with it

    with trio.fail_after(15):
        await node.vat.run(start)
        children = list(node.pid0_link.children)
        assert len(children) == 2
        await node.vat.run(hang_up)
        for child in children:
            assert await child.wait() != 0
        await node.pid0_link.closed.wait()
        assert not node.pid0_link.children


# Starts a grandchild through its own Executor, says so, then exits when its
# stdin closes.
SPAWNING_CHILD = (
    GRAFTING_CHILD.split(b"async def main")[0]
    + b"""
async def main():
    sock = socket.socket(fileno=int(os.environ["WW_RPC_FD"]))
    client = capnp.TwoPartyClient(await capnp.AsyncIoStream.create_connection(sock=sock))
    membrane = client.bootstrap().cast_as(schema.stem().GuestMembrane)
    caps = await membrane.graft((await membrane.signer()).signer)
    await caps.executor.runBytes(sys.argv[1].encode(), [], [])
    print("started", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(capnp.run(main()))
"""
)


async def test_a_child_exiting_stops_the_children_it_started(node: Node) -> None:
    async def grandchild_of_pid0() -> Child:
        (child,) = node.pid0_link.children
        (grandchild,) = child.link.children
        return grandchild

    async def scenario() -> tuple[bytes, Child, int]:
        executor = (await graft(await pid0_membrane(node))).executor
        process = (await executor.runBytes(SPAWNING_CHILD, [SLEEPER.decode()], [])).process
        line = bytes((await process.stdout().stream.read(100)).data)
        grandchild = await node.vat.to_trio(grandchild_of_pid0)
        await process.stdin().stream.close()
        return line, grandchild, (await process.wait()).exitCode

    with trio.fail_after(20):
        line, grandchild, code = await node.vat.run(scenario)
        assert line == b"started\n"
        assert code == 0
        assert await grandchild.wait() != 0


async def _output(process: Any) -> tuple[int, bytes]:
    """(vat) A finished child's exit code and all of its stdout."""
    code = (await process.wait()).exitCode
    out = bytearray()
    stdout = process.stdout().stream
    while chunk := (await stdout.read(4096)).data:
        out += chunk
    return code, bytes(out)


async def test_a_loaded_binary_starts_children_again_without_the_bytes(node: Node) -> None:
    async def scenario() -> list[tuple[int, bytes]]:
        executor = (await graft(await pid0_membrane(node))).executor
        binary = (await executor.load(FAIL)).binary
        results = []
        for word in ("one", "two"):
            process = (await binary.spawn([word], [])).process
            code = (await process.wait()).exitCode
            results.append((code, bytes((await process.stderr().stream.read(1024)).data)))
        return results

    with trio.fail_after(15):
        results = await node.vat.run(scenario)
    assert results == [(3, b"bad input: one"), (3, b"bad input: two")]


async def test_load_path_starts_a_file_of_pid0s_image_and_nothing_outside_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "hello.py").write_bytes(b"import sys; print('hello', sys.argv[1])")
    (tmp_path / "secret.py").write_bytes(b"print('outside the image')")
    (root / "bin" / "escape.py").symlink_to(tmp_path / "secret.py")

    async def scenario(node: Node) -> tuple[tuple[int, bytes], list[str]]:
        executor = (await graft(await pid0_membrane(node))).executor
        binary = (await executor.loadPath("/bin/hello.py")).binary
        ran = await _output((await binary.spawn(["image"], [])).process)
        refusals = [
            await failure(executor.loadPath(path))
            for path in ("/bin/escape.py", "/../secret.py", "/bin", "/bin/missing.py", "bin/x")
        ]
        return ran, refusals

    async with running_node(root=root) as node:
        with trio.fail_after(15):
            ran, refusals = await node.vat.run(scenario, node)
    assert ran == (0, b"hello image\n")
    assert refusals[:4] == [
        "loadPath: /bin/escape.py is not a file in this guest's image",
        "loadPath: /../secret.py is not a file in this guest's image",
        "loadPath: /bin is not a file in this guest's image",
        "loadPath: /bin/missing.py is not a file in this guest's image",
    ]
    assert refusals[4] == "loadPath: 'bin/x' is not an absolute guest path like /bin/x.wasm"


async def test_a_guest_without_an_image_cannot_load_paths(node: Node) -> None:
    async def scenario() -> str:
        executor = (await graft(await pid0_membrane(node))).executor
        return await failure(executor.loadPath("/bin/anything.wasm"))

    with trio.fail_after(15):
        refused = await node.vat.run(scenario)
    assert refused == "loadPath: this guest has no image; use load with the bytes"
