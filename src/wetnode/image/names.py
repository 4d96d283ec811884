"""Names from an image, made safe to print on the operator's terminal.

A file name is a stranger's text: `ESC [2J` in one clears the screen of
whoever runs `ww image ls`, and a right-to-left override makes one name
read as another.  Every character that is not printable is shown as its
Python escape instead.
"""

from __future__ import annotations


def printable(name: str) -> str:
    """`name` with each non-printable character escaped (`\\x1b`, `\\u202e`, `\\udcff`)."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
