"""The kernel shell's reader, run natively (it is pure Python)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "images" / "kernel"))

from kernel.lisp import ReadError, Symbol, is_complete, printable, read_all, show


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(host id)", [[Symbol("host"), Symbol("id")]]),
        ('(executor echo "hi there")', [[Symbol("executor"), Symbol("echo"), "hi there"]]),
        ('(echo-args "a" 42) ; trailing comment', [[Symbol("echo-args"), "a", 42]]),
        ('"esc\\"aped\\n"', ['esc"aped\n']),
        ("(a (b c)) (d)", [[Symbol("a"), [Symbol("b"), Symbol("c")]], [Symbol("d")]]),
        ("", []),
    ],
)
def test_reader_parses_shell_expressions(text, expected):
    assert read_all(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(host id", "missing )"),
        (")", "unexpected )"),
        ('"abc', "unterminated"),
        ('"\\q"', "escape"),
    ],
)
def test_reader_rejects_malformed_input_with_a_reason(text, message):
    with pytest.raises(ReadError, match=re.escape(message)):
        read_all(text)


def test_incomplete_input_asks_for_more_lines():
    assert not is_complete("(host")
    assert not is_complete('(executor echo "multi')
    assert is_complete("(host id)")


def test_values_print_as_the_shell_shows_them():
    assert show('a"b') == '"a\\"b"'
    assert show("line\n\ttab") == '"line\\n\\ttab"'
    assert show(["x", 1]) == '("x" 1)'
    assert show(None) == "nil"


def test_control_characters_from_elsewhere_cannot_drive_the_terminal():
    hostile = "\x1b]0;owned\x07\x1b[2J\x9b31mred\x7f"
    assert printable(hostile) == "\\x1b]0;owned\\x07\\x1b[2J\\x9b31mred\\x7f"
    assert show(hostile) == '"' + printable(hostile) + '"'
    assert printable("caf\u00e9 \u276f") == "caf\u00e9 \u276f"  # printable text is kept
