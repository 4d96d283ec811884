"""Load the node's Cap'n Proto schemas (capnp/*.capnp) with pycapnp.

The schemas live at the top of the repository so that the host, the guest
SDK's code generator and a Rust peer all read the same files.  They are
loaded once per process; `WW_SCHEMA_DIR` points elsewhere if needed.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import ModuleType

import capnp

SCHEMA_FILES = ("system", "stem", "ipfs")


def schema_dir() -> Path:
    env = os.environ.get("WW_SCHEMA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "capnp"


@functools.cache
def load(name: str) -> ModuleType:
    """The pycapnp module for `capnp/<name>.capnp` (system, stem or ipfs)."""
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
