"""The guest's WIT channel (wetware:guest/channel) as a transport.

componentize-py generates the binding module `wit_world.imports.channel`
from src/wetnode/cell/wit/guest.wit when it builds a guest.  It exists only
inside such a build; componentize-py embeds just the modules imported while it
builds, so this module imports the binding eagerly and tolerates its absence
natively.
"""

from __future__ import annotations

from typing import Any

try:
    from wit_world.imports import channel as wit_channel  # type: ignore[import-not-found]
except ImportError:  # not inside a componentize-py build
    wit_channel = None


class ChannelTransport:
    """Blocking read/write over the host's channel import."""

    def __init__(self, channel: Any = None) -> None:
        if channel is None:
            if wit_channel is None:
                raise RuntimeError("no WIT channel: this is not a guest built by `ww build`")
            channel = wit_channel
        self._channel = channel

    def read(self, max_bytes: int) -> bytes:
        return bytes(self._channel.read(max_bytes))

    def write(self, data: bytes) -> None:
        self._channel.write(bytes(data))
