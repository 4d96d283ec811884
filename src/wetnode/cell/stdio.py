"""Bind a guest's stdin/stdout/stderr to the host terminal, nothing, or OS pipes.

Pipes are the fastest host-side byte stream measured here (and WASI's custom
output callbacks crashed on guest exit).  WASI opens its end of each pipe by
path (`/proc/self/fd/N`), which gives it its own file description; the host
then closes its copy of the guest end, so the host sees EOF exactly when the
guest's store is dropped, and a non-blocking host end never affects the guest.

A pipe that cannot be made or opened (the node out of file descriptors, say)
is a `CellError` naming the guest, the stream and the OS's reason: wasmtime's
own error says only "failed to set stdout file".
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass

from wasmtime import WasiConfig, WasmtimeError

from wetnode.cell.spec import Stdio
from wetnode.errors import CellError


@dataclass
class HostStdio:
    """Host ends of the piped streams (raw fds, owned by whoever holds this); None if not piped."""

    stdin: int | None = None
    stdout: int | None = None
    stderr: int | None = None

    def close(self) -> None:
        for fd in (self.stdin, self.stdout, self.stderr):
            if fd is not None:
                os.close(fd)
        self.stdin = self.stdout = self.stderr = None


def bind_stdio(wasi: WasiConfig, stdio: Stdio, name: str) -> HostStdio:
    """Configure `wasi`'s stdio as `stdio` asks; return the host ends of any pipes."""
    host = HostStdio()
    try:
        if stdio.stdin == "inherit":
            wasi.inherit_stdin()
        elif stdio.stdin == "pipe":
            guest_end, host.stdin = _pipe(name, "stdin")
            _hand_over(guest_end, lambda path: setattr(wasi, "stdin_file", path), name, "stdin")
        if stdio.stdout == "inherit":
            wasi.inherit_stdout()
        elif stdio.stdout == "pipe":
            host.stdout, guest_end = _pipe(name, "stdout")
            _hand_over(guest_end, lambda path: setattr(wasi, "stdout_file", path), name, "stdout")
        if stdio.stderr == "inherit":
            wasi.inherit_stderr()
        elif stdio.stderr == "pipe":
            host.stderr, guest_end = _pipe(name, "stderr")
            _hand_over(guest_end, lambda path: setattr(wasi, "stderr_file", path), name, "stderr")
    except BaseException:
        host.close()
        raise
    return host


def _pipe(name: str, stream: str) -> tuple[int, int]:
    try:
        return os.pipe()
    except OSError as exc:
        raise _unpiped(name, stream, exc) from None


def _hand_over(guest_end: int, open_in_wasi: Callable[[str], None], name: str, stream: str) -> None:
    """Let WASI open `guest_end` by path, then drop the host's copy of it."""
    path = f"/proc/self/fd/{guest_end}"
    try:
        open_in_wasi(path)
    except WasmtimeError as exc:
        raise _unpiped(name, stream, _open_error(path) or exc) from None
    finally:
        os.close(guest_end)


def _open_error(path: str) -> OSError | None:
    """Why opening ``path`` fails, asked of the OS (wasmtime's error does not say)."""
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        return exc
    return None


def _unpiped(name: str, stream: str, cause: BaseException) -> CellError:
    reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
    hint = ""
    if isinstance(cause, OSError) and cause.errno in (errno.EMFILE, errno.ENFILE):
        hint = "; the node is out of file descriptors: raise `ulimit -n` or run fewer guests"
    return CellError(f"cannot give guest {name} a {stream} pipe: {reason}{hint}")
