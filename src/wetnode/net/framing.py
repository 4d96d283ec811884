"""Where whole Cap'n Proto messages end in a byte stream (sans-IO).

pycapnp sends each message in two writes: the segment table (8 bytes for a
one-segment message), then the segments.  Sent as they come, the far end
(a guest, or the trio pump in front of a libp2p stream) wakes on the table
alone and must read again; behind the pump, a wake between the two would
also put two frames on the stream where one would do: two Noise
encryptions, two yamux headers, two TCP sends and two wake-ups on the far
side, for one small call.  ``Coalescer`` holds bytes back until they end on
a message boundary, so each send carries whole messages; every link of the
vat (``wetnode.rpc.link``) writes through one.

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
        """Add ``data``; return the bytes ready to send (possibly empty).

        ``data`` itself comes back, uncopied, when it is all ready: whole
        messages starting on a boundary (most writes), or the rest of a large
        message's bytes.
        """
        if not self._pending and not self._passthrough:
            if self._skip >= len(data):
                self._skip -= len(data)
                return data
            if not self._skip and self._whole(data):
                return data
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

    def _whole(self, data: bytes) -> bool:
        """True when ``data`` is whole messages, ending on a boundary."""
        position = 0
        try:
            while (table := frame_header(data, position)) is not None:
                position += table[0] + 8 * table[1]
                if position >= len(data):
                    return position == len(data)
        except DecodeError:
            return False  # the general path finds it again and passes bytes through
        return False

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
