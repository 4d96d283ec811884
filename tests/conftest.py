"""Fixtures every test directory shares: one real Helia peer for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import helia as helia_peer


@pytest.fixture(scope="session")
def helia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[helia_peer.Helia]:
    peer = helia_peer.start(tmp_path_factory.mktemp("helia"))
    try:
        yield peer
    finally:
        peer.stop()
