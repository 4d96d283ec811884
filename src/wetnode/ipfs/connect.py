"""Which IPFS backend a command uses: `--ipfs-api URL` / `WW_IPFS_API`, else the embedded store."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import trio

from wetnode.ipfs.backend import IpfsBackend
from wetnode.ipfs.embedded import EmbeddedBackend
from wetnode.ipfs.kubo import DEFAULT_TIMEOUT, KuboBackend

if TYPE_CHECKING:
    from libp2p.abc import IHost

ENV_API = "WW_IPFS_API"


def add_ipfs_flags(parser: argparse.ArgumentParser) -> None:
    """The flags every IPFS-using command shares."""
    parser.add_argument(
        "--ipfs-api",
        metavar="URL",
        default=None,
        help=f"a Kubo RPC API such as http://127.0.0.1:5001 (env {ENV_API}); "
        "default: the node's embedded block store",
    )
    parser.add_argument(
        "--ipfs-timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"give up on content nobody provides after this long (default {DEFAULT_TIMEOUT:g})",
    )


def backend_for(api: str | None, *, timeout: float = DEFAULT_TIMEOUT) -> IpfsBackend:
    """`api` (a flag value) wins over the environment; neither means embedded."""
    url = api or os.environ.get(ENV_API)
    if url:
        return KuboBackend(url, timeout=timeout)
    return EmbeddedBackend()


def backend_from_args(args: argparse.Namespace) -> IpfsBackend:
    return backend_for(args.ipfs_api, timeout=args.ipfs_timeout)


@asynccontextmanager
async def open_backend(
    api: str | None, *, timeout: float = DEFAULT_TIMEOUT, host: IHost | None = None
) -> AsyncIterator[IpfsBackend]:
    """The IPFS a node or a command fetches through, for the block's lifetime.

    A Kubo API if given (`api`, else ``$WW_IPFS_API``); else the embedded
    store, shared and filled over bitswap on ``host`` (a running libp2p host)
    when there is one, local blocks only when not.
    """
    if host is not None and not (api or os.environ.get(ENV_API)):
        from wetnode.ipfs.bitswap import open_bitswap  # imports libp2p: only here

        async with open_bitswap(host, timeout=timeout) as bitswap:
            yield bitswap
        return
    backend = backend_for(api, timeout=timeout)
    try:
        yield backend
    finally:
        with trio.CancelScope(shield=True):
            await backend.aclose()
