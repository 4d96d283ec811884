"""The line editor on the node's real terminal: raw mode while pid0 waits for a line.

pid0 reads ``GuestMembrane.stdin`` a line at a time; on a TTY that stream is
an `EditedTerminal`.  While a read is waiting, the terminal is in raw mode
(no echo, no line discipline, Ctrl-C a key) and keys go through
`LineEditor`; between reads, while a command runs, the terminal is back in
its own mode, so a PATH tool's output and a signal behave as usual.  The
saved mode is put back on every way out of a read, cancellation included.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import os
import termios
from collections.abc import Iterator

import trio

from wetnode.membrane.terminal import TerminalInput
from wetnode.terminal.editor import LineEditor

CTRL_D = b"\x04"


@contextlib.contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """Keys one at a time, unechoed, Ctrl-C and Ctrl-D as bytes; output still maps \\n to \\r\\n."""
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[0] &= ~(termios.ICRNL | termios.IXON)  # iflag: Enter as \r, Ctrl-S/Ctrl-Q as keys
    mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)  # lflag
    mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, mode)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


class EditedTerminal(trio.abc.ReceiveStream):
    """Whole edited lines from a terminal, for pid0's stdin stream.

    ``keys`` is the terminal's raw byte stream (a `TerminalInput`, whose reads
    survive a cancelled receive); ``screen`` is the terminal's output fd.
    Ctrl-C drops the line and hands pid0 an empty one, so it prompts again;
    Ctrl-D on an empty line is end of input.
    """

    def __init__(self, keys: trio.abc.ReceiveStream, fd: int, screen: int) -> None:
        self._keys = keys
        self._fd = fd
        self._screen = screen
        self._editor = LineEditor()
        self._ready = b""
        self._eof = False
        self._typed_ahead = 0  # bytes queued before this read's raw mode began
        self.reads = 0  # how often pid0 asked for input: it runs a shell, and is at its prompt

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        self.reads += 1
        if not self._ready and not self._eof:
            with raw_mode(self._fd):
                self._typed_ahead = queued(self._fd)
                await self._edit()
        size = max_bytes or len(self._ready)
        data, self._ready = self._ready[:size], self._ready[size:]
        return data

    async def _edit(self) -> None:
        while not self._ready and not self._eof:
            data = self._as_typed(await self._keys.receive_some())
            out = self._editor.feed(data) if data else None
            if out is None or out.eof:
                self._eof = True
                os.write(self._screen, b"\r\n")
                return
            os.write(self._screen, out.screen)
            self._ready += b"".join(out.lines) + (b"\n" if out.interrupted else b"")

    def _as_typed(self, data: bytes | bytearray) -> bytes:
        """Keys typed before raw mode as they were typed.

        A Ctrl-D typed while the terminal was still in its own mode (a command
        running, or the instant before a prompt) was taken by its line
        discipline, which hands it on as a NUL once the mode is raw.
        """
        ahead = data[: self._typed_ahead]
        self._typed_ahead -= len(ahead)
        return bytes(ahead.replace(b"\0", CTRL_D) + data[len(ahead) :])

    async def aclose(self) -> None:
        self._eof = True
        await self._keys.aclose()


def queued(fd: int) -> int:
    """How many bytes the terminal holds that nobody has read yet."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def node_stdin() -> trio.abc.ReceiveStream:
    """The node's stdin for pid0's whole life: edited lines on a terminal, else raw bytes."""
    keys = TerminalInput(0)
    if os.isatty(0):
        return EditedTerminal(keys, 0, 1)
    return keys
