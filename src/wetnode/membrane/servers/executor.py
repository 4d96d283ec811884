"""Executor: start child guests, and a latency probe; Binary: a component to start again.

`runBytes` sends the component with every start.  `load` sends it once and
`loadPath` not at all (the host reads the caller's own image), and the
returned `Binary` starts children of it: for a 20 MB Python guest that is
the difference between about a second and a few milliseconds per start
(docs/performance.md).  `spawnWith` starts one whose graft holds exactly
the capabilities its parent passed (`wetnode.membrane.passed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError, NotAvailable
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.passed import read_exports
from wetnode.membrane.servers.process import ProcessServer
from wetnode.membrane.session import BARE, Grants, Passed, Session
from wetnode.schemas import system as _system


class ExecutorServer(Guarded, _system.Executor.Server):
    def __init__(self, guard: EpochGuard, session: Session) -> None:
        super().__init__(guard)
        self._session = session

    async def echo(self, message: str, **_: Any) -> str:
        return message

    async def runBytes(
        self, wasm: bytes, args: Sequence[str], env: Sequence[str], **_: Any
    ) -> ProcessServer:
        return await spawn(self.guard, self._session, bytes(wasm), args, env)

    async def load(self, wasm: bytes, **_: Any) -> BinaryServer:
        return BinaryServer(self.guard, self._session, bytes(wasm))

    async def loadPath(self, path: str, **_: Any) -> BinaryServer:
        root = self._session.root
        if root is None:
            raise NotAvailable("loadPath: this guest has no image; use load with the bytes")
        return BinaryServer(self.guard, self._session, image_file(root, path))


class BinaryServer(Guarded, _system.Binary.Server):
    """A component (bytes, or a file of the owner's image) to start children of."""

    def __init__(self, guard: EpochGuard, session: Session, component: bytes | Path) -> None:
        super().__init__(guard)
        self._session = session
        self._component = component

    async def spawn(self, args: Sequence[str], env: Sequence[str], **_: Any) -> ProcessServer:
        return await spawn(self.guard, self._session, self._component, args, env)

    async def spawnBare(self, args: Sequence[str], env: Sequence[str], **_: Any) -> ProcessServer:
        return await spawn(self.guard, self._session, self._component, args, env, BARE)

    async def spawnWith(
        self, args: Sequence[str], env: Sequence[str], caps: Any, **_: Any
    ) -> ProcessServer:
        passed = read_exports(caps)
        return await spawn(self.guard, self._session, self._component, args, env, passed)


async def spawn(
    guard: EpochGuard,
    session: Session,
    component: bytes | Path,
    args: Sequence[str],
    env: Sequence[str],
    grants: Grants | Passed | None = None,
) -> ProcessServer:
    """Start a child owned by `session`'s guest and serve its Process (``grants``: see
    `SpawnChild`)."""
    environment = parse_env(list(env))
    child = await session.vat.to_trio(session.spawn, component, list(args), environment, grants)
    return ProcessServer(guard, session.vat, child)


def image_file(root: Path, path: str) -> Path:
    """The host file behind absolute guest path `path` in the image at `root`.

    Only regular files inside `root` qualify: `..` or a symlink cannot reach
    a host file the guest could not read itself.
    """
    guest_path = PurePosixPath(path)
    if not guest_path.is_absolute():
        raise CapabilityError(f"loadPath: {path!r} is not an absolute guest path like /bin/x.wasm")
    file = (root / guest_path.relative_to("/")).resolve()
    if not file.is_relative_to(root.resolve()) or not file.is_file():
        raise CapabilityError(f"loadPath: {path} is not a file in this guest's image")
    return file


def parse_env(entries: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` entries to a dict; a malformed entry is refused."""
    env: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            raise CapabilityError(f"spawn: env entry {entry!r} is not KEY=VALUE")
        env[key] = value
    return env
