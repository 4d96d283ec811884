"""Progress notes for slow steps: a plain stderr line by default, never a WARNING.

A build or a one-time compile takes seconds to a minute, and a silent
terminal looks hung, so the user should see that it started.  As WARNING log
lines these made every healthy run look like something was wrong.  A note
is logged at INFO when INFO is shown, else written to stderr as a plain line:
once either way.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("wetnode.progress")


def note(message: str) -> None:
    """Tell the user a slow step has started."""
    if log.isEnabledFor(logging.INFO):
        log.info("%s", message)
    else:
        print(message, file=sys.stderr, flush=True)
