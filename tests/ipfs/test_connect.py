"""Backend selection: `--ipfs-api` over `WW_IPFS_API` over the embedded store."""

from __future__ import annotations

from pathlib import Path

import pytest

from wetnode.ipfs.connect import backend_for
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.errors import BackendDown
from wetnode.ipfs.kubo import KuboBackend


async def test_the_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WW_IPFS_API", "http://127.0.0.1:1111")
    backend = backend_for("/ip4/127.0.0.1/tcp/2222")
    assert isinstance(backend, KuboBackend) and backend.url == "http://127.0.0.1:2222"
    await backend.aclose()
    backend = backend_for(None)
    assert isinstance(backend, KuboBackend) and backend.url == "http://127.0.0.1:1111"
    await backend.aclose()


def test_without_either_the_embedded_store_under_ww_home_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WW_IPFS_API", raising=False)
    monkeypatch.setenv("WW_HOME", str(tmp_path))
    backend = backend_for(None)
    assert isinstance(backend, EmbeddedBackend)
    assert backend.store.root == tmp_path / "ipfs" / "blocks"


def test_a_multiaddr_that_is_not_tcp_is_refused() -> None:
    with pytest.raises(BackendDown, match="not /ip4/<host>/tcp/<port>"):
        KuboBackend("/ip4/127.0.0.1/udp/5001")
