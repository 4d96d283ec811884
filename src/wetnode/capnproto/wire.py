"""Cap'n Proto wire format in pure Python: framing, pointers, structs, lists.

Guests run CPython inside WebAssembly, where pycapnp (a C++ extension) cannot
load, so this module reads and writes the standard encoding itself.  Reading is
zero-copy over the received bytes and bounds-checked: every pointer followed is
charged against a traversal budget and nesting is limited (the C++ library's
defaults, 8 Mi words and depth 64), so hostile input raises `DecodeError`
instead of hanging or eating memory.  Building writes one growing segment,
which any Cap'n Proto reader accepts.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any

TRAVERSAL_LIMIT_WORDS = 8 * 1024 * 1024
NESTING_LIMIT = 64
MAX_SEGMENTS = 512
# Elements of one list whose elements take no bytes (Void, or zero-size structs).  The
# traversal limit counts each as a word, but here each becomes a Python object: a
# 100-byte message could otherwise make millions of them.
MAX_ZERO_WIDTH_ELEMENTS = 1 << 16

# Element size codes of list pointers.
VOID, BIT, BYTE, TWO_BYTES, FOUR_BYTES, EIGHT_BYTES, POINTER, COMPOSITE = range(8)
ELEMENT_BITS = (0, 1, 8, 16, 32, 64, 64, 0)

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_U32x2 = struct.Struct("<II")
FRAME_HEADER = 8  # bytes of the segment table MessageBuilder.to_bytes writes
_u64_at = _U64.unpack_from


class DecodeError(ValueError):
    """The bytes are not a valid Cap'n Proto message (or exceed a limit)."""


