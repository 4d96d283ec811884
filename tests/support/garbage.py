"""Sending a peer's stream bytes it must refuse, as the fuzz tests do."""

from __future__ import annotations

from typing import Any

import trio
from libp2p.io.exceptions import IOException

from wetnode.net.protocol import PROTOCOL


async def send_garbage(swarm: Any, peer_id: Any, frame: bytes) -> None:
    """Write ``frame`` on a fresh `/ww/0.1.0` stream, half-close, and wait
    (bounded) for the node to end the stream; a reset counts as ending it."""
    stream = await swarm.open_stream(peer_id, PROTOCOL)
    with trio.fail_after(10):
        try:
            await stream.write(frame)
            await stream.close_write()
            while await stream.read(65536):
                pass
        except IOException:
            pass  # reset or EOF: the node dropped this stream, as it should
