"""Bind a guest's stdin/stdout/stderr to the host terminal, nothing, or OS pipes.

Pipes are the fastest host-side byte stream measured here (and WASI's custom
output callbacks crashed on guest exit).  WASI opens its end of each pipe by
path (`/proc/self/fd/N`), which gives it its own file description; the host
then closes its copy of the guest end, so the host sees EOF exactly when the
guest's store is dropped, and a non-blocking host end never affects the guest.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from wasmtime import WasiConfig

from wetnode.cell.spec import Stdio


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


def bind_stdio(wasi: WasiConfig, stdio: Stdio) -> HostStdio:
    """Configure `wasi`'s stdio as `stdio` asks; return the host ends of any pipes."""
    host = HostStdio()
    try:
        if stdio.stdin == "inherit":
            wasi.inherit_stdin()
        elif stdio.stdin == "pipe":
            guest_end, host.stdin = os.pipe()
            _hand_over(guest_end, lambda path: setattr(wasi, "stdin_file", path))
        if stdio.stdout == "inherit":
            wasi.inherit_stdout()
        elif stdio.stdout == "pipe":
            host.stdout, guest_end = os.pipe()
            _hand_over(guest_end, lambda path: setattr(wasi, "stdout_file", path))
        if stdio.stderr == "inherit":
            wasi.inherit_stderr()
        elif stdio.stderr == "pipe":
            host.stderr, guest_end = os.pipe()
            _hand_over(guest_end, lambda path: setattr(wasi, "stderr_file", path))
    except BaseException:
        host.close()
        raise
    return host


def _hand_over(guest_end: int, open_in_wasi: Callable[[str], None]) -> None:
    """Let WASI open `guest_end` by path, then drop the host's copy of it."""
    try:
        open_in_wasi(f"/proc/self/fd/{guest_end}")
    finally:
        os.close(guest_end)
