"""A sans-IO line editor: keys in, screen bytes and finished lines out.

The host edits the line, not pid0: pid0 only ever reads whole lines from its
stdin stream, so arrows, history and Ctrl-C work the same for every kernel.
The editor does not know the prompt (pid0 prints it); it redraws only from
the first changed character, with relative cursor moves.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E, CTRL_F = "\x01", "\x02", "\x03", "\x04", "\x05", "\x06"
CTRL_K, CTRL_U, BACKSPACE, DELETE = "\x0b", "\x15", "\x08", "\x7f"

# Escape sequences (CSI and SS3 forms) and what they do.
_KEYS = {
    "[A": "up", "OA": "up", "[B": "down", "OB": "down",
    "[C": "right", "OC": "right", "[D": "left", "OD": "left",
    "[H": "home", "OH": "home", "[1~": "home", "[7~": "home",
    "[F": "end", "OF": "end", "[4~": "end", "[8~": "end",
    "[3~": "delete",
}  # fmt: skip


@dataclass
class Output:
    """What one `feed` produced: bytes for the screen, lines for pid0, and why it stopped."""

    screen: bytes = b""
    lines: list[bytes] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C: the line was dropped
    eof: bool = False  # Ctrl-D on an empty line


class LineEditor:
    """Edits one line at a time, with history; feed it whatever the terminal sends."""

    def __init__(self, history_size: int = 500) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._escape: str | None = None  # an escape sequence read so far
        self._line: list[str] = []
        self._cursor = 0
        self._history: list[str] = []
        self._history_size = history_size
        self._browsing = 0  # how many entries back from the newest; 0 is the line being typed
        self._draft = ""  # the line being typed, kept while browsing history

    @property
    def line(self) -> str:
        return "".join(self._line)

    def feed(self, data: bytes | bytearray) -> Output:
        out = Output()
        screen: list[str] = []
        for ch in self._decoder.decode(data):
            if out.eof:
                break
            self._key(ch, screen, out)
        out.screen = "".join(screen).encode()
        return out

    def _key(self, ch: str, screen: list[str], out: Output) -> None:
        if self._escape is not None:
            self._escape += ch
            if self._escape in _KEYS:
                key, self._escape = _KEYS[self._escape], None
                self._named(key, screen)
            elif len(self._escape) > 1 and (ch.isalpha() or ch == "~"):  # unknown: ignore
                self._escape = None
            return
        if ch == "\x1b":
            self._escape = ""
        elif ch in "\r\n":
            line = self.line
            screen.append("\r\n")
            out.lines.append((line + "\n").encode())
            if line.strip() and (not self._history or self._history[-1] != line):
                self._history = [*self._history, line][-self._history_size :]
            self._reset()
        elif ch == CTRL_C:
            screen.append("^C\r\n")
            out.interrupted = True
            self._reset()
        elif ch == CTRL_D:
            if self._line:
                self._named("delete", screen)
            else:
                out.eof = True
        elif ch in (BACKSPACE, DELETE):
            if self._cursor:
                self._move(self._cursor - 1, screen)
                self._named("delete", screen)
        elif ch == CTRL_U:
            self._replace("", screen)
        elif ch == CTRL_K:
            self._set(self._line[: self._cursor], self._cursor, screen)
        else:
            named = {CTRL_A: "home", CTRL_E: "end", CTRL_B: "left", CTRL_F: "right"}.get(ch)
            if named:
                self._named(named, screen)
            elif ch.isprintable():
                chars = [*self._line[: self._cursor], ch, *self._line[self._cursor :]]
                self._set(chars, self._cursor + 1, screen)

    def _named(self, key: str, screen: list[str]) -> None:
        if key == "left":
            self._move(max(0, self._cursor - 1), screen)
        elif key == "right":
            self._move(min(len(self._line), self._cursor + 1), screen)
        elif key == "home":
            self._move(0, screen)
        elif key == "end":
            self._move(len(self._line), screen)
        elif key == "delete":
            if self._cursor < len(self._line):
                line = self._line[: self._cursor] + self._line[self._cursor + 1 :]
                self._set(line, self._cursor, screen)
        elif key in ("up", "down"):
            self._browse(1 if key == "up" else -1, screen)

    def _browse(self, step: int, screen: list[str]) -> None:
        target = self._browsing + step
        if not 0 <= target <= len(self._history):
            return
        if self._browsing == 0:
            self._draft = self.line
        self._browsing = target
        self._replace(self._draft if target == 0 else self._history[-target], screen)

    def _replace(self, text: str, screen: list[str]) -> None:
        self._set(list(text), len(text), screen)

    def _set(self, line: list[str], cursor: int, screen: list[str]) -> None:
        """Redraw from the first changed character: the new text there, clear the rest."""
        same = 0
        while same < min(len(line), len(self._line)) and line[same] == self._line[same]:
            same += 1
        self._move(same, screen)
        changed = "".join(line[same:])
        screen.append(changed + ("\x1b[K" if len(line) < len(self._line) else ""))
        self._line, self._cursor = line, len(line)
        self._move(cursor, screen)

    def _move(self, cursor: int, screen: list[str]) -> None:
        if cursor < self._cursor:
            screen.append(f"\x1b[{self._cursor - cursor}D")
        elif cursor > self._cursor:
            screen.append(f"\x1b[{cursor - self._cursor}C")
        self._cursor = cursor

    def _reset(self) -> None:
        self._line, self._cursor, self._browsing, self._draft = [], 0, 0, ""
