"""Shared fixtures: one real js-ipfs daemon for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jsipfs_daemon
import pytest
from jsipfs_daemon import JsIpfs


@pytest.fixture(scope="session")
def jsipfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsIpfs]:
    daemon = jsipfs_daemon.start(tmp_path_factory.mktemp("jsipfs") / "repo")
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def ww_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh node data dir for the test."""
    home = tmp_path / "ww-home"
    monkeypatch.setenv("WW_HOME", str(home))
    return home
