"""What a node following a stem runs: the epoch pipeline from the node config,
and the pinner that keeps the head it runs in its IPFS backend."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from wetnode.membrane.epoch import Epoch
from wetnode.stem.epochs import EpochPipeline

if TYPE_CHECKING:
    from wetnode.config import NodeConfig
    from wetnode.ipfs.backend import IpfsBackend

log = logging.getLogger(__name__)


def follow(
    config: NodeConfig, on_epoch: Callable[[Epoch], Awaitable[None]], ipfs: IpfsBackend
) -> EpochPipeline:
    """The pipeline that follows ``config.stem``, pinning each head in ``ipfs``."""
    assert config.stem is not None
    return EpochPipeline(
        config.stem,
        on_epoch,
        rpc_url=config.rpc_url,
        ws_url=config.ws_url,
        depth=config.confirmation_depth,
        pinner=IpfsHeadPinner(ipfs),
    )


class IpfsHeadPinner:
    """Keeps the head a node runs pinned in its IPFS backend, and only that one."""

    def __init__(self, ipfs: IpfsBackend) -> None:
        self._ipfs = ipfs

    async def pin(self, cid: bytes) -> None:
        await self._apply(self._ipfs.pin_add, cid)

    async def unpin(self, cid: bytes) -> None:
        await self._apply(self._ipfs.pin_rm, cid)

    async def _apply(self, action: Callable[[str], Awaitable[object]], cid: bytes) -> None:
        from wetnode.ipfs.cid import Cid
        from wetnode.ipfs.errors import IpfsError

        try:
            await action(f"/ipfs/{Cid.from_bytes(cid)}")
        except (IpfsError, ValueError) as exc:  # the epoch still moves on
            log.warning("cannot %s head %s: %s", action.__name__, cid.hex(), exc)
