"""Load the node's Cap'n Proto schemas (wetnode/schemas/capnp/*.capnp) with pycapnp.

The schemas ship inside the package, so an installed wheel finds them next to
this code; the repository's top-level `capnp/` is a symlink to the same files,
so the host, the guest SDK's code generator and a Rust peer all read one copy.
They are loaded once per process; `WW_SCHEMA_DIR` points elsewhere if needed.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import capnp

SCHEMA_FILES = ("system", "stem", "ipfs")


def schema_dir() -> Path:
    """Where the `.capnp` files are: `$WW_SCHEMA_DIR`, else the package's `schemas/capnp/`."""
    env = os.environ.get("WW_SCHEMA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "schemas" / "capnp"


@functools.cache
def load(name: str) -> ModuleType:
    """The pycapnp module for `schemas/capnp/<name>.capnp` (system, stem or ipfs)."""
    if name not in SCHEMA_FILES:
        raise KeyError(f"unknown schema {name!r}; expected one of {', '.join(SCHEMA_FILES)}")
    directory = schema_dir()
    return capnp.load(str(directory / f"{name}.capnp"), imports=[str(directory)])


def system() -> ModuleType:
    return load("system")


def stem() -> ModuleType:
    return load("stem")


def ipfs() -> ModuleType:
    return load("ipfs")


def attributes_of(name: str) -> Callable[[str], Any]:
    """A module `__getattr__` (PEP 562) that serves the classes of schema `name`.

    `wetnode.schemas.system` and its siblings are this: importable modules a
    type checker reads through generated `.pyi` stubs, the same classes as
    `load(name)` at run time, loaded on first use.
    """

    def __getattr__(attribute: str) -> Any:
        return getattr(load(name), attribute)

    return __getattr__
