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


WRITE_CHUNK = 64 * 1024


class ChannelTransport:
    """Read and write (blocking, or not) over the host's channel import."""

    def __init__(self, channel: Any = None) -> None:
        if channel is None:
            if wit_channel is None:
                raise RuntimeError("no WIT channel: this is not a guest built by `ww build`")
            channel = wit_channel
        self._channel = channel

    def read(self, max_bytes: int) -> bytes:
        return bytes(self._channel.read(max_bytes))

    def write(self, data: bytes) -> None:
        # `write-latin1`, not `write`: componentize-py 0.25.1 copies a `bytes`
        # passed as list<u8> into a buffer it never frees (every byte written
        # would stay in this guest's memory for good), but frees its copy of
        # a string when the call returns.  Latin-1 maps each byte to one
        # character, so the host gets the same bytes back with one decode.
        # Chunks keep each host call (and its transient copies) small.
        view = memoryview(data)
        for start in range(0, len(view), WRITE_CHUNK):
            self._channel.write_latin1(str(view[start : start + WRITE_CHUNK], "latin-1"))

    def try_write(self, data: memoryview) -> int:
        # Latin-1 and chunked for the reasons `write` gives; one chunk per call, so
        # a full channel costs one chunk's conversion, not the whole message's.
        return int(self._channel.try_write_latin1(str(data[:WRITE_CHUNK], "latin-1")))

    def wait(self) -> bool:
        return bool(self._channel.wait())
