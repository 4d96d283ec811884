"""Starting `ww run` in a subprocess (piped, or on a pseudo-terminal) with bounded waits."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from typing import Any

from wetnode.rpc import schema

WW = [sys.executable, "-m", "wetnode"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`ww run ARGS` in daemon mode (stdin a pipe, not read: stop it with a signal)."""
    return subprocess.Popen(
        [*WW, "run", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def failed_boot_lines(layers: list[str], env: dict[str, str], about: str) -> list[str]:
    """Boot a node on ``layers`` that must refuse to run: its stderr lines that mention
    ``about``, once it has exited non-zero without a traceback."""
    proc = start_node(["--port", "0", *layers], env)
    try:
        _, stderr = proc.communicate(timeout=180)
    finally:
        proc.kill()
    assert proc.returncode != 0, stderr
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if about in line]


@dataclasses.dataclass
class ServingNode:
    address: str  # where peers dial it, ending in /p2p/<its peer ID>
    proc: subprocess.Popen

    @property
    def peer_id(self) -> str:
        return self.address.rsplit("/", 1)[1]


@contextlib.contextmanager
def serving_node(args: list[str], env: dict[str, str]) -> Iterator[ServingNode]:
    """A daemon `ww run ARGS` on a free loopback port, killed at the end of the block."""
    port = free_port()
    proc = start_node(["--port", str(port), *args], env)
    try:
        address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{ready_line(proc)['peer_id']}"
        yield ServingNode(address, proc)
    finally:
        proc.kill()
        proc.wait(timeout=30)


def drain_stderr(proc: subprocess.Popen) -> None:
    """Read and drop the rest of ``proc``'s stderr in a daemon thread.

    A node shared by many tests logs a line per graft, and nobody reads them:
    once the pipe's 64 KiB are full, its next write would block the node.
    """
    stream = proc.stderr
    assert stream is not None
    threading.Thread(target=stream.readlines, daemon=True).start()


def ready_line(proc: subprocess.Popen, timeout: float = 180) -> dict[str, Any]:
    """Read stderr until the kernel's next ready line (bounded); return it parsed."""
    return json.loads(wait_for_stderr(proc, '{"event"', timeout))


def wait_for_stderr(proc: subprocess.Popen, text: str, timeout: float = 180) -> str:
    """Read stderr until a line containing `text` (bounded); return that line."""
    deadline = time.monotonic() + timeout
    seen = []
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return line
    proc.kill()
    raise AssertionError(f"no line with {text!r}; stderr so far: {''.join(seen)!r}")


class LiveSigner(schema.stem().Signer.Server):
    """A signer that answers without any key: live, but proves no identity."""

    async def sign(self, nonce: int, **_: Any) -> bytes:
        return nonce.to_bytes(8, "big")


class Terminal:
    """A pseudo-terminal session with bounded waits for expected output.

    Use it as a context manager: the process is killed at the end of the block.
    """

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

    def wait_for_mode(self, *, raw: bool, timeout: float = 60) -> None:
        """Wait until the terminal is in raw mode (the line editor reads) or back out of it."""
        deadline = time.monotonic() + timeout
        while (termios.tcgetattr(self.fd)[3] & termios.ICANON == 0) != raw:
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal never went {'raw' if raw else 'cooked'}")
            select.select([], [], [], 0.02)  # an observable state, polled within a bound

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            ready, _, _ = select.select([self.fd], [], [], 0.05)  # bounded wait for the child
            if ready:  # drain its output into `buffer`; a read without data would block
                with contextlib.suppress(OSError):
                    self.buffer += os.read(self.fd, 4096)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the node did not exit")

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
