"""A pycapnp ``Executor`` that answers ``echo``: the capability tests and benchmarks call.

Most tests of a layer (the vat bridge, a dialled connection, a forwarded graft)
only need some capability whose answer they can predict on the far side; this
is that capability, written once.
"""

from __future__ import annotations

from typing import Any

from wetnode.schemas import system


class Echo(system.Executor.Server):
    """Answers ``echo(message)`` with ``prefix + message``; other methods are unimplemented.

    A prefix tells which server answered when a call is forwarded through
    another (a remote export, pid0's export).
    """

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    async def echo(self, message: str, **_: Any) -> str:
        return self.prefix + message
