"""The default kernel as pid0, through the real `ww run` in subprocesses."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import time
from typing import Any

import pytest
import trio
from node_process import WW, LiveSigner, free_port, ready_line, start_node

from wetnode.client import dial
from wetnode.keys import NodeKey
from wetnode.rpc import schema

pytestmark = pytest.mark.slow


def test_daemonready_line_carries_the_node_peer_id_and_eof_exits_0(
    kernel_image, node_env, tmp_path
):
    key = NodeKey.generate()
    key.save(tmp_path / "key")
    proc = start_node(
        ["--port", "0", "--identity", str(tmp_path / "key"), str(kernel_image)], node_env
    )
    try:
        ready = ready_line(proc)
        assert ready == {"event": "ready", "peer_id": str(key.peer_id)}
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


def test_sigterm_stops_the_node_cleanly_with_exit_0(kernel_image, node_env):
    proc = start_node(["--port", "0", str(kernel_image)], node_env)
    try:
        ready_line(proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


class _Terminal:
    """A pseudo-terminal session with bounded waits for expected output."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become `ww run`
            os.execvpe(argv[0], argv, env)
        self.buffer = b""

    def expect(self, token: str, timeout: float = 180) -> str:
        wanted = token.encode()
        deadline = time.monotonic() + timeout
        while wanted not in self.buffer:
            ready, _, _ = select.select([self.fd], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"timed out waiting for {token!r}; saw {self.buffer!r}")
            try:
                self.buffer += os.read(self.fd, 4096)
            except OSError:
                raise AssertionError(
                    f"terminal closed waiting for {token!r}; saw {self.buffer!r}"
                ) from None
        end = self.buffer.index(wanted) + len(wanted)
        seen, self.buffer = self.buffer[:end], self.buffer[end:]
        return seen.decode("utf-8", "replace")

    def send(self, line: str) -> str:
        """Type a line; return what the shell printed up to the next prompt."""
        os.write(self.fd, (line + "\n").encode())
        return self.expect("\u276f ")

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            select.select([self.fd], [], [], 0.05)  # bounded wait for the child to finish
            with contextlib.suppress(OSError):
                os.read(self.fd, 4096)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the node did not exit")


def test_interactive_shell_through_a_pseudo_terminal(kernel_image, tools_layer, node_env, tmp_path):
    key = NodeKey.generate()
    key.save(tmp_path / "key")
    argv = [
        *WW,
        "run",
        "--port",
        "0",
        "--identity",
        str(tmp_path / "key"),
        str(kernel_image),
        str(tools_layer),
    ]
    term = _Terminal(argv, node_env)
    try:
        term.expect("\u276f ")
        assert f'"{key.peer_id}"' in term.send("(host id)")
        assert '\n"hi"\r\n' in term.send('(executor echo "hi")')
        assert "a b c" in term.send('(echo-args "a" "b c")')
        failing = term.send('(echo-args --exit 3 "x")')
        assert "x" in failing and "echo-args: exited with code 3" in failing
        assert "nope: command not found" in term.send("(nope)")
        assert "error: unexpected )" in term.send("(host id))")
        assert "/tcp/" in term.send("(host addrs)")
        os.write(term.fd, b"(exit)\n")
        assert term.wait() == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(term.pid, signal.SIGKILL)


async def test_exported_membrane_serves_only_allowed_methods_to_a_remote_peer(
    kernel_image, tools_layer, node_env
):
    port = free_port()
    proc = start_node(["--port", str(port), str(kernel_image), str(tools_layer)], node_env)
    try:
        ready = await trio.to_thread.run_sync(ready_line, proc)
        address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready['peer_id']}"

        async def graft_and_call(membrane: Any) -> tuple[str, str]:
            caps = await membrane.graft(LiveSigner())
            echoed = (await caps.executor.echo("over the network")).response
            try:
                await caps.host.id()
                refused = "host.id was allowed"
            except Exception as exc:  # the attenuation's refusal, as a remote exception
                refused = str(exc)
            return echoed, refused

        with trio.fail_after(120):
            async with dial(address, interface=schema.stem().Membrane) as remote:
                echoed, refused = await remote.run(graft_and_call)
        assert echoed == "over the network"
        assert "notAllowed: host.id is not exported by this node" in refused
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_one_nodes_pid0_dials_anothers_export_and_meets_its_allow_list(
    kernel_image, tools_layer, node_env
):
    port = free_port()
    server = start_node(["--port", str(port), str(kernel_image), str(tools_layer)], node_env)
    term = None
    try:
        ready = ready_line(server)
        address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready['peer_id']}"
        term = _Terminal([*WW, "run", "--port", "0", str(kernel_image)], node_env)
        term.expect("\u276f ")
        echoed = term.send(f'(dial "{address}" echo "across nodes")')
        assert '\n"across nodes"\r\n' in echoed, echoed
        refused = term.send(f'(dial "{address}" id)')
        assert "notAllowed: host.id is not exported by this node" in refused
        os.write(term.fd, b"(exit)\n")
        assert term.wait() == 0
    finally:
        server.kill()
        server.wait(timeout=30)
        if term is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(term.pid, signal.SIGKILL)
