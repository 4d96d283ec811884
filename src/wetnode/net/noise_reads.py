"""Noise transport packets read from a buffer: one TCP read for every packet it holds.

py-libp2p 0.8.1 reads each Noise packet with two reads of the TCP stream,
two bytes of length and then the body, each one a trio lock, a
``receive_some`` system call and a pass of the scheduler.  On a busy
connection the kernel has usually received several packets by the time we
read; here one read takes whatever has arrived (up to `READ_SIZE`), and the
packets are cut from it.  What is held is bounded: at most one read plus
one partial packet (a Noise packet is at most 65,537 bytes with its length).

Writes are py-libp2p's, unchanged.  Only a connection that has read nothing
since its handshake can be switched (see `buffer_reads`): the handshake reads
exact lengths, so no byte of the transport is left in another buffer.
"""

from __future__ import annotations

from typing import Any

from libp2p.io.exceptions import IncompleteReadError
from libp2p.security.noise.io import NoisePacketReadWriter, NoiseTransportReadWriter
from libp2p.security.secure_session import SecureSession

READ_SIZE = 64 * 1024  # bytes asked of the TCP stream per read
LENGTH_BYTES = 2  # a Noise packet's big-endian length prefix


class BufferedPacketReader(NoisePacketReadWriter):
    """py-libp2p's Noise packet reader and writer, reading the TCP stream in bulk."""

    def __init__(self, read_write_closer: Any) -> None:
        super().__init__(read_write_closer)
        self._buffer = bytearray()

    async def read_msg(self) -> bytes:
        """The next packet's body; `IncompleteReadError` if the stream ends first."""
        buffer = self._buffer
        while True:
            if len(buffer) >= LENGTH_BYTES:
                end = LENGTH_BYTES + _body_length(buffer)
                if len(buffer) >= end:
                    packet = bytes(buffer[LENGTH_BYTES:end])
                    del buffer[:end]
                    return packet
            data = await self.read_write_closer.read(READ_SIZE)
            if not data:
                raise _ended(buffer)
            buffer += data


def _body_length(held: bytearray) -> int:
    """The body length a packet's prefix, at the start of ``held``, announces."""
    return held[0] << 8 | held[1]


def _ended(held: bytearray) -> IncompleteReadError:
    """The stream ended with ``held`` read: py-libp2p's error for its read that was cut
    short, the length's or the body's (so ending right after a length is, as there, a
    clean close)."""
    if len(held) < LENGTH_BYTES:
        expected, received = LENGTH_BYTES, len(held)
    else:
        expected = _body_length(held)
        received = len(held) - LENGTH_BYTES
    return IncompleteReadError(
        f"the connection ended {received} of {expected} bytes into a Noise read",
        expected_bytes=expected,
        received_bytes=received,
    )


def buffer_reads(secured: Any) -> None:
    """Read ``secured``'s Noise packets through a `BufferedPacketReader` from now on.

    Call it before anything is read after the handshake.  A connection that
    is not py-libp2p's Noise session over a plain packet reader is left as
    it is.
    """
    if not isinstance(secured, SecureSession):
        return
    transport = secured.conn
    if type(transport) is NoiseTransportReadWriter and type(transport.read_writer) is (
        NoisePacketReadWriter
    ):
        transport.read_writer = BufferedPacketReader(transport.read_writer.read_write_closer)
