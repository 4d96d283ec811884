"""Fixtures every test directory shares: one real Helia peer, one agent runtime cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import helia as helia_peer


@pytest.fixture(scope="session")
def helia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[helia_peer.Helia]:
    peer = helia_peer.start(tmp_path_factory.mktemp("helia"))
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="session", autouse=True)
def runtime_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One shared agent runtime cache for the session (`ww build` builds it once), not ~/.cache.

    Set in the environment, so `ww` subprocesses use it too.
    """
    directory = tmp_path_factory.mktemp("runtime-cache")
    before = os.environ.get("WW_RUNTIME_CACHE")
    os.environ["WW_RUNTIME_CACHE"] = str(directory)
    try:
        yield directory
    finally:
        if before is None:
            del os.environ["WW_RUNTIME_CACHE"]
        else:
            os.environ["WW_RUNTIME_CACHE"] = before
