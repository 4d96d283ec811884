"""What to run (`GuestSpec`, `Stdio`) and how it ended (`Exit`)."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wetnode.cell.limits import Limits

StdioMode = Literal["null", "inherit", "pipe"]
"""null: empty stdin, output discarded; inherit: the host process's own stream;
pipe: an OS pipe whose host end the cell exposes as a trio stream."""

EXIT_TRAP = 134
"""Exit code of a guest that trapped (a crash inside the guest, like SIGABRT's 128+6)."""
EXIT_KILLED = 137
"""Exit code of a guest the host ended: stop, CPU or wall-clock limit (like SIGKILL's 128+9)."""


@dataclass(frozen=True)
class Stdio:
    stdin: StdioMode = "null"
    stdout: StdioMode = "null"
    stderr: StdioMode = "null"

    @classmethod
    def inherit(cls) -> Stdio:
        """The host terminal, as pid0 gets it."""
        return cls("inherit", "inherit", "inherit")

    @classmethod
    def pipes(cls) -> Stdio:
        """Host-side byte streams for all three, as a child Process gets them."""
        return cls("pipe", "pipe", "pipe")


@dataclass(frozen=True)
class GuestSpec:
    """Everything a guest receives.  Nothing else reaches it: no host env, files or network.

    component: the component's bytes, or the path of a .wasm file.
    name: argv[0] and the name used in logs and errors.
    args: argv[1:].
    env: the guest's whole environment (the caller adds PATH=/bin, WW_TTY=1...).
    root: host directory the guest sees read-only at `/`; None: no filesystem at all.
    channel: the guest's end of an already connected socket to use as its RPC
        channel (the cell takes ownership); None: the cell makes a socket pair
        and exposes the host end as `Cell.channel`.
    """

    component: bytes | Path
    name: str = "guest"
    args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    root: Path | None = None
    stdio: Stdio = field(default_factory=Stdio)
    limits: Limits = field(default_factory=Limits)
    channel: socket.socket | None = None


@dataclass(frozen=True)
class Exit:
    """How a guest ended.

    code: what `run` returned or passed to exit(); EXIT_TRAP or EXIT_KILLED otherwise.
    reason: None when the guest ended by itself; else why it did not (trap, limit, stop).
    """

    code: int
    reason: str | None = None