def _signed30(word: int) -> int:
    return (((word & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000) >> 2


def near_struct(segment: bytes | memoryview, index: int) -> tuple[int, int, int] | None:
    """Where the pointer at word ``index`` of ``segment`` points, when it is a plain near
    struct pointer to a struct inside the segment: (the struct's first word, its data
    words, its pointer count).  None for anything else (null, far, not a struct, out of
    bounds): a reader taking the quick way leaves those to the full decoder."""
    word = _u64_at(segment, index * 8)[0]
    if word & 3 or not word:
        return None
    start = index + 1 + _signed30(word)
    data_words = (word >> 32) & 0xFFFF
    ptr_count = word >> 48
    if start < 0 or (start + data_words + ptr_count) * 8 > len(segment):
        return None
    return start, data_words, ptr_count


# --------------------------------------------------------------------- framing


def frame_header(buf: bytes | bytearray | memoryview, start: int = 0) -> tuple[int, int] | None:
    """The segment table of the framed message at `buf[start:]`: (its bytes, segment words).

    Stream framing (capnproto.org/encoding.html): a little-endian u32 holding
    the segment count minus one, one u32 size in words per segment, padding to
    a whole word, then the segments.  None until the whole table is there (the
    segments need not be).  Raises DecodeError for more segments than KJ
    accepts (`MAX_SEGMENTS`).
    """
    avail = len(buf) - start
    if avail < 4:
        return None
    count = _U32.unpack_from(buf, start)[0] + 1
    if count > MAX_SEGMENTS:
        raise DecodeError(f"message has {count} segments (limit {MAX_SEGMENTS})")
    header = (4 + 4 * count + 7) & ~7
    if avail < header:
        return None
    if count == 1:  # what both RPC implementations send for all but large messages
        return 8, _U32.unpack_from(buf, start + 4)[0]
    return header, sum(struct.unpack_from(f"<{count}I", buf, start + 4))


def frame_length(buf: bytes | bytearray | memoryview, start: int = 0) -> int | None:
    """Byte length of the framed message at `buf[start:]`, or None if incomplete.

    Raises DecodeError for a segment table that is too large to be honest, so a
    peer cannot make us buffer gigabytes before noticing.
    """
    table = frame_header(buf, start)
    if table is None:
        return None
    header, words = table
    if words > TRAVERSAL_LIMIT_WORDS:
        raise DecodeError(f"message of {words} words exceeds the limit {TRAVERSAL_LIMIT_WORDS}")
    length = header + words * 8
    return length if len(buf) - start >= length else None


def split_segments(frame: bytes | memoryview) -> list[memoryview]:
    """The segments of one complete framed message (see `frame_length`)."""
    view = memoryview(frame)
    count = _U32.unpack_from(view, 0)[0] + 1
    if count == 1:  # the common case: one segment right after an 8-byte header
        end = 8 + _U32.unpack_from(view, 4)[0] * 8
        if end > len(view):
            raise DecodeError("truncated segment")
        return [view[8:end]]
    if count > MAX_SEGMENTS:
        raise DecodeError(f"message has {count} segments (limit {MAX_SEGMENTS})")
    header = (4 + 4 * count + 7) & ~7
    if len(view) < header:
        raise DecodeError("truncated segment table")
    sizes = struct.unpack_from(f"<{count}I", view, 4)
    segments = []
    pos = header
    for size in sizes:
        end = pos + size * 8
        if end > len(view):
            raise DecodeError("truncated segment")
        segments.append(view[pos:end])
        pos = end
    return segments


class FrameDecoder:
    """Sans-IO splitter of a byte stream into framed messages."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes | bytearray | memoryview) -> list[MessageReader]:
        """The messages completed by ``data``.  When nothing was left over from the last
        feed, whole messages are read in place from ``data`` (bytes cannot change under
        a reader) and only a trailing part is kept: a read usually ends on a message
        boundary, so usually nothing is copied.  A message arriving in parts is
        collected, and copied once when it is whole."""
        if self._buf:
            self._buf += data
            if frame_length(self._buf) is None:  # still no whole message: no copy yet
                return []
            view = memoryview(bytes(self._buf))
            self._buf.clear()
        else:
            view = memoryview(data if isinstance(data, bytes) else bytes(data))
        out = []
        pos = 0
        while pos < len(view):
            length = frame_length(view, pos)
            if length is None:
                break
            out.append(MessageReader(split_segments(view[pos : pos + length])))
            pos += length
        if pos < len(view):
            self._buf += view[pos:]
        return out

    @property
    def pending(self) -> int:
        return len(self._buf)


# --------------------------------------------------------------------- reading


class MessageReader:
    """A received message: its segments, read budget and capability table."""

    __slots__ = ("budget", "caps", "segments")

    def __init__(
        self,
        segments: Sequence[bytes | memoryview],
        traversal_limit: int = TRAVERSAL_LIMIT_WORDS,
    ) -> None:
        if not segments:
            raise DecodeError("message has no segments")
        self.segments = list(segments)
        self.budget = traversal_limit
        self.caps: list[Any] = []

    @classmethod
    def from_bytes(cls, frame: bytes) -> MessageReader:
        length = frame_length(frame)
        if length is None or length > len(frame):
            raise DecodeError("truncated message")
        return cls(split_segments(frame))

    def charge(self, words: int) -> None:
        self.budget -= words
        if self.budget < 0:
            raise DecodeError("traversal limit exceeded (pointer loop or amplification?)")

    def root(self) -> Ptr:
        if len(self.segments[0]) < 8:
            raise DecodeError("empty first segment")
        return Ptr(self, 0, 0, NESTING_LIMIT)

    def resolve(self, seg_id: int, index: int) -> tuple[int, int, int] | None:
        """Follow the pointer at word `index` of segment `seg_id` through far pointers.

        Returns (segment, target word, pointer word carrying kind and size), or
        None for a null pointer.
        """
        seg = self.segments[seg_id]
        word = _u64_at(seg, index * 8)[0]
        if word == 0:
            return None
        if word & 3 != 2:
            return seg_id, index + 1 + _signed30(word), word
        target_id = word >> 32
        if target_id >= len(self.segments):
            raise DecodeError("far pointer to a missing segment")
        target = self.segments[target_id]
        landing = (word >> 3) & 0x1FFFFFFF
        if not word & 4:
            if (landing + 1) * 8 > len(target):
                raise DecodeError("far pointer out of bounds")
            inner = _u64_at(target, landing * 8)[0]
            if inner & 3 == 2:
                raise DecodeError("far pointer lands on another far pointer")
            return target_id, landing + 1 + _signed30(inner), inner
        if (landing + 2) * 8 > len(target):
            raise DecodeError("double-far pointer out of bounds")
        pad = _u64_at(target, landing * 8)[0]
        tag = _u64_at(target, landing * 8 + 8)[0]
        if pad & 7 != 2:
            raise DecodeError("double-far landing pad is not a single far pointer")
        content_id = pad >> 32
        if content_id >= len(self.segments):
            raise DecodeError("double-far pointer to a missing segment")
        return content_id, (pad >> 3) & 0x1FFFFFFF, tag


class Ptr:
    """A pointer slot inside a received message (an AnyPointer reader)."""

    __slots__ = ("depth", "index", "msg", "seg_id")

    def __init__(self, msg: MessageReader, seg_id: int, index: int, depth: int) -> None:
        self.msg = msg
        self.seg_id = seg_id
        self.index = index
        self.depth = depth

    def struct(self) -> StructReader | None:
        return read_struct(self.msg, self.seg_id, self.index, self.depth)

    def cap_index(self) -> int | None:
        word = _u64_at(self.msg.segments[self.seg_id], self.index * 8)[0]
        if word == 0:
            return None
        if word & 0xFFFFFFFF != 3:
            raise DecodeError("expected a capability pointer")
        return word >> 32


EMPTY_SEGMENT = memoryview(bytes(8))


class StructReader:
    """The data and pointer sections of one struct in a received message."""

    __slots__ = ("data_off", "data_size", "depth", "msg", "ptr_count", "ptr_index", "seg", "seg_id")

    def __init__(
        self,
        msg: MessageReader,
        seg_id: int,
        data_off: int,
        data_size: int,
        ptr_index: int,
        ptr_count: int,
        depth: int,
    ) -> None:
        self.msg = msg
        self.seg_id = seg_id
        self.seg = msg.segments[seg_id] if seg_id >= 0 else EMPTY_SEGMENT
        self.data_off = data_off
        self.data_size = data_size
        self.ptr_index = ptr_index
        self.ptr_count = ptr_count
        self.depth = depth

    def get(self, fmt: struct.Struct, offset: int, default: Any = 0) -> Any:
        """The primitive at byte `offset` (0 past the data section), XOR default."""
        if offset + fmt.size > self.data_size:
            return default
        value = fmt.unpack_from(self.seg, self.data_off + offset)[0]
        return value ^ default if default and isinstance(value, int) else value

    def get_bool(self, bit: int, default: bool = False) -> bool:
        if bit >= self.data_size * 8:
            return default
        return bool((self.seg[self.data_off + (bit >> 3)] >> (bit & 7)) & 1) != default

    def ptr(self, n: int) -> Ptr | None:
        if n >= self.ptr_count:
            return None
        return Ptr(self.msg, self.seg_id, self.ptr_index + n, self.depth)

    def struct(self, n: int) -> StructReader | None:
        if n >= self.ptr_count:
            return None
        return read_struct(self.msg, self.seg_id, self.ptr_index + n, self.depth)

    def list(self, n: int) -> ListReader | None:
        if n >= self.ptr_count:
            return None
        return read_list(self.msg, self.seg_id, self.ptr_index + n, self.depth)

    def text(self, n: int, default: str = "") -> str:
        lst = self.list(n)
        return default if lst is None else lst.as_text()

    def data(self, n: int, default: bytes = b"") -> bytes:
        lst = self.list(n)
        return default if lst is None else lst.as_bytes()

    def cap_index(self, n: int) -> int | None:
        if n >= self.ptr_count:
            return None
        return Ptr(self.msg, self.seg_id, self.ptr_index + n, self.depth).cap_index()


def _pointer(
    msg: MessageReader, seg_id: int, index: int, kind: int
) -> tuple[int, int, int] | None:
    """(segment, target word, pointer word) of the pointer of ``kind`` (0 struct, 1 list)
    at word ``index``; None for a null pointer.  A near pointer, the common case, is
    read here; a far one through `MessageReader.resolve`."""
    word = _u64_at(msg.segments[seg_id], index * 8)[0]
    if not word:
        return None
    if word & 3 == kind:
        return seg_id, index + 1 + _signed30(word), word
    found = msg.resolve(seg_id, index)
    assert found is not None  # only a null word resolves to nothing
    if found[2] & 3 != kind:
        raise DecodeError(f"expected a {('struct', 'list')[kind]} pointer")
    return found


def read_struct(msg: MessageReader, seg_id: int, index: int, depth: int) -> StructReader | None:
    if depth <= 0:
        raise DecodeError("nesting limit exceeded")
    found = _pointer(msg, seg_id, index, 0)
    if found is None:
        return None
    seg_id, target, word = found
    data_words = (word >> 32) & 0xFFFF
    ptr_count = word >> 48
    size = data_words + ptr_count
    if target < 0 or (target + size) * 8 > len(msg.segments[seg_id]):
        raise DecodeError("struct pointer out of bounds")
    msg.budget -= size or 1
    if msg.budget < 0:
        raise DecodeError("traversal limit exceeded (pointer loop or amplification?)")
    return StructReader(
        msg, seg_id, target * 8, data_words * 8, target + data_words, ptr_count, depth - 1
    )


def read_list(msg: MessageReader, seg_id: int, index: int, depth: int) -> ListReader | None:
    if depth <= 0:
        raise DecodeError("nesting limit exceeded")
    found = _pointer(msg, seg_id, index, 1)
    if found is None:
        return None
    seg_id, target, word = found
    size = (word >> 32) & 7
    count = word >> 35
    seg_len = len(msg.segments[seg_id])
    if size == COMPOSITE:
        if target < 0 or (target + 1 + count) * 8 > seg_len:
            raise DecodeError("composite list out of bounds")
        tag = _u64_at(msg.segments[seg_id], target * 8)[0]
        if tag & 3 != 0:
            raise DecodeError("composite list tag is not a struct")
        n = _signed30(tag) & 0x3FFFFFFF
        data_words = (tag >> 32) & 0xFFFF
        ptr_count = tag >> 48
        if n * (data_words + ptr_count) > count:
            raise DecodeError("composite list elements exceed its word count")
        if data_words + ptr_count == 0 and n > MAX_ZERO_WIDTH_ELEMENTS:
            raise DecodeError(f"list of {n} empty structs (limit {MAX_ZERO_WIDTH_ELEMENTS})")
        msg.charge(max(n, count))
        return ListReader(
            msg, seg_id, (target + 1) * 8, n, COMPOSITE, data_words, ptr_count, depth - 1
        )
    bits = ELEMENT_BITS[size]
    if bits == 0 and count > MAX_ZERO_WIDTH_ELEMENTS:
        raise DecodeError(f"list of {count} voids (limit {MAX_ZERO_WIDTH_ELEMENTS})")
    nbytes = (count * bits + 7) // 8
    if target < 0 or target * 8 + nbytes > seg_len:
        raise DecodeError("list out of bounds")
    msg.charge(max(count if bits == 0 else 1, (nbytes + 7) // 8))
    ptr_count = 1 if size == POINTER else 0
    return ListReader(msg, seg_id, target * 8, count, size, 0, ptr_count, depth - 1)


class ListReader:
    """A list in a received message; `elements` decides how items are seen."""

    __slots__ = (
        "count",
        "data_words",
        "depth",
        "msg",
        "ptr_count",
        "seg",
        "seg_id",
        "size",
        "start",
    )

    def __init__(
        self,
        msg: MessageReader,
        seg_id: int,
        start: int,
        count: int,
        size: int,
        data_words: int,
        ptr_count: int,
        depth: int,
    ) -> None:
        self.msg = msg
        self.seg_id = seg_id
        self.seg = msg.segments[seg_id]
        self.start = start
        self.count = count
        self.size = size
        self.data_words = data_words
        self.ptr_count = ptr_count
        self.depth = depth

    def __len__(self) -> int:
        return self.count

    def as_bytes(self) -> bytes:
        if self.size != BYTE:
            raise DecodeError("expected a byte list (Data or Text)")
        return bytes(self.seg[self.start : self.start + self.count])

    def as_text(self) -> str:
        if self.size != BYTE or self.count == 0:
            raise DecodeError("expected a NUL-terminated byte list (Text)")
        raw = self.seg[self.start : self.start + self.count]
        if raw[-1] != 0:
            raise DecodeError("text is not NUL-terminated")
        try:
            return str(raw[:-1], "utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"text is not UTF-8: {exc}") from None

    def primitives(self, code: str) -> list[Any]:
        """All elements as Python numbers (`code` is a struct format letter)."""
        if code == "?":
            if self.size != BIT:
                raise DecodeError("expected a bit list")
            raw = self.seg[self.start : self.start + (self.count + 7) // 8]
            return [bool((raw[i >> 3] >> (i & 7)) & 1) for i in range(self.count)]
        width = struct.calcsize(code)
        if self.size == COMPOSITE:  # upgraded list: take each element's first field
            step = (self.data_words + self.ptr_count) * 8
            if width > self.data_words * 8:
                return [0] * self.count
            return [
                struct.unpack_from("<" + code, self.seg, self.start + i * step)[0]
                for i in range(self.count)
            ]
        if ELEMENT_BITS[self.size] != width * 8:
            raise DecodeError("list element size does not match its schema type")
        return list(struct.unpack_from(f"<{self.count}{code}", self.seg, self.start))

    def structs(self) -> Iterator[StructReader]:
        for i in range(self.count):
            yield self.struct_at(i)

    def struct_at(self, i: int) -> StructReader:
        if not 0 <= i < self.count:
            raise IndexError(i)
        if self.size == COMPOSITE:
            step = (self.data_words + self.ptr_count) * 8
            off = self.start + i * step
            return StructReader(
                self.msg,
                self.seg_id,
                off,
                self.data_words * 8,
                (off >> 3) + self.data_words,
                self.ptr_count,
                self.depth,
            )
        if self.size == BIT:
            raise DecodeError("a bit list cannot be read as structs")
        if self.size == POINTER:
            return StructReader(self.msg, self.seg_id, 0, 0, (self.start >> 3) + i, 1, self.depth)
        width = ELEMENT_BITS[self.size] // 8
        return StructReader(self.msg, self.seg_id, self.start + i * width, width, 0, 0, self.depth)

    def ptr_at(self, i: int) -> Ptr:
        if not 0 <= i < self.count:
            raise IndexError(i)
        if self.size == POINTER:
            return Ptr(self.msg, self.seg_id, (self.start >> 3) + i, self.depth)
        if self.size == COMPOSITE and self.ptr_count:
            step = self.data_words + self.ptr_count
            return Ptr(
                self.msg, self.seg_id, (self.start >> 3) + i * step + self.data_words, self.depth
            )
        raise DecodeError("expected a list of pointers")


# -------------------------------------------------------------------- building


class MessageBuilder:
    """A message under construction, in one growing segment."""

    __slots__ = ("buf", "caps")

    def __init__(self) -> None:
        self.buf = bytearray(8)  # word 0: the root pointer
        self.caps: list[Any] = []

    @classmethod
    def from_segment(cls, segment: bytes) -> MessageBuilder:
        """A message that starts as a copy of ``segment`` (a laid-out template)."""
        mb = cls.__new__(cls)
        mb.buf = bytearray(segment)
        mb.caps = []
        return mb

    def alloc(self, words: int) -> int:
        """Reserve `words` zeroed words; returns the index of the first."""
        index = len(self.buf) >> 3
        self.buf += bytes(words * 8)
        return index

    def init_root(self, data_words: int, ptr_count: int) -> StructBuilder:
        return init_struct(self, 0, data_words, ptr_count)

    def to_bytes(self) -> bytes:
        """The framed message: a one-segment table (FRAME_HEADER bytes), then the segment."""
        return _U32x2.pack(0, len(self.buf) >> 3) + self.buf

    def add_cap(self, cap: Any) -> int:
        self.caps.append(cap)
        return len(self.caps) - 1


def _struct_word(offset: int, data_words: int, ptr_count: int) -> int:
    return ((offset << 2) & 0xFFFFFFFF) | (data_words << 32) | (ptr_count << 48)


def _list_word(offset: int, size: int, count: int) -> int:
    return ((offset << 2) & 0xFFFFFFFF) | 1 | (size << 32) | (count << 35)


def init_struct(
    mb: MessageBuilder, ptr_index: int, data_words: int, ptr_count: int
) -> StructBuilder:
    target = mb.alloc(data_words + ptr_count)
    _U64.pack_into(
        mb.buf, ptr_index * 8, _struct_word(target - ptr_index - 1, data_words, ptr_count)
    )
    return StructBuilder(mb, target * 8, data_words, target + data_words, ptr_count)


def init_list(mb: MessageBuilder, ptr_index: int, size: int, count: int) -> int:
    """Allocate a non-composite list; returns the byte offset of its first element."""
    nbytes = (count * ELEMENT_BITS[size] + 7) // 8
    target = mb.alloc((nbytes + 7) >> 3)
    _U64.pack_into(mb.buf, ptr_index * 8, _list_word(target - ptr_index - 1, size, count))
    return target * 8


def init_struct_list(
    mb: MessageBuilder, ptr_index: int, count: int, data_words: int, ptr_count: int
) -> list[StructBuilder]:
    step = data_words + ptr_count
    tag_index = mb.alloc(1 + count * step)
    _U64.pack_into(
        mb.buf, ptr_index * 8, _list_word(tag_index - ptr_index - 1, COMPOSITE, count * step)
    )
    _U64.pack_into(mb.buf, tag_index * 8, _struct_word(count, data_words, ptr_count))
    first = tag_index + 1
    return [
        StructBuilder(
            mb, (first + i * step) * 8, data_words, first + i * step + data_words, ptr_count
        )
        for i in range(count)
    ]


def set_bytes(mb: MessageBuilder, ptr_index: int, data: bytes, nul: bool) -> None:
    count = len(data) + nul
    off = init_list(mb, ptr_index, BYTE, count)
    mb.buf[off : off + len(data)] = data


def set_primitive_list(
    mb: MessageBuilder, ptr_index: int, code: str, values: Sequence[Any]
) -> None:
    if code == "?":
        off = init_list(mb, ptr_index, BIT, len(values))
        for i, v in enumerate(values):
            if v:
                mb.buf[off + (i >> 3)] |= 1 << (i & 7)
        return
    width = struct.calcsize(code)
    size = {1: BYTE, 2: TWO_BYTES, 4: FOUR_BYTES, 8: EIGHT_BYTES}[width]
    off = init_list(mb, ptr_index, size, len(values))
    struct.pack_into(f"<{len(values)}{code}", mb.buf, off, *values)


def set_cap(mb: MessageBuilder, ptr_index: int, cap_index: int) -> None:
    _U64.pack_into(mb.buf, ptr_index * 8, 3 | (cap_index << 32))


class PtrBuilder:
    """A pointer slot being built (an AnyPointer builder)."""

    __slots__ = ("index", "mb")

    def __init__(self, mb: MessageBuilder, index: int) -> None:
        self.mb = mb
        self.index = index

    def init_struct(self, data_words: int, ptr_count: int) -> StructBuilder:
        return init_struct(self.mb, self.index, data_words, ptr_count)

    def copy_from(self, src: Ptr, cap_map: Callable[[int], int]) -> None:
        copy_pointer(src.msg, src.seg_id, src.index, src.depth, self.mb, self.index, cap_map)


class StructBuilder:
    """The data and pointer sections of one struct being built."""

    __slots__ = ("data_off", "data_words", "mb", "ptr_count", "ptr_index")

    def __init__(
        self, mb: MessageBuilder, data_off: int, data_words: int, ptr_index: int, ptr_count: int
    ) -> None:
        self.mb = mb
        self.data_off = data_off
        self.data_words = data_words
        self.ptr_index = ptr_index
        self.ptr_count = ptr_count

    def set(self, fmt: struct.Struct, offset: int, value: Any, default: Any = 0) -> None:
        if default and isinstance(value, int):
            value ^= default
        fmt.pack_into(self.mb.buf, self.data_off + offset, value)

    def get(self, fmt: struct.Struct, offset: int, default: Any = 0) -> Any:
        value = fmt.unpack_from(self.mb.buf, self.data_off + offset)[0]
        return value ^ default if default and isinstance(value, int) else value

    def set_bool(self, bit: int, value: bool, default: bool = False) -> None:
        pos = self.data_off + (bit >> 3)
        if bool(value) != default:
            self.mb.buf[pos] |= 1 << (bit & 7)
        else:
            self.mb.buf[pos] &= ~(1 << (bit & 7)) & 0xFF

    def ptr(self, n: int) -> PtrBuilder:
        return PtrBuilder(self.mb, self.ptr_index + n)


def copy_struct(
    src: StructReader, mb: MessageBuilder, dst: int, cap_map: Callable[[int], int]
) -> None:
    """Deep-copy a received struct into a builder's pointer slot `dst`."""
    size = src.data_size
    out = init_struct(mb, dst, (size + 7) >> 3, src.ptr_count)
    mb.buf[out.data_off : out.data_off + size] = src.seg[src.data_off : src.data_off + size]
    for i in range(src.ptr_count):
        copy_pointer(
            src.msg, src.seg_id, src.ptr_index + i, src.depth, mb, out.ptr_index + i, cap_map
        )


def copy_pointer(
    msg: MessageReader,
    seg_id: int,
    index: int,
    depth: int,
    mb: MessageBuilder,
    dst: int,
    cap_map: Callable[[int], int],
) -> None:
    """Deep-copy the object at a received pointer into a builder's pointer slot.

    Capability indices are translated by `cap_map` (the tables differ per message).
    """
    found = msg.resolve(seg_id, index)
    if found is None:
        _U64.pack_into(mb.buf, dst * 8, 0)
        return
    word = found[2]
    kind = word & 3
    if kind == 3:
        if word & 0xFFFFFFFF != 3:
            raise DecodeError("unknown pointer kind")
        set_cap(mb, dst, cap_map(word >> 32))
        return
    if kind == 0:
        src = read_struct(msg, seg_id, index, depth)
        assert src is not None
        copy_struct(src, mb, dst, cap_map)
        return
    lst = read_list(msg, seg_id, index, depth)
    assert lst is not None
    if lst.size == COMPOSITE:
        outs = init_struct_list(mb, dst, lst.count, lst.data_words, lst.ptr_count)
        for i, out in enumerate(outs):
            src = lst.struct_at(i)
            mb.buf[out.data_off : out.data_off + src.data_size] = src.seg[
                src.data_off : src.data_off + src.data_size
            ]
            for j in range(src.ptr_count):
                copy_pointer(
                    msg, src.seg_id, src.ptr_index + j, depth - 1, mb, out.ptr_index + j, cap_map
                )
    elif lst.size == POINTER:
        off = init_list(mb, dst, POINTER, lst.count)
        for i in range(lst.count):
            copy_pointer(
                msg, lst.seg_id, (lst.start >> 3) + i, lst.depth, mb, (off >> 3) + i, cap_map
            )
    else:
        off = init_list(mb, dst, lst.size, lst.count)
        nbytes = (lst.count * ELEMENT_BITS[lst.size] + 7) // 8
        mb.buf[off : off + nbytes] = lst.seg[lst.start : lst.start + nbytes]
