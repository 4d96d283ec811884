"""Executor: start child guests, and a latency probe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wetnode.membrane.epoch import EpochGuard
from wetnode.membrane.errors import CapabilityError
from wetnode.membrane.guarded import Guarded
from wetnode.membrane.servers.process import ProcessServer
from wetnode.membrane.session import Session
from wetnode.rpc import schema

_system = schema.system()


class ExecutorServer(Guarded, _system.Executor.Server):
    def __init__(self, guard: EpochGuard, session: Session) -> None:
        super().__init__(guard)
        self._session = session

    async def echo(self, message: str, **_: Any) -> str:
        return message

    async def runBytes(
        self, wasm: bytes, args: Sequence[str], env: Sequence[str], **_: Any
    ) -> ProcessServer:
        environment = parse_env(list(env))
        vat = self._session.vat
        child = await vat.to_trio(self._session.spawn, bytes(wasm), list(args), environment)
        return ProcessServer(self.guard, vat, child)


def parse_env(entries: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` entries to a dict; a malformed entry is refused."""
    env: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key:
            raise CapabilityError(f"runBytes: env entry {entry!r} is not KEY=VALUE")
        env[key] = value
    return env
