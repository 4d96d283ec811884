"""The provider lookup's rules, driven directly (no network)."""

from __future__ import annotations

from libp2p.peer.id import ID

from wetnode.keys import NodeKey
from wetnode.net.dht_lookup import ProviderLookup, distance

KEY = bytes([0x12, 0x20]) + bytes(32)


def _peers(n: int) -> list[ID]:
    return [ID.from_pubkey(NodeKey.generate().libp2p_key_pair().public_key) for _ in range(n)]


def test_it_asks_the_closest_peers_first_and_at_most_alpha_at_once() -> None:
    me, *seeds = _peers(8)
    lookup = ProviderLookup(KEY, seeds, me=me, want=1, alpha=3)
    first = lookup.next_peers()
    assert first == sorted(seeds, key=lambda p: distance(KEY, p))[:3]
    assert lookup.next_peers() == []  # three in flight already


def test_closer_peers_an_answer_names_are_asked_next() -> None:
    me, seed, *rest = _peers(6)
    lookup = ProviderLookup(KEY, [seed], me=me, want=1, alpha=3)
    assert lookup.next_peers() == [seed]
    lookup.answered(seed, providers=[], closer=[*rest, me])
    asked = lookup.next_peers()
    assert me not in asked and set(asked) <= set(rest) and len(asked) == 3


def test_it_stops_once_it_holds_enough_providers() -> None:
    me, seed, provider, other = _peers(4)
    lookup = ProviderLookup(KEY, [seed, other], me=me, want=1)
    lookup.next_peers()
    lookup.answered(seed, providers=[provider, provider], closer=[])
    assert lookup.providers == [provider]  # no repeats
    assert lookup.done and lookup.next_peers() == []


def test_it_ends_when_every_close_peer_answered_or_failed() -> None:
    me, a, b = _peers(3)
    lookup = ProviderLookup(KEY, [a, b], me=me, want=5)
    assert set(lookup.next_peers()) == {a, b}
    lookup.failed(a)
    assert not lookup.done  # b is still out
    lookup.answered(b, providers=[], closer=[a])  # a again: not asked twice
    assert lookup.done and lookup.next_peers() == []
    assert lookup.providers == []
