"""Which IPFS backend a command uses: `--ipfs-api URL` / `WW_IPFS_API`, else the embedded store."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from wetnode.config import DEFAULT_IPFS_TIMEOUT, option
from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.kubo import KuboBackend

if TYPE_CHECKING:
    from libp2p.abc import IHost

    from wetnode.ipfs.bitswap import Routing


def backend_for(api: str | None, *, timeout: float = DEFAULT_IPFS_TIMEOUT) -> IpfsBackend:
    """`api` (a flag value) wins over the environment; neither means embedded."""
    url = api or option("ipfs-api").from_environ(os.environ)
    if url:
        return KuboBackend(url, timeout=timeout)
    return EmbeddedBackend()


@asynccontextmanager
async def open_backend(
    api: str | None,
    *,
    timeout: float = DEFAULT_IPFS_TIMEOUT,
    host: IHost | None = None,
    routing: Routing | None = None,
) -> AsyncIterator[IpfsBackend]:
    """The IPFS a node or a command fetches through, for the block's lifetime.

    A Kubo API if given (`api`, else ``$WW_IPFS_API``); else the embedded
    store, shared and filled over bitswap on ``host`` (a running libp2p host)
    when there is one (finding providers through ``routing``, the node's DHT),
    local blocks only when not.
    """
    if host is not None and not (api or option("ipfs-api").from_environ(os.environ)):
        from wetnode.ipfs.bitswap import open_bitswap  # imports libp2p: only here

        async with open_bitswap(host, timeout=timeout, routing=routing) as bitswap:
            yield bitswap
        return
    backend = backend_for(api, timeout=timeout)
    try:
        yield backend
    finally:
        with trio.CancelScope(shield=True):
            await backend.aclose()
