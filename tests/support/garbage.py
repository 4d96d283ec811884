"""Sending a peer's stream bytes it must refuse, as the fuzz tests do."""

from __future__ import annotations

from typing import Any

import trio
from libp2p.host.exceptions import StreamFailure
from libp2p.io.exceptions import IOException

from wetnode.net.protocol import PROTOCOL


async def send_garbage(swarm: Any, peer_id: Any, frame: bytes) -> bool:
    """Write ``frame`` on a fresh `/ww/0.1.0` stream, half-close, and wait
    (bounded) for the node to end the stream; a reset counts as ending it.

    Returns False when the node refused the stream before its protocol was
    agreed (a loaded node may: the frame then never reached it), True when the
    frame went out.
    """
    try:
        stream = await swarm.open_stream(peer_id, PROTOCOL)
    except StreamFailure:
        return False
    with trio.fail_after(10):
        try:
            await stream.write(frame)
            await stream.close_write()
            while await stream.read(65536):
                pass
        except IOException:
            pass  # reset or EOF: the node dropped this stream, as it should
    return True
