"""A real guest tries to escape its sandbox: every attempt fails."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import trio

from wetnode.cell import Engine, Stdio, open_cell

ESCAPES = [
    "read-dotdot",
    "read-relative-dotdot",
    "list-proc",
    "read-proc-self-environ",
    "read-host-absolute",
    "read-symlink-out",
    "write-root",
    "overwrite-image-file",
    "mkdir-root",
    "tcp-connect",
    "resolve-name",
]


@pytest.fixture
def image_root(tmp_path: Path) -> Path:
    """An image root next to a host secret, with a symlink pointing out at it."""
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.txt").write_text("image file")
    (root / "link-out").symlink_to(secret)
    return root


async def test_escape_attempts_from_a_real_guest_all_fail(
    engine: Engine, probe, read_all, image_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WW_TEST_HOST_SECRET", "do-not-leak")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        host_secret = str(image_root.parent / "secret.txt")
        port = str(listener.getsockname()[1])
        spec = probe("escape", host_secret, port, root=image_root, env={"PATH": "/bin"})
        async with open_cell(engine, spec) as cell:
            output = (await read_all(cell.stdout)).decode()
            exit = await cell.wait()
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected

    assert exit.code == 0, output
    results = dict(line.split(": ", 1) for line in output.splitlines())
    assert results["read-image-file"] == "allowed"  # the sandbox is not just broken
    for name in ESCAPES:
        assert results[name].startswith("denied"), f"{name}: {results[name]}"
    # Denied by the host's WASI policy, not missing from the guest's libc:
    assert results["tcp-connect"].startswith("denied PermissionError")
    assert results["resolve-name"].startswith("denied gaierror")
    assert results["env"] == "PATH=/bin"
    assert results["argv"] == f"probe,escape,{host_secret},{port}"
    assert (image_root / "inside.txt").read_text() == "image file"
    assert not (image_root / "new.txt").exists()


async def test_a_guest_without_a_root_sees_no_files(engine: Engine, probe, read_all) -> None:
    async with open_cell(engine, probe("escape", "/etc/passwd", "9")) as cell:
        output = (await read_all(cell.stdout)).decode()
        await cell.wait()
    results = dict(line.split(": ", 1) for line in output.splitlines())
    assert results["read-image-file"].startswith("denied")
    assert results["read-host-absolute"].startswith("denied")
    assert results["env"] == ""


async def test_piped_stdio_carries_bytes_both_ways(engine: Engine, probe, read_all) -> None:
    async with open_cell(engine, probe("stdio", stdio=Stdio.pipes())) as cell:
        assert cell.stdin is not None
        await cell.stdin.send_all(b"hello guest\n")
        await cell.stdin.aclose()
        async with trio.open_nursery() as nursery:
            results: dict[str, bytes] = {}

            async def collect(name: str, stream: trio.abc.ReceiveStream | None) -> None:
                results[name] = await read_all(stream)

            nursery.start_soon(collect, "out", cell.stdout)
            nursery.start_soon(collect, "err", cell.stderr)
        exit = await cell.wait()
    assert exit.code == 0
    assert results == {"out": b"HELLO GUEST\n", "err": b"to stderr\n"}
