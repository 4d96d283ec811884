"""Shared fixtures: one real js-ipfs daemon and one real Helia peer for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import helia_peer
import jsipfs_daemon
import pytest
from helia_peer import Helia
from jsipfs_daemon import JsIpfs


@pytest.fixture(scope="session")
def jsipfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsIpfs]:
    daemon = jsipfs_daemon.start(tmp_path_factory.mktemp("jsipfs") / "repo")
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def helia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helia]:
    peer = helia_peer.start(tmp_path_factory.mktemp("helia"))
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def ww_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh node data dir for the test."""
    home = tmp_path / "ww-home"
    monkeypatch.setenv("WW_HOME", str(home))
    return home
