"""The cell: run untrusted WebAssembly components with zero ambient authority.

A guest sees only what its `GuestSpec` grants: a read-only root at `/`, the
argv and env given, stdio as bound, and one byte channel to the host (which
carries Cap'n Proto RPC).  No host files, env or network.  See docs/guest-abi.md.

`engine` compiles and caches components, `cell` runs one guest on its own
thread under its `limits`, `channel`/`capi` carry the RPC bytes, `children`
runs the children an Executor spawns, `python_guest` is `ww init`/`ww build`.

    with Engine(cache_dir) as engine:
        async with open_cell(engine, GuestSpec(path, root=image)) as cell:
            ...  # talk RPC on cell.channel
            exit = await cell.wait()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wetnode.cell.cell import Cell, open_cell
    from wetnode.cell.engine import Engine
    from wetnode.cell.limits import Limits
    from wetnode.cell.spec import EXIT_KILLED, EXIT_TRAP, Exit, GuestSpec, Stdio

# Each public name and the submodule that defines it, imported on first use:
# importing `wetnode.cell.limits` (the node config does, for every `ww`
# command) then costs no wasmtime and no trio.
_HOMES = {
    "Cell": "cell", "open_cell": "cell", "Engine": "engine", "Limits": "limits",
    "EXIT_KILLED": "spec", "EXIT_TRAP": "spec", "Exit": "spec", "GuestSpec": "spec",
    "Stdio": "spec",
}  # fmt: skip

__all__ = [
    "EXIT_KILLED",
    "EXIT_TRAP",
    "Cell",
    "Engine",
    "Exit",
    "GuestSpec",
    "Limits",
    "Stdio",
    "open_cell",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
