"""Progress for long IPFS steps (adding, fetching): a live line on a TTY, a log otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger(__name__)

MIB = 1024 * 1024


class ByteProgress:
    """Counts bytes; redraws at most every 0.2 s on a TTY, logs at INFO once per 5 s otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty()
        self._started = self._last = time.monotonic()

    def __call__(self, nbytes: int) -> None:
        self.done += nbytes
        now = time.monotonic()
        if now - self._last >= (0.2 if self._tty else 5.0):
            self._last = now
            self._show(f"{self.label}: {self.done / MIB:.1f} MiB")

    def finish(self) -> None:
        elapsed = time.monotonic() - self._started
        rate = self.done / MIB / elapsed if elapsed > 0 else 0.0
        if self._tty:
            self._stream.write("\r\033[K")
            self._stream.flush()
        log.info("%s: %.1f MiB in %.2f s (%.1f MiB/s)", self.label, self.done / MIB, elapsed, rate)

    def _show(self, line: str) -> None:
        if self._tty:
            self._stream.write(f"\r\033[K{line}")
            self._stream.flush()
        else:
            log.info("%s", line)
