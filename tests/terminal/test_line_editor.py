"""The host-side line editor, driven directly with the bytes a terminal sends."""

from __future__ import annotations

from wetnode.terminal.editor import LineEditor

UP, DOWN, LEFT, RIGHT = b"\x1b[A", b"\x1b[B", b"\x1b[D", b"\x1b[C"


def lines(editor: LineEditor, *chunks: bytes) -> list[bytes]:
    return [line for chunk in chunks for line in editor.feed(chunk).lines]


def test_typed_keys_are_echoed_and_enter_hands_over_the_line():
    editor = LineEditor()
    out = editor.feed(b"(host id)\r")
    assert out.lines == [b"(host id)\n"]
    assert out.screen.startswith(b"(") and out.screen.endswith(b"\r\n")
    assert b"host id" in out.screen


def test_arrows_move_the_cursor_for_an_insert_in_the_middle():
    editor = LineEditor()
    assert lines(editor, b"(hst id)", LEFT * 6, b"o", RIGHT * 6, b"\r") == [b"(host id)\n"]


def test_backspace_delete_and_home_end_edit_the_line():
    editor = LineEditor()
    assert lines(editor, b"abcd\x7f\x7f", b"\x01", b"\x1b[3~", b"\x05", b"X\r") == [b"bX\n"]


def test_up_and_down_walk_the_history_and_keep_the_draft():
    editor = LineEditor()
    lines(editor, b"first\r", b"second\r", b"second\r")  # a repeat is stored once
    assert lines(editor, b"draft", UP, b"\r") == [b"second\n"]
    assert lines(editor, UP, UP, b"\r") == [b"first\n"]
    assert lines(editor, b"new", UP, UP, DOWN, DOWN, b"\r") == [b"new\n"]
    assert lines(editor, UP * 9, DOWN * 9, b"\r") == [b"\n"], "past either end stops"


def test_ctrl_c_drops_the_line_and_ctrl_d_on_an_empty_line_ends_input():
    editor = LineEditor()
    out = editor.feed(b"half typed\x03")
    assert (out.lines, out.interrupted) == ([], True)
    assert out.screen.endswith(b"^C\r\n")
    assert lines(editor, b"ok\r") == [b"ok\n"], "the dropped text is gone"
    assert not editor.feed(b"x\x01\x04").eof, "Ctrl-D on a non-empty line deletes a character"
    assert editor.line == ""
    assert editor.feed(b"\x04").eof


def test_utf8_split_across_reads_and_unknown_escapes_are_handled():
    editor = LineEditor()
    arrow = "\u276f".encode()
    assert lines(editor, arrow[:1], arrow[1:], b"\x1b[5~", b"\x1b[Z", b"\r") == [arrow + b"\n"]
