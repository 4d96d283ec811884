"""Reader for the kernel shell's S-expressions.

The shell's language is deliberately tiny: lists, double-quoted strings,
integers and bare symbols; `;` starts a comment.  Kept free of I/O so the
host-side tests can run it natively.
"""

from __future__ import annotations

from dataclasses import dataclass

Expr = "list[Expr] | str | int | Symbol"


class ReadError(ValueError):
    """The input is not a well-formed expression."""


@dataclass(frozen=True)
class Symbol:
    name: str

    def __str__(self) -> str:
        return self.name


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}


def tokenize(text: str) -> list[str | tuple[str]]:
    """Split into "(", ")", atoms, and strings (as 1-tuples, escapes applied)."""
    tokens: list[str | tuple[str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == ";":
            while i < n and text[i] != "\n":
                i += 1
        elif ch in "()":
            tokens.append(ch)
            i += 1
        elif ch == '"':
            i += 1
            out = []
            while True:
                if i >= n:
                    raise ReadError('unterminated string: add a closing "')
                ch = text[i]
                if ch == '"':
                    i += 1
                    break
                if ch == "\\":
                    if i + 1 >= n:
                        raise ReadError('unterminated string: add a closing "')
                    esc = text[i + 1]
                    if esc not in _ESCAPES:
                        raise ReadError(f"unknown escape \\{esc} in string")
                    out.append(_ESCAPES[esc])
                    i += 2
                else:
                    out.append(ch)
                    i += 1
            tokens.append(("".join(out),))
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in '();"':
                i += 1
            tokens.append(text[start:i])
    return tokens


def read_all(text: str) -> list:
    """Every expression in `text`, in order."""
    tokens = tokenize(text)
    exprs = []
    pos = 0
    while pos < len(tokens):
        expr, pos = _read(tokens, pos)
        exprs.append(expr)
    return exprs


def is_complete(text: str) -> bool:
    """True when every "(" is closed (the REPL keeps reading lines until then)."""
    try:
        tokens = tokenize(text)
    except ReadError as exc:
        return "unterminated" not in str(exc)
    depth = 0
    for tok in tokens:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
    return depth <= 0


def _read(tokens: list, pos: int) -> tuple:
    tok = tokens[pos]
    if tok == "(":
        items = []
        pos += 1
        while True:
            if pos >= len(tokens):
                raise ReadError("missing ) at end of input")
            if tokens[pos] == ")":
                return items, pos + 1
            item, pos = _read(tokens, pos)
            items.append(item)
    if tok == ")":
        raise ReadError("unexpected )")
    if isinstance(tok, tuple):
        return tok[0], pos + 1
    try:
        return int(tok), pos + 1
    except ValueError:
        return Symbol(tok), pos + 1


# Control characters as escapes: text from peers, files and errors must not
# drive the operator's terminal (colours, titles, cursor moves, clearing).
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROL.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})


def printable(text: str) -> str:
    """``text`` on one line with every control character escaped."""
    return text.translate(_CONTROL)


def show(value: object) -> str:
    """Print a value the way the shell echoes results."""
    if isinstance(value, str):
        return '"' + printable(value.replace("\\", "\\\\").replace('"', '\\"')) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nil"
    if isinstance(value, list | tuple):
        return "(" + " ".join(show(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + " ".join(f":{k} {show(v)}" for k, v in value.items()) + "}"
    return str(value)
