"""Where whole Cap'n Proto messages end in a byte stream (sans-IO).

pycapnp sends each message in two writes: the segment table (8 bytes for a
one-segment message), then the segments.  When the pump wakes between them
(two threads, two cores), the libp2p stream gets two frames where one would
do: two Noise encryptions, two yamux headers, two TCP sends and two wake-ups
on the far side, for one small call.  ``Coalescer`` holds bytes back until
they end on a message boundary, so each write to the stream carries whole
messages.

The segment table is read by ``wetnode.capnproto.wire.frame_header``, the
one parser of Cap'n Proto stream framing.  Only the vat's own output passes
through here, so the framing is trusted; still, a table that is not plausible
(more segments than KJ accepts) switches to passing bytes straight through
rather than waiting on a boundary that may never come.  A message over 64 KiB
goes out as it arrives, as before, and the boundary after it is still known.
"""

from __future__ import annotations

from wetnode.capnproto.wire import DecodeError, frame_header

STREAM_ABOVE = 64 * 1024  # a message larger than this is passed on as it arrives


class Coalescer:
    """Feed the vat's bytes in; get back what to send: whole messages only.

    A message longer than ``stream_above`` is not held back: its bytes go out
    as they arrive and the boundary after it is still tracked.
    """

    def __init__(self, stream_above: int = STREAM_ABOVE) -> None:
        self._pending = bytearray()  # bytes not yet released, starting on a boundary
        self._skip = 0  # bytes of a large message still to pass straight through
        self._stream_above = stream_above
        self._passthrough = False  # the framing made no sense: stop looking

    def feed(self, data: bytes) -> bytes:
        """Add ``data``; return the bytes ready to send (possibly empty)."""
        out = bytearray()
        if self._skip:
            head = data[: self._skip]
            out += head
            self._skip -= len(head)
            data = data[len(head) :]
        self._pending += data
        position = 0
        while not self._passthrough:
            end = self._message_end(position)
            if end is None:
                break
            if end <= len(self._pending):
                position = end
                continue
            if end - position > self._stream_above:
                self._skip = end - len(self._pending)
                position = len(self._pending)
            break
        if self._passthrough:
            position = len(self._pending)
        out += self._pending[:position]
        del self._pending[:position]
        return bytes(out)

    def flush(self) -> bytes:
        """Whatever is still held (at end of stream)."""
        out = bytes(self._pending)
        self._pending.clear()
        return out

    def _message_end(self, start: int) -> int | None:
        """The offset just past the message at ``start``; None until its table is here."""
        try:
            table = frame_header(self._pending, start)
        except DecodeError:
            self._passthrough = True
            return None
        if table is None:
            return None
        header, words = table
        return start + header + 8 * words
