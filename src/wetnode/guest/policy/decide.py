"""The policy's decisions, sans-IO: token buckets, byte windows, expiry, content matches.

Nothing here reads a clock or a message: callers pass the time (`now`, in
seconds on a monotonic clock; `wall`, seconds since the epoch) and the plain
values of a call, so every decision is a pure step that tests drive directly
and fast.  The wrappers in `wetnode.guest.policy.membrane` do the I/O.
"""

from __future__ import annotations

import re
import time  # time.gmtime only, to print an expiry: the callers pass every clock reading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from wetnode.capnproto.errors import Refusal


class PolicyDenied(Refusal):
    """A policy rule refused the call; the detail names the rule and why."""

    word = "policyDenied"


class TokenBucket:
    """`rate` tokens a second up to `burst`; a call takes one.

    Starts full, so a quiet caller gets its whole burst at once.
    """

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a rate needs calls/s > 0 and burst >= 1 (got {rate}/s, {burst})")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 when one was there, else the seconds until one will be."""
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


class ByteWindow:
    """At most `limit` bytes in each fixed window of `seconds` (the first starts at first use)."""

    __slots__ = ("_start", "_used", "limit", "seconds")

    def __init__(self, limit: int, seconds: float) -> None:
        if limit < 0 or seconds <= 0:
            raise ValueError(f"a byte budget needs bytes >= 0 and a window > 0 s (got {limit})")
        self.limit = limit
        self.seconds = seconds
        self._start: float | None = None
        self._used = 0

    def _roll(self, now: float) -> None:
        if self._start is None or now - self._start >= self.seconds:
            self._start = now
            self._used = 0

    def room(self, size: int, now: float) -> float:
        """0.0 when `size` more bytes fit this window, else the seconds until the next one."""
        self._roll(now)
        assert self._start is not None
        if self._used + size <= self.limit:
            return 0.0
        return self._start + self.seconds - now

    def spend(self, size: int, now: float) -> None:
        """Count `size` bytes against the window (a result may overrun it: the next call pays)."""
        self._roll(now)
        self._used += size


@dataclass(frozen=True)
class Expiry:
    """A grant's end: a wall-clock time, a number of epochs, or both (whichever comes first)."""

    at: float | None = None  # seconds since the Unix epoch
    epochs: int | None = None  # epochs the node may adopt before the grant ends

    def reason(self, wall: float, epochs_seen: int) -> str | None:
        """Why the grant has expired, or None while it holds."""
        if self.at is not None and wall >= self.at:
            return f"expired at {_utc(self.at)}"
        if self.epochs is not None and epochs_seen >= self.epochs:
            return f"expired after {self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        return None


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass(frozen=True)
class Change:
    """What a redaction did: which field, how many matches, by which rule."""

    rule: str
    field: str
    count: int

    def __str__(self) -> str:
        matches = "match" if self.count == 1 else "matches"
        return f"{self.rule} redacted {self.count} {matches} in {self.field}"


class Pattern:
    """One regex over Text and Data values (Data is matched as bytes)."""

    __slots__ = ("_bytes", "_text", "source")

    def __init__(self, source: str) -> None:
        try:
            self._text = re.compile(source)
            self._bytes = re.compile(source.encode())
        except re.error as exc:
            raise ValueError(f"{source!r} is not a regular expression: {exc}") from None
        self.source = source

    def search(self, value: str | bytes) -> bool:
        regex: Any = self._text if isinstance(value, str) else self._bytes
        return regex.search(value) is not None

    def sub(self, value: str | bytes, replacement: str) -> tuple[str | bytes, int]:
        if isinstance(value, str):
            return self._text.subn(replacement, value)
        return self._bytes.subn(replacement.encode(), value)


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str | bytes]]:
    """Every Text and Data value in a call's plain fields, with its path (``texts[2]``)."""
    if isinstance(value, (str, bytes)):
        yield path, value
    elif isinstance(value, dict):
        for name, v in value.items():
            yield from strings(v, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, f"{path}[{i}]")


def first_match(value: Any, pattern: Pattern) -> str | None:
    """The path of the first Text or Data field `pattern` matches, or None."""
    return next((path for path, s in strings(value) if pattern.search(s)), None)


def redact(
    value: Any, pattern: Pattern, replacement: str, rule: str, path: str = ""
) -> tuple[Any, list[Change]]:
    """`value` with every match replaced, and what changed (nothing changed: same object)."""
    if isinstance(value, (str, bytes)):
        new, count = pattern.sub(value, replacement)
        return (new, [Change(rule, path, count)]) if count else (value, [])
    if isinstance(value, dict):
        changes: list[Change] = []
        out = {}
        for name, v in value.items():
            where = f"{path}.{name}" if path else name
            out[name], more = redact(v, pattern, replacement, rule, where)
            changes += more
        return (out, changes) if changes else (value, [])
    if isinstance(value, list):
        changes = []
        items = []
        for i, v in enumerate(value):
            item, more = redact(v, pattern, replacement, rule, f"{path}[{i}]")
            items.append(item)
            changes += more
        return (items, changes) if changes else (value, [])
    return value, []
