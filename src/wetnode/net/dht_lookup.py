"""Kademlia's iterative provider lookup as a state machine, without I/O.

A lookup for ``key`` asks the peers it knows that are closest to the key
(XOR distance of SHA-256 digests, as every libp2p Kademlia measures it) for
providers and for closer peers, at most ``alpha`` at a time, and walks
toward the key with what they return.  It ends when it holds ``want``
providers, or when each of the ``k`` closest peers it has heard of has
answered or failed.  `net.dht` does the asking and the clock; this module
only decides whom to ask next and when to stop, so it is tested directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from libp2p.peer.id import ID

ALPHA = 3  # requests in flight (the Kademlia paper's alpha)
K = 20  # the closest peers a lookup must have heard from (libp2p's bucket size)


def distance(key: bytes, peer: ID) -> int:
    """XOR distance between ``key`` and ``peer`` in the DHT's keyspace."""
    a = hashlib.sha256(key).digest()
    b = hashlib.sha256(peer.to_bytes()).digest()
    return int.from_bytes(bytes(x ^ y for x, y in zip(a, b, strict=True)), "big")


class ProviderLookup:
    """One GET_PROVIDERS walk toward ``key``; ``me`` is never asked nor listed as a peer."""

    def __init__(
        self, key: bytes, seeds: Iterable[ID], *, me: ID, want: int, alpha: int = ALPHA, k: int = K
    ) -> None:
        self.key = key
        self.want = want
        self._me = me
        self._alpha = alpha
        self._k = k
        self._known: dict[ID, int] = {}  # peer -> distance, every peer heard of
        self._asked: set[ID] = set()
        self._in_flight: set[ID] = set()
        self.providers: list[ID] = []  # in the order found, no repeats
        self._add(seeds)

    def _add(self, peers: Iterable[ID]) -> None:
        for peer in peers:
            if peer != self._me and peer not in self._known:
                self._known[peer] = distance(self.key, peer)

    def _closest(self) -> list[ID]:
        return sorted(self._known, key=self._known.__getitem__)[: self._k]

    def next_peers(self) -> list[ID]:
        """Peers to ask now (each once), keeping at most ``alpha`` in flight."""
        if self.done:
            return []
        chosen = []
        for peer in self._closest():
            if len(self._in_flight) >= self._alpha:
                break
            if peer not in self._asked:
                self._asked.add(peer)
                self._in_flight.add(peer)
                chosen.append(peer)
        return chosen

    def answered(self, peer: ID, providers: Iterable[ID], closer: Iterable[ID]) -> None:
        """``peer`` named these providers of the key and these peers closer to it."""
        self._in_flight.discard(peer)
        for provider in providers:
            if provider not in self.providers:
                self.providers.append(provider)
        self._add(closer)

    def failed(self, peer: ID) -> None:
        """``peer`` did not answer (unreachable, refused, timed out)."""
        self._in_flight.discard(peer)

    @property
    def done(self) -> bool:
        if len(self.providers) >= self.want:
            return True
        return not self._in_flight and all(p in self._asked for p in self._closest())
