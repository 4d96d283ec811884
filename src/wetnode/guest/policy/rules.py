"""The rules a policy composes, and `Decider`, which runs them on one call (sans-IO).

A rule sees a `Call` (the method's name, the grafting peer, the clock
readings, the params' size and, when it asked, their plain values) before
the call goes on, and the results' size and values after.  It refuses by
raising `PolicyDenied` with a detail that starts with the rule's name; a
content rule in redact mode returns changed values and says what it changed.
Rules are stateful (buckets, windows) but never read a clock or a socket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from wetnode.guest.policy.decide import (
    ByteWindow,
    Change,
    Expiry,
    Pattern,
    PolicyDenied,
    TokenBucket,
    first_match,
    redact,
)

ANY = "*"  # a peer or method pattern matching every one


@dataclass
class Call:
    """One call as the rules see it."""

    method: str  # "executor.echo"
    peer: str  # the grafting peer's ID (base58), or "" for a local caller
    now: float  # a monotonic clock, seconds
    wall: float  # seconds since the Unix epoch
    epochs: int  # epochs the node adopted since the policy began
    size: int  # bytes of the message carrying the params
    params: Any = None  # plain field values, when a rule reads them


def _scope(methods: Iterable[str] | None) -> frozenset[str]:
    return frozenset(methods) if methods else frozenset({ANY})


def _scope_text(scope: frozenset[str]) -> str:
    return ",".join(sorted(scope))


def _retry(seconds: float) -> str:
    return f"retry after {max(seconds, 0.05):.1f} s"


class Rule:
    """Base rule: applies to the calls of the methods in `scope` (``*``: all)."""

    reads_params = False
    reads_results = False
    reads_sizes = False  # needs the params' and results' encoded sizes
    stateful = False  # spends something (a token, bytes): runs after the checks that do not

    def __init__(self, methods: Iterable[str] | None = None) -> None:
        self.scope = _scope(methods)

    def applies(self, method: str) -> bool:
        return ANY in self.scope or method in self.scope

    def before(self, call: Call) -> tuple[Any, list[Change]]:
        """Refuse (raise `PolicyDenied`), or return changed params (None: unchanged) and
        what changed."""
        return None, []

    def after(self, call: Call, size: int, results: Any) -> tuple[Any, list[Change]]:
        """Refuse, or return changed results (None: unchanged) and what changed."""
        return None, []


@dataclass(frozen=True)
class Grant:
    """Who may call what, until when: a method allow-list, a peer allow-list and an expiry."""

    methods: frozenset[str]
    peers: frozenset[str] = frozenset({ANY})
    expires: Expiry | None = None
    name: str = "grant"

    def covers(self, call: Call) -> bool:
        return (ANY in self.methods or call.method in self.methods) and (
            ANY in self.peers or call.peer in self.peers
        )


def check_grants(grants: tuple[Grant, ...], call: Call) -> None:
    """Let the call through when a live grant covers it; else say why not."""
    expired = None
    for grant in grants:
        if not grant.covers(call):
            continue
        why = grant.expires.reason(call.wall, call.epochs) if grant.expires else None
        if why is None:
            return
        expired = f"{grant.name} for {call.method} {why}"
    if expired:
        raise PolicyDenied(expired)
    who = f"peer {call.peer}" if call.peer else "this caller"
    raise PolicyDenied(f"grant: {who} has no grant for {call.method}")


class Rate(Rule):
    """A token bucket per peer (or one for everyone): `per_second` calls/s, `burst` at once."""

    stateful = True

    def __init__(
        self,
        per_second: float,
        burst: float | None = None,
        *,
        per_peer: bool = True,
        methods: Iterable[str] | None = None,
    ) -> None:
        super().__init__(methods)
        self.per_second = per_second
        self.burst = per_second if burst is None else burst
        self.per_peer = per_peer
        TokenBucket(per_second, max(self.burst, 1), 0.0)  # refuse nonsense at construction
        self._buckets: dict[str, TokenBucket] = {}

    def before(self, call: Call) -> tuple[Any, list[Change]]:
        key = call.peer if self.per_peer else ANY
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.per_second, self.burst, call.now)
        wait = bucket.take(call.now)
        if wait:
            who = "per peer" if self.per_peer else "for all peers"
            raise PolicyDenied(
                f"rate {_scope_text(self.scope)} {self.per_second:g}/s {who} exceeded "
                f"({_retry(wait)})"
            )
        return None, []


class ParamsBytes(Rule):
    """At most `limit` bytes of params in one call."""

    reads_sizes = True

    def __init__(self, limit: int, *, methods: Iterable[str] | None = None) -> None:
        super().__init__(methods)
        self.limit = limit

    def before(self, call: Call) -> tuple[Any, list[Change]]:
        if call.size > self.limit:
            raise PolicyDenied(
                f"params bytes {call.method}: {call.size} B is over the {self.limit} B "
                "a call may send"
            )
        return None, []


class ResultBytes(Rule):
    """At most `limit` bytes of results from one call (a result size cap)."""

    reads_sizes = True

    def __init__(self, limit: int, *, methods: Iterable[str] | None = None) -> None:
        super().__init__(methods)
        self.limit = limit

    def after(self, call: Call, size: int, results: Any) -> tuple[Any, list[Change]]:
        if size > self.limit:
            raise PolicyDenied(
                f"result bytes {call.method}: {size} B is over the {self.limit} B a call may return"
            )
        return None, []


class ByteBudget(Rule):
    """At most `limit` bytes (params plus results) per peer in each window of `seconds`."""

    reads_sizes = True
    stateful = True

    def __init__(self, limit: int, seconds: float, *, methods: Iterable[str] | None = None) -> None:
        super().__init__(methods)
        self.limit = limit
        self.seconds = seconds
        ByteWindow(limit, seconds)  # refuse nonsense at construction
        self._windows: dict[str, ByteWindow] = {}

    def _window(self, peer: str) -> ByteWindow:
        window = self._windows.get(peer)
        if window is None:
            window = self._windows[peer] = ByteWindow(self.limit, self.seconds)
        return window

    def before(self, call: Call) -> tuple[Any, list[Change]]:
        wait = self._window(call.peer).room(call.size, call.now)
        if wait:
            raise PolicyDenied(
                f"byte budget {_scope_text(self.scope)} {self.limit} B per {self.seconds:g} s "
                f"per peer exhausted ({_retry(wait)})"
            )
        return None, []

    def after(self, call: Call, size: int, results: Any) -> tuple[Any, list[Change]]:
        self._window(call.peer).spend(call.size + size, call.now)
        return None, []


class Content(Rule):
    """A regex over the Text and Data fields of params, results or both: block or redact."""

    def __init__(
        self,
        name: str,
        pattern: str,
        *,
        action: str = "block",
        on: str = "both",
        replacement: str = "[redacted]",
        methods: Iterable[str] | None = None,
    ) -> None:
        super().__init__(methods)
        if action not in ("block", "redact"):
            raise ValueError(f"content rule {name}: action is block or redact, not {action!r}")
        if on not in ("params", "results", "both"):
            raise ValueError(f"content rule {name}: on is params, results or both, not {on!r}")
        self.name = name
        self.pattern = Pattern(pattern)
        self.action = action
        self.replacement = replacement
        self.reads_params = on in ("params", "both")
        self.reads_results = on in ("results", "both")

    def _block(self, call: Call, where: str, values: Any) -> None:
        path = first_match(values, self.pattern)
        if path is not None:
            raise PolicyDenied(
                f"content {self.name} {call.method} {where}.{path} matches a blocked pattern"
            )

    def before(self, call: Call) -> tuple[Any, list[Change]]:
        if not self.reads_params:
            return None, []
        if self.action == "block":
            self._block(call, "params", call.params)
            return None, []
        changed, changes = redact(call.params, self.pattern, self.replacement, self.name, "params")
        return (changed if changes else None), changes

    def after(self, call: Call, size: int, results: Any) -> tuple[Any, list[Change]]:
        if not self.reads_results:
            return None, []
        if self.action == "block":
            self._block(call, "results", results)
            return None, []
        changed, changes = redact(results, self.pattern, self.replacement, self.name, "results")
        return (changed if changes else None), changes


class Decider:
    """A policy's grants and rules, run in order on each call (sans-IO).

    With no grants every method passes the grant check (the wrapper then only
    limits: pair it with an allow list); with grants, a call needs one that
    covers its peer and method and has not expired.
    """

    def __init__(self, grants: Iterable[Grant] | None = None, rules: Iterable[Rule] = ()) -> None:
        self.grants = None if grants is None else tuple(grants)
        # A refused call spends no token: the checks that spend nothing go first.
        self.rules = tuple(sorted(rules, key=lambda rule: rule.stateful))
        self.reads_sizes = any(rule.reads_sizes for rule in self.rules)

    def reads_params(self, method: str) -> bool:
        return any(r.reads_params and r.applies(method) for r in self.rules)

    def reads_results(self, method: str) -> bool:
        return any(r.reads_results and r.applies(method) for r in self.rules)

    def before(self, call: Call) -> tuple[Any, list[Change]]:
        """Refuse the call or let it on: the params to send when a rule changed them (else
        None) and what changed."""
        if self.grants is not None:
            check_grants(self.grants, call)
        changed, changes = None, []
        for rule in self.rules:
            if rule.applies(call.method):
                new, more = rule.before(call)
                if new is not None:
                    changed = call.params = new
                    changes += more
        return changed, changes

    def after(self, call: Call, size: int, results: Any) -> tuple[Any, list[Change]]:
        """Refuse the results or pass them on; the changed results and what changed."""
        changed, changes = None, []
        for rule in self.rules:
            if rule.applies(call.method):
                new, more = rule.after(call, size, results)
                if new is not None:
                    changed = results = new
                    changes += more
        return changed, changes
